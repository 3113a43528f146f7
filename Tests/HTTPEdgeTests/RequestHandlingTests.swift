import Foundation
import Testing

@testable import HTTPEdge

@Suite struct RequestHandlingTests {
    @Test func getRequestReachesHandlerWithPathQueryHeadersAndAddress() throws {
        try withServer { _, base in
            let result = try curl(
                base + "/rooms/blue%20room?x=1&name=two%20words&flag",
                headers: ["X-Custom-Thing: abc", "Accept: text/plain"])

            #expect(result.status == 200)
            let echo = try result.decodeEcho()
            #expect(echo.method == "GET")
            #expect(echo.path == "/rooms/blue room")
            #expect(echo.query == ["x": "1", "name": "two words", "flag": ""])
            #expect(echo.headers["x-custom-thing"] == "abc")
            #expect(echo.headers["accept"] == "text/plain")
            #expect(echo.body.isEmpty)
            #expect(echo.clientAddress == "127.0.0.1")
        }
    }

    @Test func postBodyReachesHandlerIntact() throws {
        let body = Array("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n".utf8) + [0x00, 0x7f]
        try withServer { _, base in
            let result = try curl(
                base + "/whip", method: "POST",
                headers: ["Content-Type: application/sdp", "Authorization: Bearer t0k"],
                body: body)

            #expect(result.status == 200)
            let echo = try result.decodeEcho()
            #expect(echo.method == "POST")
            #expect(echo.path == "/whip")
            #expect(echo.headers["content-type"] == "application/sdp")
            #expect(echo.headers["authorization"] == "Bearer t0k")
            #expect(Array(echo.body.utf8) == body)
        }
    }

    @Test func everyResponseCarriesRequestIDAndSecurityHeaders() throws {
        try withServer(handler: { _ in .text(201, "made") }) { _, base in
            let result = try curl(base + "/anything")

            #expect(result.status == 201)
            #expect(result.body == "made")
            #expect(result.headers["content-type"] == "text/plain; charset=utf-8")
            #expect(result.headers["cache-control"] == "no-store")
            #expect(result.headers["x-content-type-options"] == "nosniff")
            #expect(result.headers["strict-transport-security"]?.hasPrefix("max-age=") == true)
            #expect(result.headers["content-security-policy"]
                == SecurityHeaders.contentSecurityPolicy)
            let id = try #require(result.headers["x-request-id"])
            #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
        }
    }

    @Test func requestIDSeenByHandlerIsTheOneSentBackAndDiffersPerRequest() throws {
        try withServer { _, base in
            let first = try curl(base + "/a")
            let second = try curl(base + "/a")

            #expect(try first.decodeEcho().requestID == first.headers["x-request-id"])
            #expect(try second.decodeEcho().requestID == second.headers["x-request-id"])
            #expect(first.headers["x-request-id"] != second.headers["x-request-id"])
        }
    }

    @Test func bodyLargerThanLimitIsAnswered413WithoutReachingHandler() throws {
        let calls = Counter()
        try withServer(handler: countingEchoHandler(calls)) { _, base in
            let declared = try curl(
                base + "/upload", method: "POST", body: [UInt8](repeating: 0x61, count: 1025))
            let chunked = try curl(
                base + "/upload", method: "POST", headers: ["Transfer-Encoding: chunked"],
                body: [UInt8](repeating: 0x62, count: 4000))
            let atLimit = try curl(
                base + "/upload", method: "POST", body: [UInt8](repeating: 0x63, count: 1024))

            #expect(declared.status == 413)
            #expect(declared.body.contains(#""error":"request body exceeds 1024 bytes""#))
            #expect(declared.headers["x-request-id"] != nil)
            #expect(chunked.status == 413)
            #expect(atLimit.status == 200)
            #expect(try atLimit.decodeEcho().body.count == 1024)
            #expect(calls.count == 1)
        }
    }

    @Test func handlerHeadersReplaceDefaultsButNotTheRequestID() throws {
        let handler: (HTTPRequest) -> HTTPResponse = { _ in
            HTTPResponse(
                status: 200,
                headers: [("Cache-Control", "max-age=60"), ("X-Request-Id", "forged")],
                body: Array("ok".utf8))
        }
        try withServer(handler: handler) { _, base in
            let result = try curl(base + "/")

            #expect(result.headers["cache-control"] == "max-age=60")
            #expect(result.headers["x-request-id"] != "forged")
            #expect(result.headers["x-content-type-options"] == "nosniff")
        }
    }

    @Test func invalidStatusFromHandlerBecomes500() throws {
        try withServer(handler: { _ in .text(42, "odd") }) { _, base in
            let result = try curl(base + "/")

            #expect(result.status == 500)
            #expect(result.body == #"{"error":"internal error"}"#)
        }
    }

    @Test func ipv6ListenerReportsIPv6ClientAddress() throws {
        try withServer(testConfiguration(host: "::1")) { _, base in
            let result = try curl(base + "/six")

            #expect(result.status == 200)
            #expect(try result.decodeEcho().clientAddress == "::1")
        }
    }

    @Test func routerBehindServerAnswers404And405WithAllow() throws {
        var router = Router()
        router.add("POST", "/whip") { _, _ in .text(201, "created") }
        router.add("DELETE", "/whip/:session") { _, params in
            .text(200, "gone " + (params["session"] ?? "?"))
        }
        try withServer(handler: router.handle) { _, base in
            let missing = try curl(base + "/nope")
            let wrongMethod = try curl(base + "/whip")
            let deleted = try curl(base + "/whip/abc123", method: "DELETE")

            #expect(missing.status == 404)
            #expect(missing.headers["content-type"] == "application/json")
            #expect(missing.body == #"{"error":"no such resource"}"#)
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers["allow"] == "POST")
            #expect(deleted.body == "gone abc123")
        }
    }
}

import Foundation
import Testing

@testable import HTTPEdge

@Suite struct ResponseTests {
    @Test func errorBodyEscapesTheMessage() throws {
        let response = HTTPResponse.error(400, #"bad "sdp" line\n at a/b"#)
        let decoded = try JSONDecoder().decode(
            [String: String].self, from: Data(response.body))

        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/json")
        #expect(decoded == ["error": #"bad "sdp" line\n at a/b"#])
    }

    @Test func jsonEncodesValuesWithSortedKeysAndPassesRawJSONThrough() {
        struct Reply: Encodable {
            var zeta = 1
            var alpha = "a/b"
        }

        let encoded = HTTPResponse.json(201, Reply())
        let raw = HTTPResponse.json(200, rawJSON: #"{"x":[1,2]}"#)

        #expect(encoded.status == 201)
        #expect(String(decoding: encoded.body, as: UTF8.self) == #"{"alpha":"a/b","zeta":1}"#)
        #expect(String(decoding: raw.body, as: UTF8.self) == #"{"x":[1,2]}"#)
    }

    @Test func requestHeaderLookupIgnoresCase() {
        let request = HTTPRequest(
            method: "GET", path: "/", headers: ["Authorization": "Bearer x"])

        #expect(request.header("authorization") == "Bearer x")
        #expect(request.header("AUTHORIZATION") == "Bearer x")
        #expect(request.header("cookie") == nil)
    }

    @Test func mergedHeadersKeepHandlerValuesAndAddMissingDefaults() {
        let merged = SecurityHeaders.merged(
            [("content-security-policy", "default-src 'self'")], requestID: "abc")
        let names = merged.map { $0.0.lowercased() }

        #expect(names.filter { $0 == "content-security-policy" }.count == 1)
        #expect(merged.first?.1 == "default-src 'self'")
        #expect(names.contains("cache-control"))
        #expect(merged.last! == ("X-Request-Id", "abc"))
    }
}

@Test func printedConfigurationRedactsTheKey() {
    let configuration = testConfiguration()
    var dumped = ""
    dump(configuration, to: &dumped)

    #expect(!"\(configuration)".contains("PRIVATE KEY"))
    #expect(!dumped.contains("PRIVATE KEY"))
    #expect("\(configuration)".contains("127.0.0.1:0"))
}

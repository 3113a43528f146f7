import Admin
import Control
import Foundation
import Store
import Testing
import Wire

/// Bodies the API must refuse with a clear 4xx, changing nothing.
@Suite struct BadInputRouteTests {
    struct Case {
        let name: String
        let method: String
        let path: String
        let body: [UInt8]
        var contentType: String = "application/json"
        let status: Int
        /// A word the error message must contain, so the client learns what was wrong.
        let says: String
    }

    static func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func cases(channel: Int64, member: Int64) -> [Case] {
        let huge = utf8(#"{"name":""# + String(repeating: "a", count: 9_000) + #""}"#)
        return [
            Case(name: "malformed JSON", method: "POST", path: "/v1/channels",
                 body: utf8(#"{"name":"#), status: 400, says: "JSON"),
            Case(name: "not an object", method: "POST", path: "/v1/channels",
                 body: utf8(#"["lobby2"]"#), status: 400, says: "object"),
            Case(name: "wrong type", method: "POST", path: "/v1/channels",
                 body: utf8(#"{"name":5}"#), status: 400, says: "string"),
            Case(name: "null name", method: "POST", path: "/v1/channels",
                 body: utf8(#"{"name":null}"#), status: 400, says: "missing"),
            Case(name: "unknown field", method: "POST", path: "/v1/channels",
                 body: utf8(#"{"name":"ok","tenant_id":2}"#), status: 400, says: "unknown"),
            Case(name: "huge body", method: "POST", path: "/v1/channels", body: huge,
                 status: 413, says: "larger"),
            Case(name: "non-UTF-8", method: "POST", path: "/v1/channels",
                 body: utf8(#"{"name":"caf"#) + [0xC3, 0x28] + utf8(#""}"#), status: 400,
                 says: "UTF-8"),
            Case(name: "wrong content type", method: "POST", path: "/v1/channels",
                 body: utf8(#"{"name":"ok"}"#), contentType: "text/plain", status: 415,
                 says: "Content-Type"),
            Case(name: "SQL in a channel name", method: "POST", path: "/v1/channels",
                 body: utf8(#"{"name":"x'); DROP TABLE channels;--"}"#), status: 400,
                 says: "channel name"),
            Case(name: "SQL in a rename", method: "PATCH", path: "/v1/channels/\(channel)",
                 body: utf8(#"{"name":"lobby\" OR 1=1 --"}"#), status: 400,
                 says: "channel name"),
            Case(name: "NUL in a name", method: "PATCH", path: "/v1/channels/\(channel)",
                 body: utf8(#"{"name":"lob\u0000by"}"#), status: 400, says: "channel name"),
            Case(name: "SQL in a handle", method: "POST", path: "/v1/members",
                 body: utf8(#"{"handle":"pat' OR '1'='1"}"#), status: 400,
                 says: "member handle"),
            Case(name: "unknown role", method: "PUT", path: "/v1/members/\(member)/role",
                 body: utf8(#"{"role":"root"}"#), status: 400, says: "role"),
            Case(name: "role as a number", method: "PUT", path: "/v1/members/\(member)/role",
                 body: utf8(#"{"role":1}"#), status: 400, says: "string"),
            Case(name: "bad e-mail", method: "POST", path: "/v1/members",
                 body: utf8(#"{"handle":"newbie","email":"a b@c"}"#), status: 400,
                 says: "e-mail"),
            Case(name: "body on a delete", method: "DELETE", path: "/v1/channels/\(channel)",
                 body: utf8(#"{"force":true}"#), status: 400, says: "unknown"),
            Case(name: "id that is not a number", method: "PATCH", path: "/v1/channels/1%20OR%201",
                 body: utf8(#"{"name":"x"}"#), status: 404, says: "not found"),
        ]
    }

    @Test func badBodiesAnswerAClear4xxAndChangeNothing() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let token = try #require(space.tokens[.owner])
        let before = try Workspace.snapshot(harness.control, space.tenant)

        for item in Self.cases(channel: space.lobby.rawValue, member: space.pat.rawValue) {
            let reply = harness.send(
                item.method, item.path, token: token, raw: item.body,
                contentType: item.contentType)
            #expect(reply.status == item.status, "\(item.name): \(reply.status) \(reply.error)")
            #expect(reply.error.contains(item.says), "\(item.name): \"\(reply.error)\"")
        }
        #expect(try Workspace.snapshot(harness.control, space.tenant) == before)
    }

    @Test func badLoginBodiesAreRefusedBeforeAnyPasswordCheck() throws {
        let harness = try APIHarness()
        _ = try Workspace(harness, slug: "acme")
        let bodies: [(String, Int)] = [
            (#"{"tenant":"acme","handle":"owner"}"#, 400),
            (#"{"tenant":"acme","handle":"owner","password":12345678901}"#, 400),
            (#"{"tenant":"acme","handle":"owner","password":"x","otp":"1"}"#, 400),
            (#"{"tenant":"acme"#, 400),
        ]
        for (body, status) in bodies {
            #expect(harness.send("POST", "/v1/login", raw: Array(body.utf8)).status == status)
        }
        let right = Workspace.password("owner", "acme")
        let login = harness.send("POST", "/v1/login", json: [
            "tenant": "acme", "handle": "owner", "password": .string(right),
        ])
        #expect(login.status == 200, "malformed bodies must not count as failed logins")
    }
}

import Admin
import Control
import Crypto
import Foundation
import Store
import Testing
import Wire

/// MFA through the `/v1` routes: each policy's allowed and refused calls, switching
/// policies, and the two-step login.
@Suite struct MFARouteTests {
    let harness: APIHarness
    let acme: Workspace

    init() throws {
        harness = try APIHarness()
        acme = try Workspace(harness, slug: "acme")
    }

    func token(_ role: MemberRole) -> String { acme.tokens[role]! }

    func setPolicy(_ policy: String, as role: MemberRole = .owner) -> APIHarness.Reply {
        harness.send("PUT", "/v1/mfa/policy", token: token(role), json: ["policy": .string(policy)])
    }

    /// Enrols and confirms the member with `role`; returns the app's TOTP.
    func enrol(_ role: MemberRole) throws -> TOTP {
        let reply = harness.send("POST", "/v1/mfa/enroll", token: token(role), json: [:])
        #expect(reply.status == 200, "enroll: \(reply.error)")
        let uri = try #require(reply.json?["uri"]?.stringValue)
        let query = URLComponents(string: uri)?.queryItems ?? []
        let secret = try #require(query.first { $0.name == "secret" }?.value.flatMap(Base32.decode))
        let totp = TOTP(secret: Secret(secret))
        let confirmed = harness.send(
            "POST", "/v1/mfa/confirm", token: token(role),
            json: ["code": .string(totp.code(at: harness.nowMs))])
        #expect(confirmed.status == 200, "confirm: \(confirmed.error)")
        #expect(confirmed.json?["recovery_codes"]?.arrayValue?.count == 10)
        return totp
    }

    func login(_ role: MemberRole) -> APIHarness.Reply {
        harness.send("POST", "/v1/login", json: [
            "tenant": "acme", "handle": .string(role.rawValue),
            "password": .string(Workspace.password(role.rawValue, "acme")),
        ])
    }

    @Test func onlyOwnersAndAdminsChangeThePolicy() {
        #expect(setPolicy("enforced", as: .member).status == 403)
        #expect(setPolicy("enforced", as: .auditor).status == 403)
        #expect(setPolicy("sometimes").status == 400)
        #expect(setPolicy("disabled", as: .admin).status == 200)
        #expect(setPolicy("disabled").json?["changed"] == .bool(false))
    }

    @Test func disabledRefusesEnrolment() {
        #expect(setPolicy("disabled").status == 200)
        let reply = harness.send("POST", "/v1/mfa/enroll", token: token(.member), json: [:])
        #expect(reply.status == 403)
        #expect(harness.send("GET", "/v1/channels", token: token(.member)).status == 200)
    }

    @Test func enforcedOpensOnlyEnrolmentUntilConfirmed() throws {
        #expect(setPolicy("enforced").status == 200)
        let member = token(.member)
        let lobby = "/v1/channels/\(acme.lobby.rawValue)/join-token"

        for (method, path) in [("GET", "/v1/channels"), ("GET", "/v1/members"),
                               ("POST", lobby), ("GET", "/v1/audit")] {
            #expect(harness.send(method, path, token: member).status == 403, "\(path)")
        }
        #expect(harness.send("GET", "/v1/mfa", token: member).json?["enrollment_required"]
            == .bool(true))
        #expect(login(.member).json?["mfa_enrollment_required"] == .bool(true))

        _ = try enrol(.member)
        #expect(harness.send("GET", "/v1/channels", token: member).status == 200)
        #expect(harness.send("POST", lobby, token: member).status == 201)
        #expect(harness.send("GET", "/v1/channels", token: token(.auditor)).status == 403)

        #expect(setPolicy("optional").status == 403)  // the owner has not enrolled
        _ = try enrol(.owner)
        #expect(setPolicy("optional").status == 200)
        #expect(harness.send("GET", "/v1/channels", token: token(.auditor)).status == 200)
    }

    @Test func anEnrolledMemberLogsInWithAChallengeAndACode() throws {
        let totp = try enrol(.member)
        harness.nowMs += 30_000

        let first = login(.member)
        #expect(first.json?["mfa_required"] == .bool(true))
        #expect(first.json?["token"] == nil)
        let challenge = try #require(first.json?["challenge"]?.stringValue)
        let code = totp.code(at: harness.nowMs)

        let wrongCode = code == "000000" ? "000001" : "000000"
        let wrong = harness.send("POST", "/v1/login/mfa", json: [
            "challenge": .string(challenge), "code": .string(wrongCode),
        ])
        #expect(wrong.status == 401)
        #expect(harness.send("POST", "/v1/login/mfa", json: [
            "challenge": .string(challenge), "code": "12 34",
        ]).status == 400)
        let done = harness.send("POST", "/v1/login/mfa", json: [
            "challenge": .string(challenge), "code": .string(code),
        ])
        #expect(done.status == 200)
        let session = try #require(done.json?["token"]?.stringValue)
        #expect(harness.send("GET", "/v1/channels", token: session).status == 200)
    }

    @Test func anAdminResetsAMembersMFAThroughTheAPI() throws {
        _ = try enrol(.member)
        let path = "/v1/members/\(acme.ids[.member]!.rawValue)/mfa"

        #expect(harness.send("DELETE", path, token: token(.auditor)).status == 403)
        #expect(harness.send("DELETE", path, token: token(.admin)).json?["changed"] == .bool(true))
        #expect(login(.member).json?["token"] != nil)
    }
}

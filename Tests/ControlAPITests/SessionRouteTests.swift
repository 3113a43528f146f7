import Admin
import Control
import Foundation
import Store
import Testing
import Wire

/// Login, logout, throttling, invitations and join tokens through the API.
@Suite struct SessionRouteTests {
    func login(
        _ harness: APIHarness, _ handle: String, _ password: String, ip: String = "192.0.2.10"
    ) -> APIHarness.Reply {
        harness.send("POST", "/v1/login", raw: JSONValue.object([
            "tenant": "acme", "handle": .string(handle), "password": .string(password),
        ]).encoded(), ip: ip)
    }

    @Test func repeatedWrongPasswordsAnswer429WithRetryAfter() throws {
        let harness = try APIHarness()
        _ = try Workspace(harness, slug: "acme")
        let replies = (0..<5).map { _ in login(harness, "member", "wrong password!") }
        let throttled = login(harness, "member", Workspace.password("member", "acme"))

        #expect(replies.map(\.status) == [401, 401, 401, 401, 401])
        #expect(throttled.status == 429)
        #expect(Int(throttled.header("Retry-After") ?? "") ?? 0 > 0)
        harness.nowMs += 16 * 60_000
        #expect(login(harness, "member", Workspace.password("member", "acme")).status == 200)
    }

    @Test func unknownHandleAndWrongPasswordLookTheSame() throws {
        let harness = try APIHarness()
        _ = try Workspace(harness, slug: "acme")
        let unknown = login(harness, "nobody", "whatever password")
        let wrong = login(harness, "owner", "whatever password")
        #expect(unknown.status == 401 && wrong.status == 401 && unknown.error == wrong.error)
    }

    @Test func logoutEndsTheSession() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let token = try #require(space.tokens[.member])

        #expect(harness.send("GET", "/v1/me", token: token).status == 200)
        #expect(harness.send("POST", "/v1/logout", token: token).status == 204)
        let after = harness.send("GET", "/v1/me", token: token)
        #expect(after.status == 401 && after.header("WWW-Authenticate") == "Bearer")
        #expect(harness.send("GET", "/v1/channels").status == 401)
    }

    @Test func sessionsExpire() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        harness.nowMs += ControlPlane.sessionLifetimeMs
        #expect(harness.send("GET", "/v1/me", token: space.tokens[.owner]).status == 401)
    }

    @Test func anInvitedMemberAcceptsAndLogsIn() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let invite = harness.send("POST", "/v1/members", token: space.tokens[.admin], json: [
            "handle": "newbie", "email": "newbie@acme.example", "role": "member",
        ])
        let invitation = try #require(invite.json?["invitation_token"]?.stringValue)
        #expect(invite.status == 201 && invite.json?["member"]?["status"] == "invited")

        let short = harness.send(
            "POST", "/v1/invitations/accept", json: ["token": .string(invitation),
                                                     "password": "short"])
        let accept = harness.send(
            "POST", "/v1/invitations/accept", json: ["token": .string(invitation),
                                                     "password": "a long new password"])
        let again = harness.send(
            "POST", "/v1/invitations/accept", json: ["token": .string(invitation),
                                                     "password": "a long new password"])

        #expect(short.status == 400 && accept.status == 200 && again.status == 401)
        #expect(login(harness, "newbie", "a long new password").status == 200)
    }

    @Test func aRemovedMembersSessionStopsWorking() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let memberID = try #require(space.ids[.member])
        let remove = harness.send(
            "DELETE", "/v1/members/\(memberID.rawValue)", token: space.tokens[.owner])

        #expect(remove.status == 200 && remove.json?["changed"] == true)
        #expect(harness.send("GET", "/v1/me", token: space.tokens[.member]).status == 401)
        let relogin = login(harness, "member", Workspace.password("member", "acme"))
        #expect(relogin.status == 401)
    }

    @Test func aJoinTokenFromTheAPIAdmitsItsMemberOnce() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let reply = harness.send(
            "POST", "/v1/channels/\(space.lobby.rawValue)/join-token", token: space.tokens[.member])
        let token = try #require(reply.json?["token"]?.stringValue)

        let admission = try harness.control.redeemJoinToken(token, now: harness.nowMs)
        #expect(admission.member == space.ids[.member] && admission.channel == space.lobby)
        #expect(throws: JoinTokenError.alreadyUsed) {
            try harness.control.redeemJoinToken(token, now: harness.nowMs)
        }
    }

    @Test func noJoinTokenForAChannelOneIsNotAssignedTo() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let side = try harness.control.createChannel(
            tenant: space.tenant, name: "side", actor: .system)
        let reply = harness.send(
            "POST", "/v1/channels/\(side.rawValue)/join-token", token: space.tokens[.member])
        #expect(reply.status == 403)
    }

    @Test func auditEventsCarryTheClientAddress() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        _ = harness.send("POST", "/v1/channels", token: space.tokens[.owner], json: ["name": "x1"])
        let events = try harness.control.store.read {
            try $0.auditEvents(TenantScope(space.tenant))
        }
        let create = try #require(events.last)
        #expect(create.entry.action == "channel.create" && create.entry.ip == "192.0.2.10")
        #expect(create.entry.requestID?.isEmpty == false)
    }

    @Test func noSecretReachesTheDatabaseFiles() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let join = harness.send(
            "POST", "/v1/channels/\(space.lobby.rawValue)/join-token", token: space.tokens[.member])
        let invite = harness.send(
            "POST", "/v1/members", token: space.tokens[.owner], json: ["handle": "newbie"])
        var secrets = Array(space.tokens.values)
        secrets += MemberRole.allCases.map { Workspace.password($0.rawValue, "acme") }
        secrets += [join.json?["token"]?.stringValue, invite.json?["invitation_token"]?.stringValue]
            .compactMap { $0 }
        #expect(secrets.count == 10)

        let files = try FileManager.default.contentsOfDirectory(atPath: harness.directory)
        #expect(files.contains("whoot.db"))
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: harness.directory + "/" + file))
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds a secret")
            }
        }
    }
}

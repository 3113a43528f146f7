import Admin
import Control
import Store
import Testing
import Wire

/// What each role may and may not do, through the API. A refused action answers 403 and
/// leaves the tenant exactly as it was.
@Suite struct RoleRouteTests {
    /// An action and the roles allowed to take it. `prepare` makes fresh objects for it
    /// (by the system actor) and returns the path and body to send.
    struct Action {
        let name: String
        let method: String
        let allowed: Set<MemberRole>
        let prepare: (APIHarness, Workspace) throws -> (path: String, body: JSONValue?)
    }

    static let runners: Set<MemberRole> = [.owner, .admin]
    static let everyone = Set(MemberRole.allCases)

    static let actions: [Action] = [
        Action(name: "list channels", method: "GET", allowed: everyone) { _, _ in
            ("/v1/channels", nil)
        },
        Action(name: "list members", method: "GET", allowed: everyone) { _, _ in
            ("/v1/members", nil)
        },
        Action(name: "me", method: "GET", allowed: everyone) { _, _ in ("/v1/me", nil) },
        Action(name: "read audit", method: "GET", allowed: [.owner, .admin, .auditor]) { _, _ in
            ("/v1/audit", nil)
        },
        Action(name: "create channel", method: "POST", allowed: runners) { _, _ in
            ("/v1/channels", ["name": .string("new-\(UInt32.random(in: 0...UInt32.max))")])
        },
        Action(name: "rename channel", method: "PATCH", allowed: runners) { harness, space in
            let id = try scratchChannel(harness, space)
            return ("/v1/channels/\(id.rawValue)", ["name": .string("re-\(id.rawValue)")])
        },
        Action(name: "delete channel", method: "DELETE", allowed: runners) { harness, space in
            ("/v1/channels/\(try scratchChannel(harness, space).rawValue)", nil)
        },
        Action(name: "invite member", method: "POST", allowed: runners) { _, _ in
            ("/v1/members", ["handle": .string("n\(UInt32.random(in: 0...UInt32.max))")])
        },
        Action(name: "assign", method: "PUT", allowed: runners) { harness, space in
            let channel = try scratchChannel(harness, space)
            return ("/v1/channels/\(channel.rawValue)/members/\(space.pat.rawValue)", nil)
        },
        Action(name: "unassign", method: "DELETE", allowed: runners) { harness, space in
            let member = try scratchMember(harness, space)
            return ("/v1/channels/\(space.lobby.rawValue)/members/\(member.rawValue)", nil)
        },
        Action(name: "change role", method: "PUT", allowed: runners) { harness, space in
            ("/v1/members/\(try scratchMember(harness, space).rawValue)/role",
             ["role": "auditor"])
        },
        Action(name: "remove member", method: "DELETE", allowed: runners) { harness, space in
            ("/v1/members/\(try scratchMember(harness, space).rawValue)", nil)
        },
        Action(name: "join token", method: "POST", allowed: [.owner, .admin, .member]) {
            _, space in ("/v1/channels/\(space.lobby.rawValue)/join-token", nil)
        },
    ]

    static func scratchChannel(_ harness: APIHarness, _ space: Workspace) throws -> ChannelID {
        try harness.control.createChannel(
            tenant: space.tenant, name: "s\(UInt32.random(in: 0...UInt32.max))", actor: .system)
    }

    /// A member assigned to lobby.
    static func scratchMember(_ harness: APIHarness, _ space: Workspace) throws -> MemberID {
        let id = try harness.control.inviteMember(
            tenant: space.tenant, handle: "m\(UInt32.random(in: 0...UInt32.max))",
            actor: .system)
        try harness.control.assign(member: id, channel: space.lobby, in: space.tenant,
                                   actor: .system)
        return id
    }

    @Test(arguments: MemberRole.allCases)
    func eachRoleMayDoExactlyWhatItsPermissionsGrant(role: MemberRole) throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let token = try #require(space.tokens[role])

        for action in Self.actions {
            let (path, body) = try action.prepare(harness, space)
            let before = try Workspace.snapshot(harness.control, space.tenant)
            let reply = body.map { harness.send(action.method, path, token: token, json: $0) }
                ?? harness.send(action.method, path, token: token)

            if action.allowed.contains(role) {
                #expect((200..<300).contains(reply.status),
                        "\(role) \(action.name): \(reply.status) \(reply.error)")
            } else {
                #expect(reply.status == 403, "\(role) \(action.name): \(reply.status)")
                #expect(try Workspace.snapshot(harness.control, space.tenant) == before,
                        "\(role) \(action.name) changed something")
            }
        }
    }

    @Test func onlyAnOwnerGrantsOrTakesAwayOwner() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let admin = try #require(space.tokens[.admin])
        let ownerID = try #require(space.ids[.owner])
        let before = try Workspace.snapshot(harness.control, space.tenant)

        let promote = harness.send(
            "PUT", "/v1/members/\(space.pat.rawValue)/role", token: admin, json: ["role": "owner"])
        let demote = harness.send(
            "PUT", "/v1/members/\(ownerID.rawValue)/role", token: admin, json: ["role": "member"])
        let invite = harness.send(
            "POST", "/v1/members", token: admin, json: ["handle": "boss", "role": "owner"])
        let remove = harness.send("DELETE", "/v1/members/\(ownerID.rawValue)", token: admin)

        let statuses = [promote.status, demote.status, invite.status, remove.status]
        #expect(statuses == [403, 403, 403, 403])
        #expect(try Workspace.snapshot(harness.control, space.tenant) == before)
    }

    @Test func nobodyRemovesThemselvesOrChangesTheirOwnRole() throws {
        let harness = try APIHarness()
        let space = try Workspace(harness, slug: "acme")
        let owner = try #require(space.tokens[.owner])
        let ownerID = try #require(space.ids[.owner])

        let remove = harness.send("DELETE", "/v1/members/\(ownerID.rawValue)", token: owner)
        let role = harness.send(
            "PUT", "/v1/members/\(ownerID.rawValue)/role", token: owner, json: ["role": "admin"])

        #expect(remove.status == 403 && role.status == 403)
    }
}

import Admin
import Control
import Store
import Testing
import Wire

/// Tenant isolation through the HTTPS API: every route that takes an id, given another
/// tenant's id, answers 404 exactly as for an id that exists nowhere, and changes nothing.
@Suite struct CrossTenantRouteTests {
    /// One API call that names objects by id.
    struct Call {
        let name: String
        let method: String
        let path: String
        let body: JSONValue?
    }

    /// Every id-taking route, with `channel` and `member` substituted.
    static func calls(channel: Int64, member: Int64, ownChannel: Int64, ownMember: Int64)
        -> [Call]
    {
        [
            Call(name: "rename channel", method: "PATCH", path: "/v1/channels/\(channel)",
                 body: ["name": "renamed"]),
            Call(name: "delete channel", method: "DELETE", path: "/v1/channels/\(channel)",
                 body: nil),
            Call(name: "assign to their channel", method: "PUT",
                 path: "/v1/channels/\(channel)/members/\(ownMember)", body: nil),
            Call(name: "assign their member", method: "PUT",
                 path: "/v1/channels/\(ownChannel)/members/\(member)", body: nil),
            Call(name: "assign their member to their channel", method: "PUT",
                 path: "/v1/channels/\(channel)/members/\(member)", body: nil),
            Call(name: "unassign from their channel", method: "DELETE",
                 path: "/v1/channels/\(channel)/members/\(ownMember)", body: nil),
            Call(name: "unassign their member", method: "DELETE",
                 path: "/v1/channels/\(ownChannel)/members/\(member)", body: nil),
            Call(name: "unassign their member from their channel", method: "DELETE",
                 path: "/v1/channels/\(channel)/members/\(member)", body: nil),
            Call(name: "join token", method: "POST", path: "/v1/channels/\(channel)/join-token",
                 body: nil),
            Call(name: "remove member", method: "DELETE", path: "/v1/members/\(member)",
                 body: nil),
            Call(name: "change role", method: "PUT", path: "/v1/members/\(member)/role",
                 body: ["role": "auditor"]),
        ]
    }

    func send(_ harness: APIHarness, _ call: Call, token: String) -> APIHarness.Reply {
        if let body = call.body {
            return harness.send(call.method, call.path, token: token, json: body)
        }
        return harness.send(call.method, call.path, token: token)
    }

    @Test(arguments: MemberRole.allCases)
    func anotherTenantsIdsAnswerLikeMissingIdsAndChangeNothing(role: MemberRole) throws {
        let harness = try APIHarness()
        let acme = try Workspace(harness, slug: "acme")
        let other = try Workspace(harness, slug: "other")
        let token = try #require(acme.tokens[role])
        let missing: Int64 = 9_999_999
        let before = try Workspace.snapshot(harness.control, other.tenant)
        let ownBefore = try Workspace.snapshot(harness.control, acme.tenant)

        let foreign = Self.calls(
            channel: other.lobby.rawValue, member: other.pat.rawValue,
            ownChannel: acme.lobby.rawValue, ownMember: acme.pat.rawValue)
        let absent = Self.calls(
            channel: missing, member: missing, ownChannel: acme.lobby.rawValue,
            ownMember: acme.pat.rawValue)
        for (call, control) in zip(foreign, absent) {
            let reply = send(harness, call, token: token)
            let expected = send(harness, control, token: token)
            #expect(reply.status == expected.status, "\(role) \(call.name)")
            #expect(reply.status == 404 || reply.status == 403, "\(role) \(call.name)")
            if role == .owner || role == .admin || call.name == "join token" && role != .auditor {
                #expect(reply.status == 404, "\(role) \(call.name): \(reply.error)")
            }
            let normalized = reply.error
                .replacingOccurrences(of: "\(other.lobby.rawValue)", with: "ID")
                .replacingOccurrences(of: "\(other.pat.rawValue)", with: "ID")
            #expect(normalized == expected.error.replacingOccurrences(of: "\(missing)", with: "ID"))
        }

        #expect(try Workspace.snapshot(harness.control, other.tenant) == before)
        #expect(try Workspace.snapshot(harness.control, acme.tenant) == ownBefore)
        let theirs = harness.send("GET", "/v1/channels", token: other.tokens[.owner])
        let names = theirs.json?["channels"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["lobby"])
    }

    /// Random routes with ids drawn from both tenants and from nowhere: a call naming any
    /// id outside the caller's tenant answers 404; one naming only the caller's own never
    /// does. The other tenant never changes.
    @Test func randomlySwappedIdsNeverReachAnotherTenant() throws {
        let harness = try APIHarness()
        let acme = try Workspace(harness, slug: "acme")
        let other = try Workspace(harness, slug: "other")
        let token = try #require(acme.tokens[.owner])
        let ownerID = try #require(acme.ids[.owner])
        let before = try Workspace.snapshot(harness.control, other.tenant)
        let seed = UInt64.random(in: 1...UInt64.max)
        var random = SplitMix(seed: seed)
        for name in ["side", "back", "quiet"] {
            try harness.control.createChannel(tenant: acme.tenant, name: name, actor: .system)
        }
        let theirChannels = try harness.control.channels(tenant: other.tenant).map(\.id.rawValue)
        let theirMembers = try harness.control.members(tenant: other.tenant).map(\.id.rawValue)

        for round in 0..<150 {
            let ourChannels = try harness.control.channels(tenant: acme.tenant).map(\.id.rawValue)
            let ourMembers = try harness.control.members(tenant: acme.tenant)
                .filter { $0.id != ownerID }.map(\.id.rawValue)
            let channelPool = ourChannels + theirChannels + [424_242]
            let memberPool = ourMembers + theirMembers + [434_343]
            let channel = channelPool[Int(random.next() % UInt64(channelPool.count))]
            let member = memberPool[Int(random.next() % UInt64(memberPool.count))]
            let calls = Self.calls(
                channel: channel, member: member,
                ownChannel: ourChannels.first ?? acme.lobby.rawValue,
                ownMember: ourMembers.first ?? acme.pat.rawValue)
            let call = calls[Int(random.next() % UInt64(calls.count))]
            let segments = call.path.split(separator: "/").map(String.init)
            let named = { (noun: String) -> Int64? in
                segments.firstIndex(of: noun).flatMap {
                    $0 + 1 < segments.count ? Int64(segments[$0 + 1]) : nil
                }
            }
            let foreign = named("channels").map { !ourChannels.contains($0) } == true
                || named("members").map { !ourMembers.contains($0) } == true

            let reply = send(harness, call, token: token)
            let context = "seed \(seed) round \(round): \(call.method) \(call.path)"
            if foreign {
                #expect(reply.status == 404, "\(context) -> \(reply.status) \(reply.error)")
            } else {
                #expect(reply.status != 404, "\(context) -> \(reply.status) \(reply.error)")
            }
        }
        #expect(try Workspace.snapshot(harness.control, other.tenant) == before)
    }
}

/// A small seeded generator, so a failing run can be repeated from its printed seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

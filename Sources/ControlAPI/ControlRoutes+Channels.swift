import Admin
import Control
import HTTPEdge
import Store
import Wire

/// Channels, assignments and join tokens.
extension ControlRoutes {
    func registerChannelRoutes(on router: inout Router) {
        router.add("GET", "/v1/channels", signedIn(listChannels))
        router.add("POST", "/v1/channels", signedIn(createChannel))
        router.add("PATCH", "/v1/channels/:channel", signedIn(renameChannel))
        router.add("DELETE", "/v1/channels/:channel", signedIn(deleteChannel))
        router.add("PUT", "/v1/channels/:channel/members/:member", signedIn(assign))
        router.add("DELETE", "/v1/channels/:channel/members/:member", signedIn(unassign))
        router.add("POST", "/v1/channels/:channel/join-token", signedIn(joinToken))
    }

    func listChannels(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        let channels = try control.channels(caller).map { channel in
            let members = try control.assignedMembers(tenant: caller.tenant, channel: channel.id)
            return Self.json(channel, members: members)
        }
        return APIResponse.json(200, ["channels": .array(channels)])
    }

    func createChannel(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        let body = try JSONBody(request, allowed: ["name"])
        let id = try control.createChannel(caller, name: try body.string("name"))
        return APIResponse.json(201, ["id": .int(id.rawValue), "name": body.fields["name"]!])
    }

    func renameChannel(_ caller: Caller, _ request: HTTPRequest, _ params: [String: String])
        throws -> HTTPResponse
    {
        let channel = try Self.channelID(params)
        let body = try JSONBody(request, allowed: ["name"])
        try control.renameChannel(caller, channel: channel, to: try body.string("name"))
        return APIResponse.json(200, ["id": .int(channel.rawValue), "name": body.fields["name"]!])
    }

    func deleteChannel(_ caller: Caller, _ request: HTTPRequest, _ params: [String: String])
        throws -> HTTPResponse
    {
        let channel = try Self.channelID(params)
        _ = try JSONBody(request, allowed: [], allowEmpty: true)
        try control.deleteChannel(caller, channel: channel)
        return APIResponse.noContent
    }

    func assign(_ caller: Caller, _ request: HTTPRequest, _ params: [String: String]) throws
        -> HTTPResponse
    {
        let (channel, member) = (try Self.channelID(params), try Self.memberID(params))
        _ = try JSONBody(request, allowed: [], allowEmpty: true)
        let changed = try control.assign(caller, member: member, channel: channel)
        return APIResponse.json(200, ["changed": .bool(changed)])
    }

    func unassign(_ caller: Caller, _ request: HTTPRequest, _ params: [String: String]) throws
        -> HTTPResponse
    {
        let (channel, member) = (try Self.channelID(params), try Self.memberID(params))
        _ = try JSONBody(request, allowed: [], allowEmpty: true)
        let changed = try control.unassign(caller, member: member, channel: channel)
        return APIResponse.json(200, ["changed": .bool(changed)])
    }

    /// A join token for the caller into a channel they are assigned to, to present at
    /// `POST /whip`. Shown once; only its hash is stored.
    func joinToken(_ caller: Caller, _ request: HTTPRequest, _ params: [String: String]) throws
        -> HTTPResponse
    {
        let channel = try Self.channelID(params)
        _ = try JSONBody(request, allowed: [], allowEmpty: true)
        let now = clock()
        let token = try control.issueJoinToken(
            caller, channel: channel, ttlSeconds: joinTokenTTLSeconds, now: now)
        return APIResponse.json(201, [
            "token": .string(token.reveal),
            "expires_at_ms": .int(now + Int64(joinTokenTTLSeconds) * 1_000),
            "channel_id": .int(channel.rawValue),
        ])
    }

    // MARK: - Ids and JSON

    /// The `:channel` path segment; a segment that is not a positive integer names no
    /// channel, so it answers 404 like an unknown id.
    static func channelID(_ params: [String: String]) throws -> ChannelID {
        guard let text = params["channel"], let raw = Int64(text), raw > 0 else {
            throw ControlError.notFound("channel not found")
        }
        return ChannelID(raw)
    }

    static func memberID(_ params: [String: String]) throws -> MemberID {
        guard let text = params["member"], let raw = Int64(text), raw > 0 else {
            throw ControlError.notFound("member not found")
        }
        return MemberID(raw)
    }

    static func json(_ channel: ChannelRecord, members: [MemberID]) -> JSONValue {
        [
            "id": .int(channel.id.rawValue), "name": .string(channel.name),
            "created_at_ms": .int(channel.createdAtMs),
            "members": .array(members.map { .int($0.rawValue) }),
        ]
    }
}

import Admin
import Control
import HTTPEdge
import Store
import Wire

/// Members: the directory, invitations, removal and roles.
extension ControlRoutes {
    func registerMemberRoutes(on router: inout Router) {
        router.add("GET", "/v1/members", signedIn(listMembers))
        router.add("POST", "/v1/members", signedIn(inviteMember))
        router.add("DELETE", "/v1/members/:member", signedIn(removeMember))
        router.add("PUT", "/v1/members/:member/role", signedIn(setRole))
    }

    func listMembers(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        let members = try control.members(caller).map { member in
            Self.json(
                member,
                channels: try control.assignedChannels(tenant: caller.tenant, member: member.id))
        }
        return APIResponse.json(200, ["members": .array(members)])
    }

    /// Invites a member; the answer carries their invitation token, shown once, for them
    /// to accept at `POST /v1/invitations/accept`.
    func inviteMember(_ caller: Caller, _ request: HTTPRequest, _: [String: String]) throws
        -> HTTPResponse
    {
        let body = try JSONBody(request, allowed: ["handle", "email", "role"])
        let role = try Self.role(try body.optionalString("role") ?? "member")
        let (member, invitation) = try control.inviteMember(
            caller, handle: try body.string("handle"), email: try body.optionalString("email"),
            role: role, now: clock())
        return APIResponse.json(201, [
            "member": Self.json(member, channels: []),
            "invitation_token": .string(invitation.reveal),
        ])
    }

    func removeMember(_ caller: Caller, _ request: HTTPRequest, _ params: [String: String])
        throws -> HTTPResponse
    {
        let member = try Self.memberID(params)
        _ = try JSONBody(request, allowed: [], allowEmpty: true)
        let changed = try control.removeMember(caller, member: member)
        return APIResponse.json(200, ["changed": .bool(changed)])
    }

    func setRole(_ caller: Caller, _ request: HTTPRequest, _ params: [String: String]) throws
        -> HTTPResponse
    {
        let member = try Self.memberID(params)
        let body = try JSONBody(request, allowed: ["role"])
        let role = try Self.role(try body.string("role"))
        let changed = try control.setRole(caller, member: member, to: role)
        return APIResponse.json(200, ["changed": .bool(changed), "role": .string(role.rawValue)])
    }

    static func role(_ text: String) throws -> MemberRole {
        guard let role = MemberRole(rawValue: text) else {
            let names = MemberRole.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError(400, "role must be one of \(names)")
        }
        return role
    }

    static func json(_ member: MemberRecord, channels: [ChannelID]) -> JSONValue {
        [
            "id": .int(member.id.rawValue), "handle": .string(member.handle),
            "email": member.email.map(JSONValue.string) ?? .null,
            "role": .string(member.role.rawValue), "status": .string(member.status.rawValue),
            "created_at_ms": .int(member.createdAtMs),
            "channels": .array(channels.map { .int($0.rawValue) }),
        ]
    }
}

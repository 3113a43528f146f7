import Control
import Store
import Wire

/// The built-in admin commands. Names are `noun.verb`; arguments name things by slug,
/// name and handle, as people type them. Every change is audited by the control plane
/// with the peer's uid as actor.
extension AdminServer {
    func registerBuiltInCommands() {
        register("tenant.create") { [unowned self] request in
            try request.allowOnly(["slug", "name"])
            let slug = try request.string("slug")
            let name = try request.optionalString("name") ?? slug
            try control.createTenant(slug: slug, name: name, actor: request.actor)
            return Self.json(try control.tenant(slug: slug))
        }
        register("tenant.list") { [unowned self] request in
            try request.allowOnly([])
            return ["tenants": .array(try control.tenants().map { Self.json($0) })]
        }
        register("channel.create") { [unowned self] request in
            try request.allowOnly(["tenant", "name"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let id = try control.createChannel(
                tenant: tenant, name: request.string("name"), actor: request.actor)
            return ["id": .int(id.rawValue), "name": .string(try request.string("name"))]
        }
        register("channel.list") { [unowned self] request in
            try request.allowOnly(["tenant"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let members = try control.members(tenant: tenant)
            let handles = Dictionary(uniqueKeysWithValues: members.map { ($0.id, $0.handle) })
            let channels = try control.channels(tenant: tenant).map { channel -> JSONValue in
                let members = try control.assignedMembers(tenant: tenant, channel: channel.id)
                return [
                    "id": .int(channel.id.rawValue), "name": .string(channel.name),
                    "created_at_ms": .int(channel.createdAtMs),
                    "members": .array(members.compactMap { handles[$0].map(JSONValue.string) }),
                ]
            }
            return ["channels": .array(channels)]
        }
        registerMemberCommands()
        registerAssignmentCommands()
        registerMaintenanceCommands()
        registerAuditCommands()
        registerMFACommands()
    }

    private func registerMemberCommands() {
        register("member.invite") { [unowned self] request in
            try request.allowOnly(["tenant", "handle", "email", "role"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let role = try Self.role(request.optionalString("role") ?? "member")
            let id = try control.inviteMember(
                tenant: tenant, handle: request.string("handle"),
                email: request.optionalString("email"), role: role, actor: request.actor)
            return try memberJSON(tenant: tenant, id: id)
        }
        register("member.list") { [unowned self] request in
            try request.allowOnly(["tenant"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let members = try control.members(tenant: tenant).map {
                try memberJSON(tenant: tenant, id: $0.id)
            }
            return ["members": .array(members)]
        }
        register("member.remove") { [unowned self] request in
            try request.allowOnly(["tenant", "member"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let member = try control.memberID(tenant: tenant, handle: request.string("member"))
            let changed = try control.removeMember(
                tenant: tenant, member: member, actor: request.actor)
            return ["member": .string(try request.string("member")), "changed": .bool(changed)]
        }
        register("member.role") { [unowned self] request in
            try request.allowOnly(["tenant", "member", "role"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let member = try control.memberID(tenant: tenant, handle: request.string("member"))
            let role = try Self.role(request.string("role"))
            let changed = try control.changeRole(
                tenant: tenant, member: member, to: role, actor: request.actor)
            return try memberJSON(tenant: tenant, id: member, extra: ["changed": .bool(changed)])
        }
    }

    private func registerAssignmentCommands() {
        register("assign") { [unowned self] request in
            try assignment(request, add: true)
        }
        register("unassign") { [unowned self] request in
            try assignment(request, add: false)
        }
        register("token.join") { [unowned self] request in
            try request.allowOnly(["tenant", "channel", "member", "ttl"])
            let ttl = Int(try request.optionalInt("ttl") ?? 300)
            let now = ControlPlane.wallClockMilliseconds()
            let token = try control.issueJoinToken(
                tenant: request.string("tenant"), channel: request.string("channel"),
                member: request.string("member"), ttlSeconds: ttl, now: now,
                actor: request.actor)
            return [
                "token": .string(token.reveal), "expires_at_ms": .int(now + Int64(ttl) * 1_000),
            ]
        }
    }

    private func assignment(_ request: AdminRequest, add: Bool) throws -> JSONValue {
        try request.allowOnly(["tenant", "channel", "member"])
        let tenant = try control.tenantID(slug: request.string("tenant"))
        let channel = try control.channelID(tenant: tenant, name: request.string("channel"))
        let member = try control.memberID(tenant: tenant, handle: request.string("member"))
        let changed = add
            ? try control.assign(member: member, channel: channel, in: tenant, actor: request.actor)
            : try control.unassign(
                member: member, channel: channel, in: tenant, actor: request.actor)
        return [
            "channel": .string(try request.string("channel")),
            "member": .string(try request.string("member")), "changed": .bool(changed),
        ]
    }

    private func memberJSON(tenant: TenantID, id: MemberID, extra: [String: JSONValue] = [:])
        throws -> JSONValue
    {
        guard let member = try control.members(tenant: tenant).first(where: { $0.id == id })
        else { throw ControlError.notFound("member \(id.rawValue) not found") }
        let channels = Dictionary(
            uniqueKeysWithValues: try control.channels(tenant: tenant).map { ($0.id, $0.name) })
        let assigned = try control.assignedChannels(tenant: tenant, member: id)
        var object: [String: JSONValue] = [
            "id": .int(member.id.rawValue), "handle": .string(member.handle),
            "email": member.email.map(JSONValue.string) ?? .null,
            "role": .string(member.role.rawValue), "status": .string(member.status.rawValue),
            "created_at_ms": .int(member.createdAtMs),
            "channels": .array(assigned.compactMap { channels[$0].map(JSONValue.string) }),
        ]
        object.merge(extra) { _, new in new }
        return .object(object)
    }

    static func role(_ text: String) throws -> MemberRole {
        guard let role = MemberRole(rawValue: text) else {
            let names = MemberRole.allCases.map(\.rawValue).joined(separator: ", ")
            throw AdminError.badRequest("role must be one of \(names)")
        }
        return role
    }

    static func json(_ tenant: TenantRecord) -> JSONValue {
        [
            "id": .int(tenant.id.rawValue), "slug": .string(tenant.slug),
            "name": .string(tenant.name), "created_at_ms": .int(tenant.createdAtMs),
        ]
    }
}

import Store
import Wire

/// The demo workspace that `make run` starts with: tenant "demo", channel "lobby", and
/// members "alice" and "bob" assigned to it.
public struct DemoWorkspace: Sendable, Equatable {
    public let tenant: TenantID
    public let channel: ChannelID
    public let alice: MemberID
    public let bob: MemberID
    public let tenantSlug = "demo"
    public let channelName = "lobby"
}

extension ControlPlane {
    /// Creates whatever part of the demo workspace is missing and returns its ids. Calling
    /// it again changes nothing. Existing demo members are left as they are; a removed
    /// "alice" or "bob" stays removed.
    @discardableResult
    public func ensureDemo() throws -> DemoWorkspace {
        let now = clock()
        let actor = Actor.system

        return try store.write { transaction in
            let tenant: TenantID
            if let existing = try transaction.tenant(slug: "demo") {
                tenant = existing.id
            } else {
                tenant = try transaction.insertTenant(slug: "demo", name: "Demo", nowMs: now)
                try audit(
                    transaction, TenantScope(tenant), actor, .tenantCreate,
                    target: "tenant:\(tenant.rawValue)", at: now,
                    metadata: ["slug": "demo", "name": "Demo"])
            }
            let scope = TenantScope(tenant)

            let channel: ChannelID
            if let existing = try transaction.channel(scope, name: "lobby") {
                channel = existing.id
            } else {
                channel = try transaction.insertChannel(scope, name: "lobby", nowMs: now)
                try audit(
                    transaction, scope, actor, .channelCreate,
                    target: "channel:\(channel.rawValue)", at: now, metadata: ["name": "lobby"])
            }

            var ids: [MemberID] = []
            for handle in ["alice", "bob"] {
                let member: MemberID
                if let existing = try transaction.member(scope, handle: handle) {
                    member = existing.id
                } else {
                    member = try addMember(
                        transaction, scope, handle: handle, email: nil, role: .member,
                        status: .active, actor: actor, now: now)
                    if try transaction.insertAssignment(
                        scope, member: member, channel: channel, nowMs: now)
                    {
                        try audit(
                            transaction, scope, actor, .channelAssign,
                            target: "member:\(member.rawValue)", at: now,
                            metadata: ["channel": channel.rawValue])
                    }
                }
                ids.append(member)
            }
            return DemoWorkspace(tenant: tenant, channel: channel, alice: ids[0], bob: ids[1])
        }
    }
}

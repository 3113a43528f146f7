import Store
import Wire

/// Applying review decisions inside the decision's transaction, with the same audit
/// events and revocations as the direct operations.
extension ControlPlane {
    func applyRole(
        _ transaction: WriteTransaction, _ scope: TenantScope, _ target: MemberRecord,
        _ role: MemberRole, _ actor: Actor, _ now: Int64
    ) throws -> String {
        guard target.role != role else { return role.rawValue }
        _ = try transaction.updateMemberRole(scope, member: target.id, role: role)
        try transaction.deleteCredentials(.session, scope, member: target.id)
        try audit(
            transaction, scope, actor, .memberRole, target: "member:\(target.id.rawValue)",
            at: now, metadata: ["from": target.role.rawValue, "to": role.rawValue])
        announce(
            [Revocation(tenant: scope.tenant, member: target.id, channel: nil,
                        reason: .roleChanged)],
            after: transaction)
        return role.rawValue
    }

    func applyChannels(
        _ transaction: WriteTransaction, _ scope: TenantScope, _ target: MemberRecord,
        _ names: [String], _ actor: Actor, _ now: Int64
    ) throws -> String {
        var wanted: Set<ChannelID> = []
        for name in names {
            guard let channel = try transaction.channel(scope, name: name) else {
                throw ControlError.notFound("channel \"\(name)\" not found")
            }
            wanted.insert(channel.id)
        }
        let current = Set(try transaction.assignedChannels(scope, member: target.id))
        for channel in current.subtracting(wanted).sorted(by: { $0.rawValue < $1.rawValue }) {
            _ = try transaction.deleteAssignment(scope, member: target.id, channel: channel)
            try audit(
                transaction, scope, actor, .channelUnassign,
                target: "member:\(target.id.rawValue)", at: now,
                metadata: ["channel": channel.rawValue])
            announce(
                [Revocation(tenant: scope.tenant, member: target.id, channel: channel,
                            reason: .unassigned)],
                after: transaction)
        }
        for channel in wanted.subtracting(current).sorted(by: { $0.rawValue < $1.rawValue }) {
            _ = try transaction.insertAssignment(
                scope, member: target.id, channel: channel, nowMs: now)
            try audit(
                transaction, scope, actor, .channelAssign, target: "member:\(target.id.rawValue)",
                at: now, metadata: ["channel": channel.rawValue])
        }
        return Set(names).sorted().joined(separator: ";")
    }

    func applyRevoke(
        _ transaction: WriteTransaction, _ scope: TenantScope, _ target: MemberRecord,
        _ actor: Actor, _ now: Int64
    ) throws {
        guard target.status != .removed else { return }
        _ = try transaction.updateMemberStatus(scope, member: target.id, status: .removed)
        _ = try transaction.updatePasswordHash(scope, member: target.id, hash: nil)
        let channels = try transaction.deleteAssignments(scope, member: target.id)
        try transaction.deleteCredentials(.session, scope, member: target.id)
        try transaction.deleteCredentials(.invitation, scope, member: target.id)
        try audit(
            transaction, scope, actor, .memberRemove, target: "member:\(target.id.rawValue)",
            at: now, metadata: ["handle": target.handle, "channels": channels.count])
        announce(
            [Revocation(tenant: scope.tenant, member: target.id, channel: nil,
                        reason: .memberRemoved)],
            after: transaction)
    }
}

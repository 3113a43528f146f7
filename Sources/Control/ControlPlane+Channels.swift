import Store
import Wire

/// Channels and who is assigned to them.
extension ControlPlane {
    /// Creates a channel in `tenant`. `.conflict` when the name is taken there.
    @discardableResult
    public func createChannel(tenant: TenantID, name: String, actor: Actor) throws -> ChannelID {
        let name = try Names.channel(name)
        let scope = TenantScope(tenant)
        let now = clock()

        return try store.write { transaction in
            guard try transaction.tenant(id: tenant) != nil else {
                throw ControlError.notFound("tenant not found")
            }
            guard try transaction.channel(scope, name: name) == nil else {
                throw ControlError.conflict("channel \"\(name)\" already exists")
            }
            let id = try transaction.insertChannel(scope, name: name, nowMs: now)
            try audit(
                transaction, scope, actor, .channelCreate, target: "channel:\(id.rawValue)",
                at: now, metadata: ["name": name])
            return id
        }
    }

    /// Assigns `member` to `channel`, both of `tenant`. Returns false when the assignment
    /// already existed (nothing changes then, and nothing is audited). A removed member
    /// cannot be assigned (`.conflict`).
    @discardableResult
    public func assign(member: MemberID, channel: ChannelID, in tenant: TenantID, actor: Actor)
        throws -> Bool
    {
        let scope = TenantScope(tenant)
        let now = clock()

        return try store.write { transaction in
            let (memberRecord, _) = try requireMemberAndChannel(
                transaction, scope, member: member, channel: channel)
            guard memberRecord.status != .removed else {
                throw ControlError.conflict("member \"\(memberRecord.handle)\" was removed")
            }
            let added = try transaction.insertAssignment(
                scope, member: member, channel: channel, nowMs: now)
            if added {
                try audit(
                    transaction, scope, actor, .channelAssign,
                    target: "member:\(member.rawValue)", at: now,
                    metadata: ["channel": channel.rawValue])
            }
            return added
        }
    }

    /// Removes `member`'s assignment to `channel`; their live sessions in that channel are
    /// revoked. Returns false when there was no such assignment.
    @discardableResult
    public func unassign(member: MemberID, channel: ChannelID, in tenant: TenantID, actor: Actor)
        throws -> Bool
    {
        let scope = TenantScope(tenant)
        let now = clock()

        return try store.write { transaction in
            _ = try requireMemberAndChannel(transaction, scope, member: member, channel: channel)
            guard try transaction.deleteAssignment(scope, member: member, channel: channel)
            else { return false }
            try audit(
                transaction, scope, actor, .channelUnassign, target: "member:\(member.rawValue)",
                at: now, metadata: ["channel": channel.rawValue])
            announce(
                [Revocation(tenant: tenant, member: member, channel: channel, reason: .unassigned)],
                after: transaction)
            return true
        }
    }

    /// Both records, or `.notFound` for whichever is not in the scope's tenant.
    func requireMemberAndChannel(
        _ transaction: ReadTransaction, _ scope: TenantScope, member: MemberID,
        channel: ChannelID
    ) throws -> (MemberRecord, ChannelRecord) {
        guard let memberRecord = try transaction.member(scope, id: member) else {
            throw ControlError.notFound("member \(member.rawValue) not found")
        }
        guard let channelRecord = try transaction.channel(scope, id: channel) else {
            throw ControlError.notFound("channel \(channel.rawValue) not found")
        }
        return (memberRecord, channelRecord)
    }
}

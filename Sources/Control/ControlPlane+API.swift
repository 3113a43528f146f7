import Crypto
import Store
import Wire

/// The operations of the HTTPS API, each on behalf of a signed-in `Caller`. Every id is
/// looked up inside the caller's tenant, so another tenant's object is `.notFound`, the
/// same as one that does not exist; a role without the permission gets `.forbidden`.
extension ControlPlane {
    public func channels(_ caller: Caller) throws -> [ChannelRecord] {
        try caller.require(.readDirectory)
        return try channels(tenant: caller.tenant)
    }

    public func members(_ caller: Caller) throws -> [MemberRecord] {
        try caller.require(.readDirectory)
        return try members(tenant: caller.tenant)
    }

    public func createChannel(_ caller: Caller, name: String) throws -> ChannelID {
        try caller.require(.manageChannels)
        return try createChannel(tenant: caller.tenant, name: name, actor: caller.actor)
    }

    /// Renames a channel; `.conflict` when the new name is taken.
    public func renameChannel(_ caller: Caller, channel: ChannelID, to name: String) throws {
        try caller.require(.manageChannels)
        let name = try Names.channel(name)
        let now = clock()
        try store.write { transaction in
            guard let record = try transaction.channel(caller.scope, id: channel) else {
                throw ControlError.notFound("channel \(channel.rawValue) not found")
            }
            guard record.name != name else { return }
            guard try transaction.channel(caller.scope, name: name) == nil else {
                throw ControlError.conflict("channel \"\(name)\" already exists")
            }
            _ = try transaction.renameChannel(caller.scope, channel: channel, name: name)
            try audit(
                transaction, caller.scope, caller.actor, "channel.rename",
                target: "channel:\(channel.rawValue)", at: now,
                metadata: ["from": record.name, "to": name])
        }
    }

    /// Deletes a channel with its assignments and join tokens; everyone in it is revoked.
    public func deleteChannel(_ caller: Caller, channel: ChannelID) throws {
        try caller.require(.manageChannels)
        let now = clock()
        try store.write { transaction in
            guard let record = try transaction.channel(caller.scope, id: channel) else {
                throw ControlError.notFound("channel \(channel.rawValue) not found")
            }
            let members = try transaction.assignedMembers(caller.scope, channel: channel)
            try channelDeletionHooks.run(transaction, caller.scope, channel, caller.actor, now)
            _ = try transaction.deleteChannel(caller.scope, channel: channel)
            try audit(
                transaction, caller.scope, caller.actor, "channel.delete",
                target: "channel:\(channel.rawValue)", at: now, metadata: ["name": record.name])
            announce(
                members.map {
                    Revocation(tenant: caller.tenant, member: $0, channel: channel,
                               reason: .channelDeleted)
                }, after: transaction)
        }
    }

    public func assign(_ caller: Caller, member: MemberID, channel: ChannelID) throws -> Bool {
        try caller.require(.manageMembers)
        return try assign(member: member, channel: channel, in: caller.tenant, actor: caller.actor)
    }

    public func unassign(_ caller: Caller, member: MemberID, channel: ChannelID) throws -> Bool {
        try caller.require(.manageMembers)
        return try unassign(
            member: member, channel: channel, in: caller.tenant, actor: caller.actor)
    }

    /// Removes a member. Nobody removes themselves, and only an owner removes an owner.
    public func removeMember(_ caller: Caller, member: MemberID) throws -> Bool {
        try caller.require(.manageMembers)
        let target = try requireMember(caller, member)
        guard member != caller.member else {
            throw ControlError.forbidden("you cannot remove yourself")
        }
        if target.role == .owner && caller.role != .owner {
            throw ControlError.forbidden("only an owner may remove an owner")
        }
        return try removeMember(tenant: caller.tenant, member: member, actor: caller.actor)
    }

    /// Changes a member's role. Nobody changes their own role, and only an owner grants
    /// or takes away `owner`.
    public func setRole(_ caller: Caller, member: MemberID, to role: MemberRole) throws -> Bool {
        try caller.require(.manageRoles)
        let target = try requireMember(caller, member)
        guard member != caller.member else {
            throw ControlError.forbidden("you cannot change your own role")
        }
        if (role == .owner || target.role == .owner) && caller.role != .owner {
            throw ControlError.forbidden("only an owner may grant or take away owner")
        }
        return try changeRole(tenant: caller.tenant, member: member, to: role, actor: caller.actor)
    }

    /// A join token for the caller themselves, into a channel they are assigned to.
    public func issueJoinToken(_ caller: Caller, channel: ChannelID, now: Int64) throws
        -> Secret<String>
    {
        try caller.require(.joinChannel)
        return try issueJoinToken(
            tenant: caller.tenant, channel: channel, member: caller.member, now: now,
            actor: caller.actor)
    }

    /// The caller's tenant's audit events after `afterSeq` (admins, owners, auditors).
    public func auditEvents(_ caller: Caller, afterSeq: Int64 = 0, limit: Int = 1_000) throws
        -> [AuditRecord]
    {
        try caller.require(.readAudit)
        return try store.read {
            try $0.auditEvents(caller.scope, afterSeq: afterSeq, limit: min(limit, 10_000))
        }
    }

    private func requireMember(_ caller: Caller, _ member: MemberID) throws -> MemberRecord {
        guard let record = try store.read({ try $0.member(caller.scope, id: member) }) else {
            throw ControlError.notFound("member \(member.rawValue) not found")
        }
        return record
    }
}

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
        try renameChannel(tenant: caller.tenant, channel: channel, to: name, actor: caller.actor)
    }

    /// Deletes a channel with its assignments and join tokens; everyone in it is revoked.
    public func deleteChannel(_ caller: Caller, channel: ChannelID) throws {
        try caller.require(.manageChannels)
        try deleteChannel(tenant: caller.tenant, channel: channel, actor: caller.actor)
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
    /// - Parameter ttlSeconds: lifetime, within `joinTokenTTLRange`.
    public func issueJoinToken(
        _ caller: Caller, channel: ChannelID, ttlSeconds: Int = 300, now: Int64
    ) throws -> Secret<String> {
        try caller.require(.joinChannel)
        return try issueJoinToken(
            tenant: caller.tenant, channel: channel, member: caller.member,
            ttlSeconds: ttlSeconds, now: now, actor: caller.actor)
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

    func requireMember(_ caller: Caller, _ member: MemberID) throws -> MemberRecord {
        guard let record = try store.read({ try $0.member(caller.scope, id: member) }) else {
            throw ControlError.notFound("member \(member.rawValue) not found")
        }
        return record
    }
}

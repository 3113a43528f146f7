import Crypto
import Store
import Wire

/// Changes made by tenant id rather than by a signed-in caller: the admin socket and the
/// caller-scoped API methods both end here, so each change is written and audited once.
extension ControlPlane {
    /// Renames a channel of `tenant`; `.notFound` when the channel is not in the tenant,
    /// `.conflict` when the new name is taken. Renaming to the same name changes nothing.
    public func renameChannel(tenant: TenantID, channel: ChannelID, to name: String, actor: Actor)
        throws
    {
        let name = try Names.channel(name)
        let scope = TenantScope(tenant)
        let now = clock()

        try store.write { transaction in
            guard let record = try transaction.channel(scope, id: channel) else {
                throw ControlError.notFound("channel \(channel.rawValue) not found")
            }
            guard record.name != name else { return }
            guard try transaction.channel(scope, name: name) == nil else {
                throw ControlError.conflict("channel \"\(name)\" already exists")
            }
            _ = try transaction.renameChannel(scope, channel: channel, name: name)
            try audit(
                transaction, scope, actor, .channelRename, target: "channel:\(channel.rawValue)",
                at: now, metadata: ["from": record.name, "to": name])
        }
    }

    /// Deletes a channel of `tenant` with its assignments and join tokens; everyone
    /// assigned to it is revoked after the commit.
    public func deleteChannel(tenant: TenantID, channel: ChannelID, actor: Actor) throws {
        let scope = TenantScope(tenant)
        let now = clock()

        try store.write { transaction in
            guard let record = try transaction.channel(scope, id: channel) else {
                throw ControlError.notFound("channel \(channel.rawValue) not found")
            }
            let members = try transaction.assignedMembers(scope, channel: channel)
            try channelDeletionHooks.run(transaction, scope, channel, actor, now)
            _ = try transaction.deleteChannel(scope, channel: channel)
            try audit(
                transaction, scope, actor, .channelDelete, target: "channel:\(channel.rawValue)",
                at: now, metadata: ["name": record.name])
            announce(
                members.map {
                    Revocation(
                        tenant: tenant, member: $0, channel: channel, reason: .channelDeleted)
                }, after: transaction)
        }
    }

    /// Sets a member's password (Argon2id), for an operator on the admin socket. An invited
    /// member becomes active, as if they had accepted their invitation; their pending
    /// invitations and their login sessions end. A removed member stays removed (`.conflict`).
    public func setPassword(
        tenant: TenantID, member: MemberID, password: Secret<String>, actor: Actor
    ) throws {
        guard Passwords.lengthRange.contains(password.reveal.count) else {
            throw ControlError.badRequest(
                "password must be \(Passwords.lengthRange.lowerBound) to "
                    + "\(Passwords.lengthRange.upperBound) characters")
        }
        let hash = try Passwords.hash(password)
        let scope = TenantScope(tenant)
        let now = clock()

        try store.write { transaction in
            guard let record = try transaction.member(scope, id: member) else {
                throw ControlError.notFound("member \(member.rawValue) not found")
            }
            guard record.status != .removed else {
                throw ControlError.conflict("member \"\(record.handle)\" was removed")
            }
            _ = try transaction.updatePasswordHash(scope, member: member, hash: hash)
            if record.status == .invited {
                _ = try transaction.updateMemberStatus(scope, member: member, status: .active)
            }
            try transaction.deleteCredentials(.invitation, scope, member: member)
            try transaction.deleteCredentials(.session, scope, member: member)
            try audit(
                transaction, scope, actor, .memberPassword, target: "member:\(member.rawValue)",
                at: now, metadata: ["activated": record.status == .invited])
        }
    }
}

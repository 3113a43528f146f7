import Crypto
import Store
import Wire

/// Invitations: an admin invites a member and hands them a one-time invitation token;
/// the member accepts it with a password of their choosing and becomes active.
extension ControlPlane {
    /// Invites a member on behalf of `caller` (needs `manageMembers`; only an owner may
    /// invite an owner) and returns the member and their invitation token, shown once.
    public func inviteMember(
        _ caller: Caller, handle: String, email: String?, role: MemberRole, now: Int64
    ) throws -> (member: MemberRecord, invitation: Secret<String>) {
        try caller.require(.manageMembers)
        if role == .owner && caller.role != .owner {
            throw ControlError.forbidden("only an owner may invite an owner")
        }
        let handle = try Names.handle(handle)
        let email = try email.map(Names.email)
        let token = "wit_" + Base64URL.encode(SecureRandom.bytes(32))

        let member = try store.write { transaction -> MemberRecord in
            let id = try addMember(
                transaction, caller.scope, handle: handle, email: email, role: role,
                status: .invited, actor: caller.actor, now: now)
            try transaction.insertCredential(
                .invitation, caller.scope, hash: Digest.sha256(token), member: id, nowMs: now,
                expiresAtMs: now + Self.invitationLifetimeMs)
            guard let record = try transaction.member(caller.scope, id: id) else {
                throw ControlError.notFound("member \(id.rawValue) not found")
            }
            return record
        }
        return (member, Secret(token))
    }

    /// Accepts an invitation: sets the password (Argon2id) and makes the member active.
    /// The invitation is used up. `.unauthorized` for an unknown or expired invitation.
    public func acceptInvitation(_ token: String, password: Secret<String>, now: Int64)
        throws -> MemberRecord
    {
        let length = password.reveal.count
        guard Passwords.lengthRange.contains(length) else {
            throw ControlError.badRequest(
                "password must be \(Passwords.lengthRange.lowerBound) to "
                    + "\(Passwords.lengthRange.upperBound) characters")
        }
        let hash = try Passwords.hash(password)
        let tokenHash = Digest.sha256(token)
        let refused = ControlError.unauthorized("invitation is not valid")

        return try store.write { transaction in
            guard let invitation = try transaction.credential(.invitation, hash: tokenHash),
                now < invitation.expiresAtMs
            else { throw refused }
            let scope = TenantScope(invitation.tenant)
            guard let member = try transaction.member(scope, id: invitation.member),
                member.status == .invited
            else { throw refused }

            _ = try transaction.deleteCredential(.invitation, scope, hash: tokenHash)
            _ = try transaction.updatePasswordHash(scope, member: member.id, hash: hash)
            _ = try transaction.updateMemberStatus(scope, member: member.id, status: .active)
            try audit(
                transaction, scope, Actor(.member(member.tenant, member.id)), .memberAccept,
                target: "member:\(member.id.rawValue)", at: now)
            return try transaction.member(scope, id: member.id) ?? member
        }
    }
}

extension ControlPlane {
    /// A fresh invitation token for an invited member, for the admin socket and start-up
    /// (no signed-in caller). Earlier invitations of the member stay valid until used.
    public func issueInvitation(tenant: TenantID, member: MemberID, now: Int64, actor: Actor)
        throws -> Secret<String>
    {
        let token = "wit_" + Base64URL.encode(SecureRandom.bytes(32))
        let scope = TenantScope(tenant)
        try store.write { transaction in
            guard let record = try transaction.member(scope, id: member) else {
                throw ControlError.notFound("member \(member.rawValue) not found")
            }
            guard record.status == .invited else {
                throw ControlError.conflict("member \"\(record.handle)\" is not invited")
            }
            try transaction.insertCredential(
                .invitation, scope, hash: Digest.sha256(token), member: member, nowMs: now,
                expiresAtMs: now + Self.invitationLifetimeMs)
            try audit(
                transaction, scope, actor, .memberInvitation, target: "member:\(member.rawValue)",
                at: now)
        }
        return Secret(token)
    }
}

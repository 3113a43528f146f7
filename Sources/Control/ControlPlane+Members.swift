import Store
import Wire

/// Members: invitation, removal, role changes.
extension ControlPlane {
    /// Invites a member into `tenant` with status `invited`. `.conflict` when the handle is
    /// taken in the tenant.
    @discardableResult
    public func inviteMember(
        tenant: TenantID, handle: String, email: String? = nil, role: MemberRole = .member,
        actor: Actor
    ) throws -> MemberID {
        try addMember(
            tenant: tenant, handle: handle, email: email, role: role, status: .invited,
            actor: actor)
    }

    func addMember(
        tenant: TenantID, handle: String, email: String?, role: MemberRole,
        status: MemberStatus, actor: Actor
    ) throws -> MemberID {
        let handle = try Names.handle(handle)
        let email = try email.map(Names.email)
        let scope = TenantScope(tenant)
        let now = clock()

        return try store.write { transaction in
            try addMember(
                transaction, scope, handle: handle, email: email, role: role, status: status,
                actor: actor, now: now)
        }
    }

    func addMember(
        _ transaction: WriteTransaction, _ scope: TenantScope, handle: String, email: String?,
        role: MemberRole, status: MemberStatus, actor: Actor, now: Int64
    ) throws -> MemberID {
        guard try transaction.tenant(id: scope.tenant) != nil else {
            throw ControlError.notFound("tenant not found")
        }
        guard try transaction.member(scope, handle: handle) == nil else {
            throw ControlError.conflict("member \"\(handle)\" already exists")
        }
        let id = try transaction.insertMember(
            scope, handle: handle, email: email, role: role, status: status, nowMs: now)
        // The e-mail address stays out of the audit metadata: it is personal data, and the
        // member row already holds it.
        try audit(
            transaction, scope, actor, .memberInvite, target: "member:\(id.rawValue)", at: now,
            metadata: ["handle": handle, "role": role.rawValue, "status": status.rawValue])
        return id
    }

    /// Removes a member: status `removed`, password, assignments, login sessions and
    /// invitations dropped, live media sessions revoked.
    /// Removing an already removed member changes nothing and returns false.
    @discardableResult
    public func removeMember(tenant: TenantID, member: MemberID, actor: Actor) throws -> Bool {
        let scope = TenantScope(tenant)
        let now = clock()

        return try store.write { transaction in
            guard let record = try transaction.member(scope, id: member) else {
                throw ControlError.notFound("member \(member.rawValue) not found")
            }
            guard record.status != .removed else { return false }
            _ = try transaction.updateMemberStatus(scope, member: member, status: .removed)
            _ = try transaction.updatePasswordHash(scope, member: member, hash: nil)
            let channels = try transaction.deleteAssignments(scope, member: member)
            try transaction.deleteCredentials(.session, scope, member: member)
            try transaction.deleteCredentials(.invitation, scope, member: member)
            try audit(
                transaction, scope, actor, .memberRemove, target: "member:\(member.rawValue)",
                at: now, metadata: ["handle": record.handle, "channels": channels.count])
            announce(
                [Revocation(tenant: tenant, member: member, channel: nil, reason: .memberRemoved)],
                after: transaction)
            return true
        }
    }

    /// Changes a member's role; their login sessions end and their live media sessions
    /// are revoked, so that they come back under the new role. Returns false when the role
    /// was already `role`.
    @discardableResult
    public func changeRole(tenant: TenantID, member: MemberID, to role: MemberRole, actor: Actor)
        throws -> Bool
    {
        let scope = TenantScope(tenant)
        let now = clock()

        return try store.write { transaction in
            guard let record = try transaction.member(scope, id: member) else {
                throw ControlError.notFound("member \(member.rawValue) not found")
            }
            guard record.status != .removed else {
                throw ControlError.conflict("member \"\(record.handle)\" was removed")
            }
            guard record.role != role else { return false }
            _ = try transaction.updateMemberRole(scope, member: member, role: role)
            try transaction.deleteCredentials(.session, scope, member: member)
            try audit(
                transaction, scope, actor, .memberRole, target: "member:\(member.rawValue)",
                at: now, metadata: ["from": record.role.rawValue, "to": role.rawValue])
            announce(
                [Revocation(tenant: tenant, member: member, channel: nil, reason: .roleChanged)],
                after: transaction)
            return true
        }
    }
}

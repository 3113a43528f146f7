import Wire

extension ReadTransaction {
    private static let memberColumns =
        "SELECT tenant_id, id, handle, email, role, status, created_at_ms FROM members"

    public func member(_ scope: TenantScope, handle: String) throws -> MemberRecord? {
        try scoped(
            scope, Self.memberColumns + " WHERE tenant_id = ?1 AND handle = ?2",
            [.text(handle)]
        ).first.map(Self.memberRecord)
    }

    public func member(_ scope: TenantScope, id: MemberID) throws -> MemberRecord? {
        try scoped(
            scope, Self.memberColumns + " WHERE tenant_id = ?1 AND id = ?2",
            [.integer(id.rawValue)]
        ).first.map(Self.memberRecord)
    }

    public func members(_ scope: TenantScope) throws -> [MemberRecord] {
        try scoped(scope, Self.memberColumns + " WHERE tenant_id = ?1 ORDER BY handle")
            .map(Self.memberRecord)
    }

    /// The stored Argon2id encoded hash of a member's password, if they have one.
    public func passwordHash(_ scope: TenantScope, member: MemberID) throws -> String? {
        try scoped(
            scope, "SELECT password_hash FROM members WHERE tenant_id = ?1 AND id = ?2",
            [.integer(member.rawValue)]
        ).first?.optionalText(0)
    }

    static func memberRecord(_ row: Row) -> MemberRecord {
        MemberRecord(
            tenant: TenantID(row.int(0)), id: MemberID(row.int(1)), handle: row.text(2),
            email: row.optionalText(3), role: MemberRole(rawValue: row.text(4)) ?? .member,
            status: MemberStatus(rawValue: row.text(5)) ?? .removed, createdAtMs: row.int(6))
    }
}

extension WriteTransaction {
    /// Inserts a member. Throws a unique-violation `StoreError` when the handle is taken
    /// in this tenant.
    public func insertMember(
        _ scope: TenantScope, handle: String, email: String?, role: MemberRole,
        status: MemberStatus, nowMs: Int64
    ) throws -> MemberID {
        let id = try insertScoped(
            scope, """
                INSERT INTO members (tenant_id, handle, email, role, status, created_at_ms)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """,
            [.text(handle), .optional(email), .text(role.rawValue), .text(status.rawValue),
             .integer(nowMs)])
        return MemberID(id)
    }

    /// Sets a member's status; returns false when no such member is in the scope.
    public func updateMemberStatus(
        _ scope: TenantScope, member: MemberID, status: MemberStatus
    ) throws -> Bool {
        _ = try scoped(
            scope, "UPDATE members SET status = ?3 WHERE tenant_id = ?1 AND id = ?2",
            [.integer(member.rawValue), .text(status.rawValue)])
        return changes == 1
    }

    /// Sets a member's role; returns false when no such member is in the scope.
    public func updateMemberRole(_ scope: TenantScope, member: MemberID, role: MemberRole)
        throws -> Bool
    {
        _ = try scoped(
            scope, "UPDATE members SET role = ?3 WHERE tenant_id = ?1 AND id = ?2",
            [.integer(member.rawValue), .text(role.rawValue)])
        return changes == 1
    }

    /// Stores a member's Argon2id encoded password hash (nil clears it).
    public func updatePasswordHash(_ scope: TenantScope, member: MemberID, hash: String?)
        throws -> Bool
    {
        _ = try scoped(
            scope, "UPDATE members SET password_hash = ?3 WHERE tenant_id = ?1 AND id = ?2",
            [.integer(member.rawValue), .optional(hash)])
        return changes == 1
    }
}

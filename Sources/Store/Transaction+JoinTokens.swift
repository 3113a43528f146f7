import Wire

extension ReadTransaction {
    /// Finds a join token by the SHA-256 of the token. Deliberately unscoped: the token is
    /// the caller's only credential, and the row names the tenant it belongs to.
    public func joinToken(hash: [UInt8]) throws -> JoinTokenRecord? {
        try capability(
            hash, """
            SELECT token_hash, tenant_id, channel_id, member_id, created_at_ms, expires_at_ms,
                used_at_ms
            FROM join_tokens WHERE token_hash = ?1
            """,
            [.blob(hash)]
        ).first.map { row in
            JoinTokenRecord(
                tokenHash: row.blob(0), tenant: TenantID(row.int(1)),
                channel: ChannelID(row.int(2)), member: MemberID(row.int(3)),
                createdAtMs: row.int(4), expiresAtMs: row.int(5), usedAtMs: row.optionalInt(6))
        }
    }
}

extension WriteTransaction {
    /// Stores a new join token's hash. The token itself is never stored.
    public func insertJoinToken(
        _ scope: TenantScope, hash: [UInt8], channel: ChannelID, member: MemberID,
        nowMs: Int64, expiresAtMs: Int64
    ) throws {
        _ = try scoped(
            scope, """
                INSERT INTO join_tokens (tenant_id, token_hash, channel_id, member_id,
                    created_at_ms, expires_at_ms)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """,
            [.blob(hash), .integer(channel.rawValue), .integer(member.rawValue),
             .integer(nowMs), .integer(expiresAtMs)])
    }

    /// Marks an unused token used. Returns false when it was already used (or is not in
    /// the scope), so two redemptions can never both succeed.
    public func markJoinTokenUsed(_ scope: TenantScope, hash: [UInt8], nowMs: Int64) throws
        -> Bool
    {
        _ = try scoped(
            scope, """
                UPDATE join_tokens SET used_at_ms = ?3
                WHERE tenant_id = ?1 AND token_hash = ?2 AND used_at_ms IS NULL
                """,
            [.blob(hash), .integer(nowMs)])
        return changes == 1
    }

    /// Moves the expiry of an unused token to `untilMs` (a rejoin token whose session is
    /// still live). Returns false when the token is used, gone or not in the scope.
    public func extendJoinToken(_ scope: TenantScope, hash: [UInt8], untilMs: Int64) throws
        -> Bool
    {
        _ = try scoped(
            scope, """
                UPDATE join_tokens SET expires_at_ms = ?3
                WHERE tenant_id = ?1 AND token_hash = ?2 AND used_at_ms IS NULL
                """,
            [.blob(hash), .integer(untilMs)])
        return changes == 1
    }

    /// Deletes tokens that expired before `beforeMs` (housekeeping); returns how many.
    public func deleteExpiredJoinTokens(beforeMs: Int64) throws -> Int {
        try acrossTenants(
            "DELETE FROM join_tokens WHERE expires_at_ms < ?1 RETURNING tenant_id",
            [.integer(beforeMs)]
        ).count
    }
}

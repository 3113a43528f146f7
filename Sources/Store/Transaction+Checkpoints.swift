import Wire

extension ReadTransaction {
    private static let checkpointColumns =
        "SELECT tenant_id, seq, entry_hash, at_ms, key_id, signature FROM audit_checkpoints"

    /// A tenant's checkpoints with `fromSeq <= seq <= throughSeq`, in seq order.
    public func auditCheckpoints(
        _ scope: TenantScope, fromSeq: Int64 = 0, throughSeq: Int64 = .max
    ) throws -> [AuditCheckpoint] {
        try scoped(
            scope, Self.checkpointColumns + """
                 WHERE tenant_id = ?1 AND seq >= ?2 AND seq <= ?3 ORDER BY seq
                """,
            [.integer(fromSeq), .integer(throughSeq)]
        ).map(Self.checkpoint)
    }

    /// The first checkpoint at or after `seq`, if any.
    public func auditCheckpoint(_ scope: TenantScope, atOrAfter seq: Int64) throws
        -> AuditCheckpoint?
    {
        try scoped(
            scope, Self.checkpointColumns + """
                 WHERE tenant_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT 1
                """,
            [.integer(seq)]
        ).first.map(Self.checkpoint)
    }

    /// The tenant's latest checkpoint, if any.
    public func latestAuditCheckpoint(_ scope: TenantScope) throws -> AuditCheckpoint? {
        try scoped(
            scope, Self.checkpointColumns + " WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT 1"
        ).first.map(Self.checkpoint)
    }

    static func checkpoint(_ row: Row) -> AuditCheckpoint {
        AuditCheckpoint(
            tenant: TenantID(row.int(0)), seq: row.int(1), entryHash: row.blob(2),
            atMs: row.int(3), keyID: row.text(4), signature: row.blob(5))
    }
}

extension WriteTransaction {
    /// Stores a signed checkpoint. A second checkpoint at the same seq is ignored.
    public func insertAuditCheckpoint(_ checkpoint: AuditCheckpoint) throws {
        try lockAuditChain(TenantScope(checkpoint.tenant))
        _ = try scoped(
            TenantScope(checkpoint.tenant), """
                INSERT INTO audit_checkpoints (tenant_id, seq, entry_hash, at_ms, key_id,
                    signature)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING
                """,
            [.integer(checkpoint.seq), .blob(checkpoint.entryHash), .integer(checkpoint.atMs),
             .text(checkpoint.keyID), .blob(checkpoint.signature)])
    }
}

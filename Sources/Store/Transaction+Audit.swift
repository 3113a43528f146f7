import Wire

extension ReadTransaction {
    /// A tenant's audit events in sequence order, starting after `afterSeq`.
    public func auditEvents(_ scope: TenantScope, afterSeq: Int64 = 0, limit: Int = 1_000)
        throws -> [AuditRecord]
    {
        try scoped(
            scope, """
                SELECT tenant_id, seq, actor, action, target, at_ms, ip, request_id, metadata
                FROM audit_events WHERE tenant_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3
                """,
            [.integer(afterSeq), .integer(Int64(limit))]
        ).map { row in
            AuditRecord(
                tenant: TenantID(row.int(0)), seq: row.int(1),
                entry: AuditEntry(
                    actor: row.text(2), action: row.text(3), target: row.text(4),
                    atMs: row.int(5), ip: row.optionalText(6), requestID: row.optionalText(7),
                    metadataJSON: row.text(8)))
        }
    }
}

extension WriteTransaction {
    /// Appends an audit event to the scope's tenant log in this transaction, so it commits
    /// or rolls back with the change it records. Returns its sequence number (1, 2, ...).
    @discardableResult
    public func appendAudit(_ scope: TenantScope, _ entry: AuditEntry) throws -> Int64 {
        let rows = try scoped(
            scope, """
                INSERT INTO audit_events (tenant_id, seq, actor, action, target, at_ms, ip,
                    request_id, metadata)
                VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM audit_events
                             WHERE tenant_id = ?1),
                    ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                RETURNING seq
                """,
            [.text(entry.actor), .text(entry.action), .text(entry.target), .integer(entry.atMs),
             .optional(entry.ip), .optional(entry.requestID), .text(entry.metadataJSON)])
        return rows.first?.int(0) ?? 0
    }
}

import Wire

extension ReadTransaction {
    private static let auditColumns = """
        SELECT tenant_id, seq, actor, action, target, at_ms, ip, request_id, metadata,
            body_hash, prev_hash, entry_hash FROM audit_events
        """

    /// A tenant's audit events in sequence order, starting after `afterSeq`, at most
    /// `limit` of them, with `seq <= throughSeq` when given.
    public func auditEvents(
        _ scope: TenantScope, afterSeq: Int64 = 0, throughSeq: Int64 = .max, limit: Int = 1_000
    ) throws -> [AuditRecord] {
        try scoped(
            scope, Self.auditColumns + """
                 WHERE tenant_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4
                """,
            [.integer(afterSeq), .integer(throughSeq), .integer(Int64(limit))]
        ).map(Self.auditRecord)
    }

    /// The last entry of a tenant's log: its seq and entry hash; nil for an empty log.
    public func auditHead(_ scope: TenantScope) throws -> (seq: Int64, entryHash: [UInt8])? {
        try scoped(
            scope, """
                SELECT seq, entry_hash FROM audit_events WHERE tenant_id = ?1
                ORDER BY seq DESC LIMIT 1
                """
        ).first.map { ($0.int(0), $0.blob(1)) }
    }

    static func auditRecord(_ row: Row) -> AuditRecord {
        AuditRecord(
            tenant: TenantID(row.int(0)), seq: row.int(1),
            entry: AuditEntry(
                actor: row.text(2), action: row.text(3), target: row.text(4),
                atMs: row.int(5), ip: row.optionalText(6), requestID: row.optionalText(7),
                metadataJSON: row.text(8)),
            bodyHash: row.blob(9), prevHash: row.blob(10), entryHash: row.blob(11))
    }
}

extension WriteTransaction {
    /// Appends an audit event to the scope's tenant log in this transaction, so it commits
    /// or rolls back with the change it records. The store assigns the next sequence number
    /// (1, 2, ...) and chains the entry to the one before it (`AuditChain`). Empty ip and
    /// request id are stored as absent. Returns the sequence number.
    @discardableResult
    public func appendAudit(_ scope: TenantScope, _ entry: AuditEntry) throws -> Int64 {
        var entry = entry
        if entry.ip == "" { entry.ip = nil }
        if entry.requestID == "" { entry.requestID = nil }
        try lockAuditChain(scope)
        let head = try auditHead(scope)
        let seq = (head?.seq ?? 0) + 1
        let prevHash = head?.entryHash ?? AuditChain.genesis
        let bodyHash = AuditChain.bodyHash(tenant: scope.tenant.rawValue, seq: seq, entry: entry)
        let entryHash = AuditChain.entryHash(prevHash: prevHash, bodyHash: bodyHash)

        _ = try scoped(
            scope, """
                INSERT INTO audit_events (tenant_id, seq, actor, action, target, at_ms, ip,
                    request_id, metadata, body_hash, prev_hash, entry_hash)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                """,
            [.integer(seq), .text(entry.actor), .text(entry.action), .text(entry.target),
             .integer(entry.atMs), .optional(entry.ip), .optional(entry.requestID),
             .text(entry.metadataJSON), .blob(bodyHash), .blob(prevHash), .blob(entryHash)])
        return seq
    }
}

extension Store {
    /// Chains entries written before the hash chain existed (schema version 2 and older),
    /// in sequence order per tenant. The triggers allow this one update: filling the hash
    /// columns of an entry that has none.
    func sealUnchainedAuditEvents() throws {
        try write { transaction in
            let tenants = try transaction.acrossTenants(
                "SELECT DISTINCT tenant_id FROM audit_events WHERE entry_hash IS NULL"
            ).map { TenantID($0.int(0)) }
            for tenant in tenants {
                try transaction.seal(TenantScope(tenant))
            }
        }
    }
}

extension WriteTransaction {
    fileprivate func seal(_ scope: TenantScope) throws {
        var prevHash = AuditChain.genesis
        var after: Int64 = 0
        while true {
            let page = try auditEvents(scope, afterSeq: after, limit: 1_000)
            guard !page.isEmpty else { return }
            for record in page {
                if record.entryHash.count == 32 {
                    prevHash = record.entryHash
                    continue
                }
                let bodyHash = AuditChain.bodyHash(
                    tenant: scope.tenant.rawValue, seq: record.seq, entry: record.entry)
                let entryHash = AuditChain.entryHash(prevHash: prevHash, bodyHash: bodyHash)
                _ = try scoped(
                    scope, """
                        UPDATE audit_events SET body_hash = ?3, prev_hash = ?4, entry_hash = ?5
                        WHERE tenant_id = ?1 AND seq = ?2
                        """,
                    [.integer(record.seq), .blob(bodyHash), .blob(prevHash), .blob(entryHash)])
                prevHash = entryHash
            }
            after = page.last?.seq ?? after
        }
    }
}

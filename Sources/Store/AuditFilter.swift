import Foundation

/// Which audit entries an export selects: a closed time range, a set of action types and
/// one actor. An empty filter selects every entry.
public struct AuditFilter: Sendable, Equatable {
    /// Unix time in ms, inclusive; nil for no bound.
    public var fromMs: Int64?
    /// Unix time in ms, inclusive; nil for no bound.
    public var toMs: Int64?
    /// Action names (`AuditAction` raw values); empty for every action.
    public var actions: Set<String>
    /// Exact actor ("member:7", "uid:0", "system"); nil for every actor.
    public var actor: String?

    public init(
        fromMs: Int64? = nil, toMs: Int64? = nil, actions: Set<String> = [], actor: String? = nil
    ) {
        self.fromMs = fromMs
        self.toMs = toMs
        self.actions = actions
        self.actor = actor
    }

    /// Whether `entry` is selected.
    public func matches(_ entry: AuditEntry) -> Bool {
        if let fromMs, entry.atMs < fromMs { return false }
        if let toMs, entry.atMs > toMs { return false }
        if !actions.isEmpty && !actions.contains(entry.action) { return false }
        if let actor, entry.actor != actor { return false }
        return true
    }
}

extension ReadTransaction {
    /// The first and last seq of the entries `filter` selects, and how many there are;
    /// nil when it selects none.
    public func auditMatchSpan(_ scope: TenantScope, _ filter: AuditFilter) throws
        -> (first: Int64, last: Int64, count: Int64)?
    {
        let actions = filter.actions.isEmpty
            ? SQLValue.null
            : .text(String(decoding: try JSONEncoder().encode(filter.actions.sorted()),
                           as: UTF8.self))
        let row = try scoped(
            scope, """
                SELECT min(seq), max(seq), count(*) FROM audit_events
                WHERE tenant_id = ?1 AND at_ms >= ?2 AND at_ms <= ?3
                    AND (CAST(?4 AS TEXT) IS NULL
                        OR action IN (SELECT value FROM \(dialect.jsonTextArray("?4"))))
                    AND (CAST(?5 AS TEXT) IS NULL OR actor = ?5)
                """,
            [.integer(filter.fromMs ?? .min), .integer(filter.toMs ?? .max), actions,
             .optional(filter.actor)]
        ).first
        guard let row, let first = row.optionalInt(0), let last = row.optionalInt(1) else {
            return nil
        }
        return (first, last, row.int(2))
    }
}

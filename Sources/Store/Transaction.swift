/// A read transaction handed to `Store.read`. Valid only inside the body it was given to.
///
/// Raw SQL is internal to the Store module. Queries of tenant data go through `scoped`,
/// which binds the scope's tenant to `?1` and refuses SQL that does not filter on it.
public class ReadTransaction {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    /// Runs SQL over tenant data: `?1` is bound to the scope's tenant id and the statement
    /// must constrain `tenant_id = ?1` (or, for an INSERT, put `?1` in the `tenant_id`
    /// column, which comes first); the caller's values follow as `?2`...`?N`.
    func scoped(_ scope: TenantScope, _ sql: String, _ values: [SQLValue] = []) throws
        -> [Row]
    {
        precondition(Self.isScoped(sql), "tenant query without tenant filter: \(sql)")
        return try connection.run(sql, [.integer(scope.tenant.rawValue)] + values)
    }

    static func isScoped(_ sql: String) -> Bool {
        if sql.contains("tenant_id = ?1") { return true }
        return sql.hasPrefix("INSERT INTO ") && sql.contains(" (tenant_id, ")
            && sql.contains("VALUES (?1, ")
    }

    /// Runs SQL over data that belongs to no single tenant: the tenant directory itself,
    /// and join-token lookup by hash (the token is the capability and names its tenant).
    func global(_ sql: String, _ values: [SQLValue] = []) throws -> [Row] {
        try connection.run(sql, values)
    }
}

/// A write transaction handed to `Store.write`. Valid only inside the body it was given to.
public final class WriteTransaction: ReadTransaction {
    private(set) var commitHooks: [() -> Void] = []

    /// Registers `hook` to run after this transaction commits (never if it rolls back).
    /// Hooks run on the writing thread, outside the store's lock.
    public func afterCommit(_ hook: @escaping () -> Void) {
        commitHooks.append(hook)
    }

    /// Rows changed by the last statement.
    var changes: Int { connection.changes }

    var lastInsertRowID: Int64 { connection.lastInsertRowID }
}

/// A read transaction handed to `Store.read`. Valid only inside the body it was given to.
///
/// Raw SQL is internal to the Store module. Queries of tenant data go through `scoped`,
/// which binds the scope's tenant to `?1` and refuses SQL that does not filter on it. On
/// PostgreSQL it also names the tenant to the database (`whoot.tenant`), whose row-level
/// security policies then hide and refuse every other tenant's rows, whatever the SQL says.
/// Three kinds of query have no single tenant, each deliberately (see `PostgresSecurity`):
/// `global` (the tenant directory), `capability` (a row found by its token's hash) and
/// `acrossTenants` (maintenance sweeps, run once per tenant on PostgreSQL).
public class ReadTransaction {
    let connection: DatabaseBackend
    /// The tenant the database was last told about in this transaction.
    private var currentTenant: Int64?

    init(_ connection: DatabaseBackend) { self.connection = connection }

    /// The dialect of the engine, for the few query fragments that differ.
    var dialect: SQLDialect { connection.dialect }

    /// Runs SQL over tenant data: `?1` is bound to the scope's tenant id and the statement
    /// must constrain `tenant_id = ?1` (or, for an INSERT, put `?1` in the `tenant_id`
    /// column, which comes first); the caller's values follow as `?2`...`?N`.
    func scoped(_ scope: TenantScope, _ sql: String, _ values: [SQLValue] = []) throws
        -> [Row]
    {
        precondition(Self.isScoped(sql), "tenant query without tenant filter: \(sql)")
        try confine(to: scope.tenant.rawValue)
        return try connection.run(sql, [.integer(scope.tenant.rawValue)] + values)
    }

    static func isScoped(_ sql: String) -> Bool {
        if sql.contains("tenant_id = ?1") { return true }
        return sql.hasPrefix("INSERT INTO ") && sql.contains(" (tenant_id, ")
            && sql.contains("VALUES (?1, ")
    }

    /// Runs SQL over the tenant directory (`tenants`), which belongs to no single tenant.
    func global(_ sql: String, _ values: [SQLValue] = []) throws -> [Row] {
        try connection.run(sql, values)
    }

    /// Runs SQL that finds a row by the hash of the token that names it (join tokens,
    /// login sessions, invitations): the token is the capability and names its tenant.
    /// On PostgreSQL only the row whose `token_hash` is `hash` becomes visible.
    func capability(_ hash: [UInt8], _ sql: String, _ values: [SQLValue] = []) throws
        -> [Row]
    {
        try connection.setCapability(hash)
        defer { try? connection.setCapability(nil) }
        return try connection.run(sql, values)
    }

    /// Runs a maintenance query over every tenant's rows (expiry and retention sweeps).
    /// SQLite runs it once; PostgreSQL runs it once per tenant of the directory, confined
    /// to that tenant, and concatenates the rows: an ORDER BY or LIMIT applies per tenant.
    func acrossTenants(_ sql: String, _ values: [SQLValue] = []) throws -> [Row] {
        guard dialect == .postgres else { return try connection.run(sql, values) }
        var rows: [Row] = []
        for tenant in try connection.run("SELECT id FROM tenants ORDER BY id", []) {
            try confine(to: tenant.int(0))
            rows += try connection.run(sql, values)
        }
        return rows
    }

    private func confine(to tenant: Int64) throws {
        guard currentTenant != tenant else { return }
        try connection.setTenant(tenant)
        currentTenant = tenant
    }
}

/// A write transaction handed to `Store.write`. Valid only inside the body it was given to.
public final class WriteTransaction: ReadTransaction {
    private(set) var commitHooks: [() -> Void] = []
    /// Set by a change that deletes a secret: the store scrubs its journal after the commit.
    private(set) var deletedSecret = false

    /// Marks that this transaction deletes a secret (a wrapped key, an MFA seed), so that
    /// after the commit no copy of the deleted row stays in the database's journal.
    func scrubJournalAfterCommit() {
        deletedSecret = true
    }

    /// Registers `hook` to run after this transaction commits (never if it rolls back).
    /// Hooks run on the writing thread, outside the store's lock.
    public func afterCommit(_ hook: @escaping () -> Void) {
        commitHooks.append(hook)
    }

    /// Rows changed by the last statement.
    var changes: Int { connection.changes }

    /// Serializes writers of `scope`'s audit chain (entries and checkpoints) until the
    /// transaction ends, so two processes never append the same sequence number.
    func lockAuditChain(_ scope: TenantScope) throws {
        try connection.lockAuditChain(scope.tenant.rawValue)
    }
}

extension WriteTransaction {
    /// Runs a scoped INSERT with `RETURNING id` appended and returns the new row's id.
    func insertScoped(_ scope: TenantScope, _ sql: String, _ values: [SQLValue]) throws
        -> Int64
    {
        try newID(scoped(scope, sql + " RETURNING id", values), sql)
    }

    /// Runs an INSERT into the tenant directory and returns the new tenant's id.
    func insertGlobal(_ sql: String, _ values: [SQLValue]) throws -> Int64 {
        try newID(global(sql + " RETURNING id", values), sql)
    }

    private func newID(_ rows: [Row], _ sql: String) throws -> Int64 {
        guard let id = rows.first?.optionalInt(0) else {
            throw StoreError("insert", message: "no id returned by: \(sql)")
        }
        return id
    }
}

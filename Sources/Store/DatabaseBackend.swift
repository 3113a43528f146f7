/// The SQL engine under the store: SQLite (`Connection`, the default) or PostgreSQL
/// (`PostgresConnection`). Migrations and query methods are written once, with `?N`
/// placeholders, and run through this protocol on either engine.
///
/// Threading: not thread-safe; the `Store` that owns it calls it only under its lock.
protocol DatabaseBackend: AnyObject {
    /// Which SQL dialect the engine speaks, for the few places where they differ.
    var dialect: SQLDialect { get }

    /// Runs one statement with its values bound to `?1`...`?N` and returns the rows.
    func run(_ sql: String, _ parameters: [SQLValue]) throws -> [Row]

    /// Runs a script without parameters: transaction control and migrations only.
    func exec(_ sql: String) throws

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { get }

    /// Starts a transaction; `write` transactions are the ones that change rows.
    func begin(write: Bool) throws

    /// Confines the rest of the current transaction to `tenant`, or to no tenant with nil.
    /// PostgreSQL's row-level security policies read it (`whoot.tenant`); SQLite, which
    /// has no such policies, relies on the `tenant_id = ?1` filter alone.
    func setTenant(_ tenant: Int64?) throws

    /// Makes the one row whose `token_hash` is `hash` visible for the next statements of
    /// the current transaction, or none with nil (PostgreSQL's capability policy).
    func setCapability(_ hash: [UInt8]?) throws

    /// Serializes writers of one tenant's audit chain until the transaction ends. SQLite
    /// needs nothing (one writer at a time); PostgreSQL takes a transaction advisory lock.
    func lockAuditChain(_ tenant: Int64) throws

    /// After a commit that deleted a secret (a wrapped key): copies the engine's journal
    /// into the database and empties it, so the deleted row's old versions leave the disk
    /// with it. SQLite's `secure_delete` overwrites freed pages of the database file, but
    /// a WAL keeps every committed page version until it is reset; PostgreSQL's WAL is
    /// the server's (see docs/postgres.md).
    func scrubJournal() throws
}

extension Connection: DatabaseBackend {
    var dialect: SQLDialect { .sqlite }

    func begin(write: Bool) throws { try exec(write ? "BEGIN IMMEDIATE" : "BEGIN") }

    func setTenant(_ tenant: Int64?) throws {}

    func setCapability(_ hash: [UInt8]?) throws {}

    func lockAuditChain(_ tenant: Int64) throws {}

    func scrubJournal() throws {
        let rows = try run("PRAGMA wal_checkpoint(TRUNCATE)", [])
        // One row: busy (1 when a reader or writer blocked the checkpoint), frames in the
        // log, frames checkpointed.
        guard case .integer(0)? = rows.first?.values.first else {
            throw StoreError(
                "scrub journal", message: "the WAL checkpoint was blocked; it stays in use")
        }
    }
}

import Crypto
import Foundation

/// whoot's database: one SQLite file (WAL mode, the default) or one PostgreSQL database
/// (see `init(postgres:migrateAs:)`), its migrations, and the one serialized writer
/// through which this process's changes go.
///
/// Threading: any thread may call `read` and `write`. One lock serializes every
/// transaction on the single connection, so writes never interleave and a read sees one
/// consistent snapshot. A transaction body must not call `read` or `write` again (that is a
/// programming error and traps) and should not block on anything but the database.
/// Functions registered with `WriteTransaction.afterCommit` run after the commit, on the
/// writing thread, once the lock is released.
public final class Store {
    /// The database file's path; for PostgreSQL, "postgres" (the conninfo may hold a
    /// password and is never kept).
    public let path: String

    private let connection: DatabaseBackend
    private let lock = NSRecursiveLock()
    private var inTransaction = false

    /// Opens or creates the database at `path` and applies any pending migrations. With a
    /// `key` (32 bytes, see `DatabaseKey`), every page on disk is encrypted; a wrong key
    /// fails here with a clear error. Without one the file is plain SQLite (tests, tools).
    public init(path: String, key: Secret<[UInt8]>? = nil) throws {
        self.path = path
        connection = try Connection(path: path, vfs: try key.map(EncryptedVFS.init(key:)))
        try Migrations.apply(to: connection, nowMs: Store.wallClockMilliseconds())
        try sealUnchainedAuditEvents()
    }

    /// Connects to PostgreSQL with `conninfo` as the application's role, which must own no
    /// table and lack BYPASSRLS: every tenant table's row-level security then confines each
    /// transaction to the tenant it names (see `PostgresSecurity`). With `owner` (the
    /// conninfo of the role that owns the schema), pending migrations are applied as that
    /// role first and the application's role is granted what it needs; without it the
    /// schema must already be current.
    public init(postgres conninfo: Secret<String>, migrateAs owner: Secret<String>? = nil)
        throws
    {
        path = "postgres"
        let application = try PostgresConnection(conninfo: conninfo.reveal)
        if let owner {
            let ownerConnection = try PostgresConnection(conninfo: owner.reveal)
            // Held until the connection closes, so two nodes starting together migrate
            // one after the other.
            _ = try ownerConnection.run("SELECT pg_advisory_lock(2003791733, 0)", [])
            try Migrations.apply(to: ownerConnection, nowMs: Store.wallClockMilliseconds())
            try PostgresSecurity.apply(
                to: ownerConnection, application: try application.currentUser())
        }
        try PostgresSecurity.checkApplicationRole(application)
        let version = try Migrations.version(of: application)
        guard version == Migrations.latest else {
            throw StoreError(
                "open PostgreSQL store", message: "schema version \(version), this binary "
                    + "needs \(Migrations.latest); migrate as the owner role first")
        }
        connection = application
        try sealUnchainedAuditEvents()
    }

    /// The schema version recorded in the database.
    public var schemaVersion: Int {
        get throws { try read { try Migrations.version(of: $0.connection) } }
    }

    /// The schema version this binary migrates to.
    public static var latestSchemaVersion: Int { Migrations.latest }

    /// Runs `body` in a read transaction (one consistent snapshot).
    public func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        try locked {
            let transaction = ReadTransaction(connection)
            try connection.begin(write: false)
            do {
                let result = try body(transaction)
                try connection.exec("COMMIT")
                return result
            } catch {
                try? connection.exec("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` in a write transaction: every change it makes commits together, or none
    /// does when it throws. After a commit, the transaction's `afterCommit` functions run
    /// in the order they were registered.
    public func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        let (result, hooks) = try locked { () -> (T, [() -> Void]) in
            let transaction = WriteTransaction(connection)
            try connection.begin(write: true)
            do {
                let result = try body(transaction)
                try connection.exec("COMMIT")
                return (result, transaction.commitHooks)
            } catch {
                try? connection.exec("ROLLBACK")
                throw error
            }
        }
        for hook in hooks { hook() }
        return result
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        precondition(!inTransaction, "Store.read/write called inside a transaction body")
        inTransaction = true
        defer { inTransaction = false }
        return try body()
    }

    /// Unix time in ms, for bookkeeping that is not domain logic (migration timestamps).
    static func wallClockMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}

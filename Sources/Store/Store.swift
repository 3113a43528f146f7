import Crypto
import Foundation
import Logging

/// whoot's database: one SQLite file (WAL mode, the default) or one PostgreSQL database
/// (see `init(postgres:migrateAs:)`), its migrations, and the one serialized writer
/// through which this process's changes go.
///
/// Threading: any thread may call `read` and `write`. Each transaction runs on a connection
/// of its own, taken from the store's pool for its duration: SQLite has one (so its writes
/// never interleave), PostgreSQL `poolSize` (its transactions run side by side, as those
/// of several nodes do, with every invariant held by the database: row locks, conditional
/// updates, the per-tenant advisory lock of the audit chain). A transaction body must not
/// call `read` or `write` again (that is a programming error and traps) and should not
/// block on anything but the database.
/// Functions registered with `WriteTransaction.afterCommit` run after the commit, on the
/// writing thread, once the lock is released.
public final class Store {
    static let logger = Logger("store")
    /// The database file's path; for PostgreSQL, "postgres" (the conninfo may hold a
    /// password and is never kept).
    public let path: String

    /// The connections; `free` holds the indices of those not in a transaction.
    private let pool: [DatabaseBackend]
    private var free: [Int]
    private let available = NSCondition()
    /// The threads now running a transaction body of this store.
    private var busyThreads = Set<UInt>()

    /// Opens or creates the database at `path` and applies any pending migrations. With a
    /// `key` (32 bytes, see `DatabaseKey`), every page on disk is encrypted; a wrong key
    /// fails here with a clear error. Without one the file is plain SQLite (tests, tools).
    public init(path: String, key: Secret<[UInt8]>? = nil) throws {
        self.path = path
        let connection = try Connection(path: path, vfs: try key.map(EncryptedVFS.init(key:)))
        try Migrations.apply(to: connection, nowMs: Store.wallClockMilliseconds())
        pool = [connection]
        free = [0]
        try sealUnchainedAuditEvents()
    }

    /// Connects to PostgreSQL with `conninfo` as the application's role, which must own no
    /// table and lack BYPASSRLS: every tenant table's row-level security then confines each
    /// transaction to the tenant it names (see `PostgresSecurity`). With `owner` (the
    /// conninfo of the role that owns the schema), pending migrations are applied as that
    /// role first and the application's role is granted what it needs; without it the
    /// schema must already be current.
    /// `poolSize` connections (1...64) serve this process's transactions side by side.
    public init(
        postgres conninfo: Secret<String>, migrateAs owner: Secret<String>? = nil,
        poolSize: Int = 4
    ) throws {
        guard (1...64).contains(poolSize) else {
            throw StoreError("open PostgreSQL store", message: "pool size must be 1 to 64")
        }
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
        var connections: [DatabaseBackend] = [application]
        while connections.count < poolSize {
            connections.append(try PostgresConnection(conninfo: conninfo.reveal))
        }
        pool = connections
        free = Array(pool.indices)
        try sealUnchainedAuditEvents()
    }

    /// The schema version recorded in the database.
    public var schemaVersion: Int {
        get throws { try read { try Migrations.version(of: $0.connection) } }
    }

    /// Copies the journal into the database and empties it (SQLite: a TRUNCATE checkpoint;
    /// PostgreSQL: nothing). Called at a clean stop, so that the database file alone holds
    /// every row and no committed page waits in a WAL that a later accident could cut.
    public func checkpoint() throws {
        try withConnection { try $0.scrubJournal() }
    }

    /// How many connections serve transactions side by side.
    public var poolSize: Int { pool.count }

    /// The schema version this binary migrates to.
    public static var latestSchemaVersion: Int { Migrations.latest }

    /// Runs `body` in a read transaction (one consistent snapshot).
    public func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        try withConnection { connection in
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
        let (result, hooks) = try withConnection { connection -> (T, [() -> Void]) in
            let transaction = WriteTransaction(connection)
            try connection.begin(write: true)
            let result: T
            do {
                result = try body(transaction)
                try connection.exec("COMMIT")
            } catch {
                try? connection.exec("ROLLBACK")
                throw error
            }
            if transaction.deletedSecret {
                // Committed already: a failed scrub is reported, not a failed change.
                do { try connection.scrubJournal() } catch {
                    Self.logger.error("journal not scrubbed", ["error": "\(error)"])
                }
            }
            return (result, transaction.commitHooks)
        }
        for hook in hooks { hook() }
        return result
    }

    /// Runs `body` with a connection of the pool to itself, waiting for one if all are
    /// in use.
    private func withConnection<T>(_ body: (DatabaseBackend) throws -> T) rethrows -> T {
        let thread = UInt(pthread_self())
        available.lock()
        precondition(
            !busyThreads.contains(thread), "Store.read/write called inside a transaction body")
        while free.isEmpty { available.wait() }
        let index = free.removeLast()
        busyThreads.insert(thread)
        available.unlock()
        defer {
            available.lock()
            busyThreads.remove(thread)
            free.append(index)
            available.signal()
            available.unlock()
        }
        return try body(pool[index])
    }

    /// Unix time in ms, for bookkeeping that is not domain logic (migration timestamps).
    static func wallClockMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}

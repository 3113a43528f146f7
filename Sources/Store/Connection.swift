import CSQLite

/// One SQLite connection; the only owner of its `sqlite3` handle and its cached
/// statements. Not thread-safe: the `Store` that owns it calls it only under its lock.
final class Connection {
    private let handle: OpaquePointer
    private var statements: [String: Statement] = [:]
    /// Kept alive until the handle is closed, so the VFS outlives every file opened by it.
    private let vfs: EncryptedVFS?

    init(path: String, vfs: EncryptedVFS? = nil) throws {
        handle = try DatabaseOpener.open(path: path, vfs: vfs)
        self.vfs = vfs
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one statement with its values bound to `?1`...`?N` and returns the rows.
    /// Statements are prepared once per distinct SQL text and reused.
    func run(_ sql: String, _ parameters: [SQLValue]) throws -> [Row] {
        let statement: Statement
        if let cached = statements[sql] {
            statement = cached
        } else {
            statement = try Statement(db: handle, sql: sql)
            statements[sql] = statement
        }
        return try statement.run(parameters)
    }

    /// Runs a script without parameters: transaction control and migrations only.
    func exec(_ sql: String) throws {
        try DatabaseOpener.exec(handle, sql)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }
}

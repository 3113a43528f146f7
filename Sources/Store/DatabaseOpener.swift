import CSQLite
import CSQLiteCrypt

/// The one place where whoot opens SQLite database files.
///
/// Every connection the store makes comes from `open(path:vfs:)`. With a `vfs`, every page
/// of the database, its WAL and its journals is sealed with AES-256-GCM on its way to disk
/// (see docs/encryption-at-rest.md); no query code knows about it.
enum DatabaseOpener {
    /// How long a connection waits for another connection's lock before failing, in ms.
    static let busyTimeoutMilliseconds: Int32 = 5_000

    /// Opens (creating if missing) the database at `path` and applies the connection
    /// settings every whoot connection has: WAL journal, foreign keys enforced, full sync,
    /// a busy timeout, and no loading of extensions.
    /// With `vfs`, the file is read and written through that encrypting VFS; a wrong key
    /// or a plaintext file fails here with the VFS's reason.
    static func open(path: String, vfs: EncryptedVFS? = nil) throws -> OpaquePointer {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
            | SQLITE_OPEN_EXRESCODE
        if vfs != nil { whoot_crypt_clear_error() }
        let rc = sqlite3_open_v2(path, &db, flags, vfs?.name)
        guard rc == SQLITE_OK, let db else {
            let error = vfs == nil
                ? StoreError.sqlite("open \(path)", db)
                : EncryptedVFS.failure("open \(path)", code: rc)
            sqlite3_close_v2(db)
            throw error
        }

        do {
            try vfs?.prepare(db, path: path)
            sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
            try exec(db, "PRAGMA foreign_keys = ON")
            try exec(db, "PRAGMA journal_mode = WAL")
            try exec(db, "PRAGMA synchronous = FULL")
            try exec(db, "PRAGMA trusted_schema = OFF")
            // Deleted rows (a recording's wrapped key) are overwritten, not left in free pages.
            try exec(db, "PRAGMA secure_delete = ON")
            try checkPragma(db, "PRAGMA journal_mode", expect: "wal", path: path)
            try checkPragma(db, "PRAGMA foreign_keys", expect: "1", path: path)
        } catch {
            sqlite3_close_v2(db)
            throw error
        }
        return db
    }

    /// Runs SQL that binds nothing (pragmas, migration scripts). Never pass values in it.
    static func exec(_ db: OpaquePointer, _ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw StoreError("exec", code: sqlite3_extended_errcode(db), message: text)
        }
    }

    private static func checkPragma(
        _ db: OpaquePointer, _ sql: String, expect: String, path: String
    ) throws {
        let rows = try Statement(db: db, sql: sql).run([])
        let value: String
        switch rows.first?.values.first {
        case .text(let text): value = text.lowercased()
        case .integer(let number): value = String(number)
        default: value = "?"
        }
        guard value == expect else {
            throw StoreError("open \(path)", message: "\(sql) is \(value), expected \(expect)")
        }
    }
}

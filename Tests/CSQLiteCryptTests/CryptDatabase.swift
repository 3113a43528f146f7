import CSQLite
import CSQLiteCrypt
import Foundation

/// A failed SQLite or whoot-crypt call, with both messages.
struct CryptTestError: Error, CustomStringConvertible {
    /// Primary result code (`SQLITE_NOTADB`, `SQLITE_IOERR`, ...).
    let code: Int32
    /// Extended result code (`SQLITE_IOERR_DATA`, ...).
    let extendedCode: Int32
    let sqliteMessage: String
    /// What the VFS said on this thread (`whoot_crypt_last_error`).
    let vfsMessage: String

    var description: String {
        "SQLite \(extendedCode): \(sqliteMessage); \(vfsMessage)"
    }
}

/// SQLITE_IOERR_DATA is a macro expression Swift does not import.
let sqliteIOErrData: Int32 = SQLITE_IOERR | (32 << 8)
let sqliteIOErrWrite: Int32 = SQLITE_IOERR | (3 << 8)

/// A whoot-crypt VFS under a name unique to one test; unregistered (key wiped) on deinit.
final class TestVFS {
    let name: String

    init(key: [UInt8] = TestVFS.randomKey()) throws {
        name = "whoot-crypt-test-\(UUID().uuidString)"
        let rc = whoot_crypt_vfs_register(name, key)
        guard rc == SQLITE_OK else {
            throw CryptTestError(
                code: rc, extendedCode: rc, sqliteMessage: "register",
                vfsMessage: String(cString: whoot_crypt_last_error()))
        }
    }

    deinit {
        _ = whoot_crypt_vfs_unregister(name)
    }

    static func randomKey() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

/// One connection opened through a TestVFS and prepared; closes on deinit. Holds its VFS so
/// the VFS outlives every file opened through it.
final class CryptDatabase {
    let handle: OpaquePointer
    let vfs: TestVFS
    private var closed = false

    /// Opens (creating when asked) and runs `whoot_crypt_prepare` unless `prepare` is false.
    init(path: String, vfs: TestVFS, create: Bool = true, prepare: Bool = true) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        whoot_crypt_clear_error()
        let rc = sqlite3_open_v2(path, &db, flags, vfs.name)
        guard rc == SQLITE_OK, let db else {
            let error = CryptDatabase.error(db, rc)
            sqlite3_close_v2(db)
            throw error
        }
        handle = db
        self.vfs = vfs
        if prepare {
            let prc = whoot_crypt_prepare(db)
            guard prc == SQLITE_OK else {
                let error = CryptDatabase.error(db, prc)
                sqlite3_close_v2(db)
                closed = true
                throw error
            }
        }
    }

    deinit {
        close()
    }

    func close() {
        guard !closed else { return }
        closed = true
        sqlite3_close_v2(handle)
    }

    func exec(_ sql: String) throws {
        whoot_crypt_clear_error()
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw CryptDatabase.error(handle, rc) }
    }

    /// Runs a query and returns every row as text columns.
    func rows(_ sql: String) throws -> [[String]] {
        var stmt: OpaquePointer?
        whoot_crypt_clear_error()
        var rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK else { throw CryptDatabase.error(handle, rc) }
        defer { sqlite3_finalize(stmt) }

        var result: [[String]] = []
        while true {
            rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { return result }
            guard rc == SQLITE_ROW else { throw CryptDatabase.error(handle, rc) }
            let columns = sqlite3_column_count(stmt)
            result.append((0..<columns).map { column in
                sqlite3_column_text(stmt, column).map { String(cString: $0) } ?? ""
            })
        }
    }

    func int(_ sql: String) throws -> Int {
        guard let text = try rows(sql).first?.first, let value = Int(text) else {
            throw CryptTestError(
                code: SQLITE_ERROR, extendedCode: SQLITE_ERROR,
                sqliteMessage: "no integer from \(sql)", vfsMessage: "")
        }
        return value
    }

    private static func error(_ db: OpaquePointer?, _ rc: Int32) -> CryptTestError {
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection"
        let extended = db.map { sqlite3_extended_errcode($0) } ?? rc
        return CryptTestError(
            code: rc & 0xff, extendedCode: extended, sqliteMessage: message,
            vfsMessage: String(cString: whoot_crypt_last_error()))
    }
}

import CSQLite
import CSQLiteCrypt
import Foundation
import Testing

/// A wrong key, an altered byte or a foreign file fails with a message saying which.
struct KeyAndIntegrityTests {
    private func makeDatabase(_ dir: ScratchDirectory, vfs: TestVFS, wal: Bool) throws {
        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs)
        try db.exec(wal ? "PRAGMA journal_mode = WAL" : "PRAGMA journal_mode = DELETE")
        try fillTenantData(db, transactions: 3, rows: 40)
        db.close()
    }

    @Test func sameKeyReadsTheDataBack() throws {
        let dir = try ScratchDirectory()
        let vfs = try TestVFS()
        try makeDatabase(dir, vfs: vfs, wal: true)

        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs, create: false)

        #expect(try intactRows(db) == 120)
        #expect(try db.rows("PRAGMA integrity_check") == [["ok"]])
    }

    @Test func wrongKeyFailsToOpenWithAClearError() throws {
        let dir = try ScratchDirectory()
        try makeDatabase(dir, vfs: try TestVFS(), wal: true)

        let error = #expect(throws: CryptTestError.self) {
            _ = try CryptDatabase(path: dir.path("tenant.db"), vfs: try TestVFS(), create: false)
        }

        #expect(error?.code == SQLITE_NOTADB)
        #expect(error?.vfsMessage.contains("wrong key") == true)
        #expect(error?.vfsMessage.contains("tenant.db") == true)
    }

    @Test func vacuumIntoAnotherVFSRekeysTheDatabase() throws {
        let dir = try ScratchDirectory()
        let oldKey = try TestVFS()
        let newKey = try TestVFS()
        try makeDatabase(dir, vfs: oldKey, wal: true)

        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: oldKey, create: false)
        try db.exec("VACUUM INTO 'file:\(dir.path("rekeyed.db"))?vfs=\(newKey.name)'")
        let rekeyed = try CryptDatabase(path: dir.path("rekeyed.db"), vfs: newKey, create: false)

        #expect(try intactRows(rekeyed) == 120)
        #expect(plaintextFound(in: try dir.snapshot()) == [])
        #expect(throws: CryptTestError.self) {
            _ = try CryptDatabase(path: dir.path("rekeyed.db"), vfs: oldKey, create: false)
        }
    }

    @Test func flippedByteInAPageIsReportedAsCorruptionOfThatPage() throws {
        let dir = try ScratchDirectory()
        let vfs = try TestVFS()
        try makeDatabase(dir, vfs: vfs, wal: false)
        let lastPage = dir.size("tenant.db") / 4096

        try dir.flipByte(of: "tenant.db", at: (lastPage - 1) * 4096 + 300)
        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs, create: false)
        let error = #expect(throws: CryptTestError.self) {
            _ = try db.rows("SELECT sum(length(note)) FROM member UNION ALL "
                + "SELECT count(name) FROM channel")
        }

        #expect(error?.extendedCode == sqliteIOErrData)
        #expect(error?.vfsMessage.contains("page \(lastPage) failed authentication") == true)
    }

    @Test func flippedByteInTheClearHeaderFailsTheOpen() throws {
        let dir = try ScratchDirectory()
        let vfs = try TestVFS()
        try makeDatabase(dir, vfs: vfs, wal: false)

        try dir.flipByte(of: "tenant.db", at: 21)
        let error = #expect(throws: CryptTestError.self) {
            _ = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs, create: false)
        }

        #expect(error?.vfsMessage.contains("page 1 failed authentication") == true)
    }

    @Test func plaintextDatabaseIsRefused() throws {
        let dir = try ScratchDirectory()
        var plain: OpaquePointer?
        sqlite3_open(dir.path("plain.db"), &plain)
        sqlite3_exec(plain, "CREATE TABLE t(x)", nil, nil, nil)
        sqlite3_close(plain)

        let error = #expect(throws: CryptTestError.self) {
            _ = try CryptDatabase(path: dir.path("plain.db"), vfs: try TestVFS(), create: false)
        }

        #expect(error?.code == SQLITE_NOTADB)
        #expect(error?.vfsMessage.contains("plaintext SQLite database") == true)
    }

    @Test func writesWithoutPrepareAreRefusedAndLeaveNoPlaintext() throws {
        let dir = try ScratchDirectory()
        let db = try CryptDatabase(
            path: dir.path("tenant.db"), vfs: try TestVFS(), prepare: false)

        let error = #expect(throws: CryptTestError.self) {
            try db.exec("CREATE TABLE member(email TEXT)")
        }

        #expect(error?.extendedCode == sqliteIOErrWrite)
        #expect(error?.vfsMessage.contains("whoot_crypt_prepare") == true)
        #expect(plaintextFound(in: try dir.snapshot(), needles: ["member", "email"]) == [])
    }

    @Test func prepareRefusesAConnectionOnAnotherVFS() throws {
        let dir = try ScratchDirectory()
        var plain: OpaquePointer?
        sqlite3_open(dir.path("plain.db"), &plain)
        defer { sqlite3_close(plain) }

        #expect(whoot_crypt_prepare(plain) == SQLITE_MISUSE)
        #expect(String(cString: whoot_crypt_last_error()).contains("not opened through"))
    }
}

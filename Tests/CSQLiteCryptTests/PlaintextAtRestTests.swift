import CSQLite
import CSQLiteCrypt
import Foundation
import Testing

/// The bytes on disk hold no tenant data, whatever file SQLite puts them in. Serialized:
/// two tests look at every temp file open in the process.
@Suite(.serialized) struct PlaintextAtRestTests {
    @Test func walDatabaseLeavesNoPlaintextInDbWalOrShm() throws {
        let dir = try ScratchDirectory()
        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: try TestVFS())
        try db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;")

        try fillTenantData(db, transactions: 4, rows: 40)
        try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        try fillTenantData(db, transactions: 3, rows: 40, from: 1000)
        let files = try dir.snapshot()

        #expect(try intactRows(db) == 280)
        #expect(try db.int("PRAGMA page_count") > 20)
        #expect(dir.size("tenant.db") > 20 * 4096)
        #expect(dir.size("tenant.db-wal") > 10 * 4096, "frames are still in the WAL")
        #expect(files.keys.contains("tenant.db-shm"))
        #expect(plaintextFound(in: files) == [])
    }

    @Test func rollbackJournalHoldsNoPlaintextWhileATransactionIsOpen() throws {
        let dir = try ScratchDirectory()
        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: try TestVFS())
        try db.exec("PRAGMA journal_mode = DELETE")
        try fillTenantData(db, transactions: 3, rows: 40)

        try db.exec("""
            BEGIN;
            UPDATE member SET note = 'x' || note;
            DELETE FROM channel WHERE id % 3 = 0;
            """)
        let files = try dir.snapshot()
        try db.exec("ROLLBACK")

        let journal = try #require(files["tenant.db-journal"])
        #expect(journal.count > 4096 * 10, "the journal holds page images")
        #expect(plaintextFound(in: files) == [])
        #expect(try intactRows(db) == 120)
    }

    @Test func preparedConnectionKeepsALargeSortInMemory() throws {
        let dir = try ScratchDirectory()
        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: try TestVFS())
        try fillTenantData(db, transactions: 1, rows: 3000)
        try db.exec("PRAGMA cache_size = -256")

        let (count, tempFiles) = try sortWhileWatchingTempFiles(db)

        #expect(count == 3000)
        #expect(tempFiles.isEmpty, "temp_store=MEMORY set by whoot_crypt_prepare")
    }

    @Test func spilledSortFilesHoldNoPlaintext() throws {
        let dir = try ScratchDirectory()
        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: try TestVFS())
        try fillTenantData(db, transactions: 1, rows: 3000)
        try db.exec("PRAGMA temp_store = FILE; PRAGMA cache_size = -256;")

        let (count, tempFiles) = try sortWhileWatchingTempFiles(db)

        #expect(count == 3000)
        #expect(!tempFiles.isEmpty, "the sort spilled to temp files")
        #expect(plaintextFound(in: tempFiles, needles: [Secret.email]) == [])
    }

    /// Sorts every member row (about 1.3 MB, beyond SQLite's 1 MB in-memory sort budget at
    /// this cache size) and, after the first row, snapshots the temp files then open.
    private func sortWhileWatchingTempFiles(_ db: CryptDatabase) throws
        -> (rows: Int, tempFiles: [String: Data])
    {
        var stmt: OpaquePointer?
        let sql = "SELECT id, email, note FROM member ORDER BY note DESC"
        #expect(sqlite3_prepare_v2(db.handle, sql, -1, &stmt, nil) == SQLITE_OK)
        defer { sqlite3_finalize(stmt) }
        #expect(sqlite3_step(stmt) == SQLITE_ROW)
        let tempFiles = try openSQLiteTempFiles()

        var count = 1
        while sqlite3_step(stmt) == SQLITE_ROW { count += 1 }
        return (count, tempFiles)
    }

    /// The contents of this process's open, already unlinked SQLite temp files
    /// (`etilqs_*`), read through /proc/self/fd.
    private func openSQLiteTempFiles() throws -> [String: Data] {
        var files: [String: Data] = [:]
        for fd in try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            let link = "/proc/self/fd/\(fd)"
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link),
                target.contains("etilqs_")
            else { continue }
            files[target] = try Data(contentsOf: URL(fileURLWithPath: link))
        }
        return files
    }
}

import CSQLite
import CSQLiteCrypt
import Foundation
import Testing

/// Sealed logs still do their job: data survives a close without checkpoint and a crash,
/// and a hot journal rolls back.
struct DurabilityTests {
    @Test func closeWithoutCheckpointThenReopenKeepsEveryRow() throws {
        let dir = try ScratchDirectory()
        let vfs = try TestVFS()
        let writer = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs)
        try writer.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;")
        let reader = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs, create: false)
        #expect(try reader.int("SELECT count(*) FROM sqlite_schema") == 0)

        try fillTenantData(writer, transactions: 4, rows: 30)
        writer.close()
        let walAfterClose = dir.size("tenant.db-wal")
        let reopened = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs, create: false)

        #expect(walAfterClose > 4096 * 10, "the open reader kept the close from checkpointing")
        #expect(try intactRows(reopened) == 120)
        reader.close()
    }

    @Test func crashImageOfDbAndWalRecoversWithoutTheShm() throws {
        let dir = try ScratchDirectory()
        let vfs = try TestVFS()
        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs)
        try db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;")
        try fillTenantData(db, transactions: 2, rows: 30)
        try db.exec("PRAGMA wal_checkpoint(PASSIVE)")
        try fillTenantData(db, transactions: 3, rows: 30, from: 500)

        try dir.copy("tenant.db", to: "crash.db")
        try dir.copy("tenant.db-wal", to: "crash.db-wal")
        let rejectedBefore = whoot_crypt_wal_frames_rejected()
        let recovered = try CryptDatabase(path: dir.path("crash.db"), vfs: vfs, create: false)

        #expect(try intactRows(recovered) == 150)
        #expect(try recovered.rows("PRAGMA integrity_check") == [["ok"]])
        #expect(whoot_crypt_wal_frames_rejected() == rejectedBefore)
    }

    @Test func alteredWalFrameEndsTheLogAtRecoveryAndIsCounted() throws {
        let (dir, vfs) = try crashImageWithFourTransactionsInTheWAL(as: "crash")
        let frames = (dir.size("crash.db-wal") - 32) / (4096 + 24)

        try dir.flipByte(of: "crash.db-wal", at: 32 + (frames - 2) * (4096 + 24) + 24 + 200)
        let rejectedBefore = whoot_crypt_wal_frames_rejected()
        let recovered = try CryptDatabase(path: dir.path("crash.db"), vfs: vfs, create: false)
        let rows = try intactRows(recovered)

        #expect(whoot_crypt_wal_frames_rejected() > rejectedBefore)
        #expect(rows >= 30 && rows < 150, "an earlier, consistent state; never garbage")
        #expect(try recovered.rows("PRAGMA integrity_check") == [["ok"]])
    }

    @Test func anAlteredFrameWithCommittedTransactionsAfterItFailsTheOpen() throws {
        // A torn write leaves at most the last, unacknowledged transaction behind the bad
        // frame; here three acknowledged ones follow it, so ending the log there would
        // lose them without a word. The open fails and says why instead.
        let (dir, vfs) = try crashImageWithFourTransactionsInTheWAL(as: "damaged")
        try dir.flipByte(of: "damaged.db-wal", at: 32 + 24 + 200)
        var message = ""
        do {
            let opened = try CryptDatabase(path: dir.path("damaged.db"), vfs: vfs, create: false)
            _ = try intactRows(opened)
        } catch {
            message = "\(error)"
        }
        #expect(message.contains("damaged") && message.contains("committed"), "\(message)")
    }

    @Test func hotJournalOfACrashedTransactionRollsBack() throws {
        let dir = try ScratchDirectory()
        let vfs = try TestVFS()
        let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs)
        try db.exec("PRAGMA journal_mode = DELETE")
        try fillTenantData(db, transactions: 3, rows: 40)

        try db.exec("""
            PRAGMA cache_size = 2;
            BEGIN;
            UPDATE member SET email = 'changed@example.test';
            DELETE FROM channel;
            """)
        try dir.copy("tenant.db", to: "crash.db")
        try dir.copy("tenant.db-journal", to: "crash.db-journal")
        try db.exec("ROLLBACK")
        let recovered = try CryptDatabase(path: dir.path("crash.db"), vfs: vfs, create: false)

        #expect(try intactRows(recovered) == 120)
        #expect(try recovered.rows("PRAGMA integrity_check") == [["ok"]])
    }
}

/// A database with one checkpointed transaction and four more in its WAL, copied to
/// `<name>.db` and `<name>.db-wal` while it was open, as a crash would leave them.
private func crashImageWithFourTransactionsInTheWAL(as name: String) throws
    -> (ScratchDirectory, TestVFS)
{
    let dir = try ScratchDirectory()
    let vfs = try TestVFS()
    let db = try CryptDatabase(path: dir.path("tenant.db"), vfs: vfs)
    try db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;")
    try fillTenantData(db, transactions: 1, rows: 30)
    try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
    try fillTenantData(db, transactions: 4, rows: 30, from: 500)
    try dir.copy("tenant.db", to: name + ".db")
    try dir.copy("tenant.db-wal", to: name + ".db-wal")
    withExtendedLifetime(db) {}
    return (dir, vfs)
}

import Control
import Crypto
import Foundation
@testable import Store
import Testing
import Wire

/// Changes made to the database behind the store's back are found by `verifyAudit` at
/// the first broken entry.
@Suite struct AuditTamperTests {
    let fixture: Fixture
    let control: ControlPlane
    let tenant: TenantID

    init() throws {
        fixture = try Fixture()
        control = fixture.control
        tenant = try fixture.sealedTenantWithThreeCheckpoints()
    }

    /// Runs raw SQL on the database file with the append-only triggers dropped.
    func tamper(_ statements: [String]) throws {
        try control.store.write { transaction in
            _ = try transaction.global("DROP TRIGGER audit_events_refuse_update")
            _ = try transaction.global("DROP TRIGGER audit_events_refuse_delete")
            for sql in statements { _ = try transaction.global(sql) }
        }
    }

    func problem() throws -> AuditProblem? {
        try control.verifyAudit(tenant: tenant).problem
    }

    @Test func untouchedLogVerifies() throws {
        let report = try control.verifyAudit(tenant: tenant)
        #expect(report.ok, "\(String(describing: report.problem))")
        #expect(report.entries == 12 && report.lastCheckpointSeq == 12)
    }

    @Test func storeRefusesUpdateAndDeleteOfAuditRows() throws {
        #expect(throws: StoreError.self) {
            try control.store.write {
                _ = try $0.global("UPDATE audit_events SET actor = 'system' WHERE seq = 3")
            }
        }
        #expect(throws: StoreError.self) {
            try control.store.write { _ = try $0.global("DELETE FROM audit_events WHERE seq = 3") }
        }
        #expect(throws: StoreError.self) {
            try control.store.write { _ = try $0.global("DELETE FROM audit_checkpoints") }
        }
        #expect(try problem() == nil)
    }

    @Test func changedFieldIsReportedAtItsEntry() throws {
        try tamper(["UPDATE audit_events SET actor = 'uid:0' WHERE seq = 6"])
        let found = try #require(try problem())
        #expect(found.seq == 6)
        #expect(found.reason.contains("body hash"))
    }

    @Test func deletedRowIsReportedAsMissing() throws {
        try tamper(["DELETE FROM audit_events WHERE seq = 7"])
        let found = try #require(try problem())
        #expect(found.seq == 7)
        #expect(found.reason.contains("missing"))
    }

    @Test func swappedRowsAreReportedAtTheFirstOfThem() throws {
        try tamper([
            "UPDATE audit_events SET seq = -5 WHERE seq = 5",
            "UPDATE audit_events SET seq = 5 WHERE seq = 9",
            "UPDATE audit_events SET seq = 9 WHERE seq = -5",
        ])
        #expect(try problem()?.seq == 5)
    }

    @Test func insertedRowIsReported() throws {
        try tamper([
            "UPDATE audit_events SET seq = seq + 100 WHERE seq >= 3",
            "UPDATE audit_events SET seq = seq - 99 WHERE seq >= 103",
            """
            INSERT INTO audit_events (tenant_id, seq, actor, action, target, at_ms, metadata,
                body_hash, prev_hash, entry_hash)
            SELECT tenant_id, 3, 'system', 'member.role', 'member:1', at_ms, '{}', body_hash,
                prev_hash, entry_hash FROM audit_events WHERE seq = 2
            """,
        ])
        #expect(try problem()?.seq == 3)
    }

    @Test func rebuiltChainIsCaughtByTheSignedCheckpoint() throws {
        // Change entry 6 and recompute every hash after it, as an attacker who knows the
        // format would: only the signatures can tell.
        try tamper(["UPDATE audit_events SET actor = 'uid:0' WHERE seq = 6"])
        let scope = TenantScope(tenant)
        try control.store.write { transaction in
            var prev = try #require(try transaction.auditEvents(scope, limit: 5).last).entryHash
            for record in try transaction.auditEvents(scope, afterSeq: 5, limit: 100) {
                let body = AuditChain.bodyHash(
                    tenant: tenant.rawValue, seq: record.seq, entry: record.entry)
                let entry = AuditChain.entryHash(prevHash: prev, bodyHash: body)
                _ = try transaction.global(
                    "UPDATE audit_events SET body_hash = ?1, prev_hash = ?2, entry_hash = ?3 "
                        + "WHERE seq = ?4",
                    [.blob(body), .blob(prev), .blob(entry), .integer(record.seq)])
                prev = entry
            }
        }
        let found = try #require(try problem())
        #expect(found.seq == 5)
        #expect(found.reason.contains("checkpoint at seq 8"))
    }

    @Test func droppedTailIsReportedAgainstTheCheckpointFile() throws {
        try tamper([
            "DROP TRIGGER audit_checkpoints_refuse_delete",
            "DELETE FROM audit_events WHERE seq > 9",
            "DELETE FROM audit_checkpoints WHERE seq > 9",
        ])
        let found = try #require(try problem())
        #expect(found.seq == 10)
        #expect(found.reason.contains("truncated") && found.reason.contains("file"))
    }

    @Test func aCompleteLineThatIsNotACheckpointFailsTheVerification() throws {
        let path = fixture.directory + "/checkpoints.log"
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("whoot-checkpoint-v1 not a checkpoint\n".utf8))
        handle.closeFile()

        let found = try #require(try problem())
        #expect(found.reason.contains("is not a checkpoint"))
    }

    @Test func aTornLastLineOfTheCheckpointFileIsSkippedAndTheNextCheckpointStaysWhole()
        throws
    {
        let path = fixture.directory + "/checkpoints.log"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lastLine = try #require(text.split(separator: "\n").last)
        // A crash cut the next append short: half a line, no newline.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(lastLine.prefix(50).utf8))
        handle.closeFile()

        #expect(try problem() == nil)
        #expect(try control.checkpointAudit(tenant: tenant, now: fixture.nowMs) == nil)
        _ = try control.createChannel(tenant: tenant, name: "after-crash", actor: .system)
        #expect(try control.checkpointAudit(tenant: tenant, now: fixture.nowMs) != nil)
        let checkpoints = try ControlPlane.readCheckpointFile(path)
        #expect(checkpoints.last?.seq == 13)
        #expect(try problem() == nil)
    }
}

import Control
import Crypto
import Foundation
import Store
import Testing
import Wire

/// The checkpoint file is the copy of the checkpoints kept outside the database: a file
/// deleted, cut, reordered or unreadable fails verification, and a checkpoint whose line
/// cannot be written is not made at all.
@Suite struct CheckpointFileTests {
    let fixture: Fixture
    let control: ControlPlane
    let tenant: TenantID
    let path: String

    init() throws {
        fixture = try Fixture()
        control = fixture.control
        tenant = try fixture.sealedTenantWithThreeCheckpoints()
        path = fixture.directory + "/checkpoints.log"
    }

    func problem() throws -> AuditProblem? {
        try control.verifyAudit(tenant: tenant).problem
    }

    func lines() throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8)
            .split(separator: "\n").map { String($0) + "\n" }
    }

    func rewrite(_ lines: [String]) throws {
        try Data(lines.joined().utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func aDeletedFileFailsAtTheFirstCheckpointItHeld() throws {
        #expect(try lines().count == 3)
        try FileManager.default.removeItem(atPath: path)

        let found = try #require(try problem())
        #expect(found.seq == 4)
        #expect(found.reason.contains("checkpoints.log has no line"), "\(found)")
    }

    @Test func aFileCutShortFailsAtItsFirstMissingLine() throws {
        try rewrite(Array(try lines().prefix(1)))

        #expect(try problem()?.seq == 8)
    }

    @Test func aFileCutMidLineFailsAtTheLineItLost() throws {
        let kept = try lines()
        try rewrite(Array(kept.prefix(2)) + [String(kept[2].prefix(40))])

        #expect(try problem()?.seq == 12)
    }

    @Test func reorderedLinesAreReported() throws {
        try rewrite(try lines().reversed())

        let found = try #require(try problem())
        #expect(found.reason.contains("reordered"), "\(found)")
        #expect(found.reason.contains("line 2"), "\(found)")
    }

    @Test func aLineThatIsNotUTF8NamesItsLine() throws {
        var bytes = Array(try lines()[0].utf8)
        bytes += Array("whoot-checkpoint-v1 ".utf8) + [0xFF, 0x0A]
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let found = try #require(try problem())
        #expect(found.reason.contains("line 2 is not a checkpoint"), "\(found)")
    }

    @Test func aDirectoryInPlaceOfTheFileIsReportedNotRead() throws {
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)

        let found = try #require(try problem())
        #expect(found.reason.contains("is not a regular file"), "\(found)")
    }

    @Test func aFailedAppendLeavesNoCheckpointAndTheNextCoversItsEntries() throws {
        let aside = path + ".aside"
        try FileManager.default.moveItem(atPath: path, toPath: aside)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        // The fourth change makes entry 16, whose automatic checkpoint fails (logged); so
        // does an explicit one after a fifth change.
        for name in ["c", "d", "e", "f", "g"] {
            _ = try control.createChannel(tenant: tenant, name: name, actor: .system)
        }
        #expect(throws: ControlError.self) {
            try control.checkpointAudit(tenant: tenant, now: fixture.nowMs)
        }
        let stored = try control.store.read { try $0.auditCheckpoints(TenantScope(tenant)) }
        #expect(stored.map(\.seq) == [4, 8, 12], "no checkpoint without its line")

        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: aside, toPath: path)
        #expect(try problem() == nil)
        try control.checkpointAudit(tenant: tenant, now: fixture.nowMs)
        #expect(try ControlPlane.readCheckpointFile(path).map(\.seq) == [4, 8, 12, 17])
        #expect(try control.verifyAudit(tenant: tenant).lastCheckpointSeq == 17)
    }

    @Test func aHeadSignedAgainAfterAFailedCommitIsAcceptedButACopiedLineIsNot() throws {
        let last = try #require(try ControlPlane.readCheckpointFile(path).last)
        let signer = try #require(control.auditSettings.signer)
        func signedAgain(at atMs: Int64) throws -> AuditCheckpoint {
            AuditCheckpoint(
                tenant: last.tenant, seq: last.seq, entryHash: last.entryHash, atMs: atMs,
                keyID: last.keyID, signature: try signer.sign(AuditChain.checkpointMessage(
                    tenant: last.tenant.rawValue, seq: last.seq, entryHash: last.entryHash,
                    atMs: atMs)))
        }
        let kept = try lines()
        try rewrite(kept + [line(try signedAgain(at: last.atMs + 1_000))])
        #expect(try problem() == nil, "the same head signed later: a retried checkpoint")
        try rewrite(kept + [line(try signedAgain(at: last.atMs - 60_000))])
        #expect(try problem() == nil, "signed again after the clock stepped back")

        try rewrite(kept + [kept[2]])
        let found = try #require(try problem())
        #expect(found.reason.contains("line 4"), "\(found)")

        // A copy is a copy even with a genuine re-signing between: A B A.
        try rewrite(kept + [line(try signedAgain(at: last.atMs + 1_000)), kept[2]])
        let copied = try #require(try problem())
        #expect(copied.reason.contains("line 5 repeats line 3"), "\(copied)")
    }

    func line(_ checkpoint: AuditCheckpoint) -> String {
        "whoot-checkpoint-v1 \(checkpoint.tenant.rawValue) \(checkpoint.seq) "
            + "\(Hex.encode(checkpoint.entryHash)) \(checkpoint.atMs) \(checkpoint.keyID) "
            + "\(Hex.encode(checkpoint.signature))\n"
    }
}

import Control
import Foundation
import Testing
import Wire

/// The checkpoint file is the copy of the checkpoints kept outside the database: a file
/// deleted, cut, reordered or unreadable fails verification, and a line whose append
/// failed is appended, in order, once the file can be written again.
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

    @Test func aLineWhoseAppendFailedIsAppendedInOrderLater() throws {
        let aside = path + ".aside"
        try FileManager.default.moveItem(atPath: path, toPath: aside)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        // The fourth change makes entry 16, whose automatic checkpoint commits but cannot
        // be appended; so can an explicit one after a fifth change.
        for name in ["c", "d", "e", "f", "g"] {
            _ = try control.createChannel(tenant: tenant, name: name, actor: .system)
        }
        #expect(throws: ControlError.self) {
            try control.checkpointAudit(tenant: tenant, now: fixture.nowMs)
        }
        let failure = try #require(control.auditSettings.checkpointFileFailure)
        #expect(failure.contains("Is a directory"), "\(failure)")

        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: aside, toPath: path)
        #expect(try problem() == nil, "verification appends what was left first")
        #expect(try ControlPlane.readCheckpointFile(path).map(\.seq) == [4, 8, 12, 16, 17])
        #expect(control.auditSettings.checkpointFileFailure == nil)
    }
}

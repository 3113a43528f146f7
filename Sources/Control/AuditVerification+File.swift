import Foundation
import Store
import Wire

extension ControlPlane {
    /// A tenant's checkpoints as verification sees them: from the database and from the
    /// checkpoint file, and what is wrong with the file itself.
    struct CheckpointsToVerify {
        var stored: [AuditCheckpoint] = []
        var inFile: [AuditCheckpoint] = []
        var problems: [AuditProblem] = []
    }

    /// Reads the database's and the file's checkpoints together, under the checkpoint lock,
    /// then checks the file: it must be readable, line by line; the tenant's lines must rise
    /// in seq (a seq may repeat only as another signature of the same head: its first
    /// commit failed after the append); and, when the file should hold every checkpoint
    /// (one node), each database checkpoint must have its line. A file that was deleted,
    /// emptied or cut short therefore fails.
    func checkpointsToVerify(_ scope: TenantScope) throws -> CheckpointsToVerify {
        var result = CheckpointsToVerify()
        let file = auditSettings.checkpointFile
        var lines: [CheckpointFileLine]?
        try Self.checkpointLock.withLock {
            result.stored = try store.read { try $0.auditCheckpoints(scope) }
            guard let file else { return }
            do {
                lines = try Self.readCheckpointLines(file).filter {
                    $0.checkpoint.tenant == scope.tenant
                }
            } catch let error as ControlError {
                // A complete line that is not a checkpoint, or no readable file: it was
                // tampered with. The chain is still checked for the first break.
                result.problems.append(AuditProblem(seq: 0, reason: "\(error)"))
            }
        }
        guard let file, let lines else { return result }
        result.inFile = lines.map(\.checkpoint)
        let name = URL(fileURLWithPath: file).lastPathComponent

        var seen: [AuditCheckpoint: Int] = [:]
        for (index, line) in lines.enumerated() {
            if let earlier = seen[line.checkpoint] {
                result.problems.append(AuditProblem(
                    seq: line.checkpoint.seq, reason: "\(name) line \(line.number) repeats "
                        + "line \(earlier): a line was copied in"))
                break
            }
            seen[line.checkpoint] = line.number
            guard index > 0 else { continue }
            let previous = lines[index - 1]
            if !Self.follows(line.checkpoint, previous.checkpoint) {
                result.problems.append(AuditProblem(
                    seq: line.checkpoint.seq, reason: "\(name) line \(line.number) holds the "
                        + "checkpoint at seq \(line.checkpoint.seq) after line "
                        + "\(previous.number)'s at seq \(previous.checkpoint.seq): lines were "
                        + "reordered or copied in"))
                break
            }
        }
        guard auditSettings.fileHoldsEveryCheckpoint else { return result }
        let seqsInFile = Set(lines.map(\.checkpoint.seq))
        if let missing = result.stored.first(where: { !seqsInFile.contains($0.seq) }) {
            result.problems.append(AuditProblem(
                seq: missing.seq, reason: "\(name) has no line for the database's checkpoint "
                    + "at seq \(missing.seq): the file was deleted, emptied or cut short"))
        }
        return result
    }

    /// Whether `next` may follow `previous` in the file: a later seq, or the same head
    /// signed again (the first signature's commit failed after its append). A re-signing
    /// has its own time, which may be earlier if the clock stepped back; a line identical
    /// to any earlier one was copied (checked apart).
    static func follows(_ next: AuditCheckpoint, _ previous: AuditCheckpoint) -> Bool {
        next.seq > previous.seq
            || (next.seq == previous.seq && next.entryHash == previous.entryHash)
    }
}

import Crypto
import Store
import Wire

/// The first place where a log or an export stops being trustworthy.
public struct AuditProblem: Sendable, Equatable, CustomStringConvertible {
    /// The first broken entry's seq.
    public let seq: Int64
    public let reason: String
    /// The CSV line, when verifying an export.
    public let line: Int?

    public init(seq: Int64, reason: String, line: Int? = nil) {
        self.seq = seq
        self.reason = reason
        self.line = line
    }

    public var description: String {
        (line.map { "line \($0), " } ?? "") + "entry \(seq): \(reason)"
    }
}

/// The result of verifying one tenant's log in the database.
public struct AuditVerificationReport: Sendable, Equatable {
    public let tenant: TenantID
    /// Entries read.
    public var entries: Int64 = 0
    /// The last seq read.
    public var headSeq: Int64 = 0
    /// Checkpoints checked (database and file).
    public var checkpoints: Int = 0
    /// The seq of the last signed checkpoint; entries after it are not signed yet.
    public var lastCheckpointSeq: Int64 = 0
    /// nil when the log verified.
    public var problem: AuditProblem?

    public var ok: Bool { problem == nil }
}

extension ControlPlane {
    /// Verifies `tenant`'s log: every entry's body hash and link to the previous entry,
    /// no missing seq, every checkpoint (database and `checkpointFile`) signed by the
    /// configured key and matching the chain, no checkpoint beyond the log's end, and a
    /// checkpoint file in order that lacks none of the database's checkpoints.
    /// Reads in pages of 2,000 entries.
    public func verifyAudit(tenant: TenantID) throws -> AuditVerificationReport {
        let scope = TenantScope(tenant)
        var report = AuditVerificationReport(tenant: tenant)
        let read = try checkpointsToVerify(scope)
        var checkpoints: [Int64: [(String, AuditCheckpoint)]] = [:]
        for checkpoint in read.stored {
            checkpoints[checkpoint.seq, default: []].append(("database", checkpoint))
        }
        for checkpoint in read.inFile {
            checkpoints[checkpoint.seq, default: []].append(("file", checkpoint))
        }
        var problems = read.problems
        report.checkpoints = checkpoints.values.reduce(0) { $0 + $1.count }
        let key = auditSettings.publicKey

        for (seq, found) in checkpoints {
            for (source, checkpoint) in found {
                if let key, checkpoint.keyID != key.keyID
                    || !key.verify(checkpoint.signature, of: checkpoint.message)
                {
                    problems.append(AuditProblem(
                        seq: seq, reason: "the \(source) checkpoint at seq \(seq) does not "
                            + "carry a valid signature of the audit key"))
                }
            }
        }

        var prevHash = AuditChain.genesis
        var expected: Int64 = 1
        scan: while true {
            let page = try store.read {
                try $0.auditEvents(scope, afterSeq: expected - 1, limit: 2_000)
            }
            guard !page.isEmpty else { break }
            for record in page {
                if let problem = Self.check(record, expected: expected, prevHash: prevHash) {
                    problems.append(problem)
                    break scan
                }
                let body = AuditChain.bodyHash(
                    tenant: tenant.rawValue, seq: record.seq, entry: record.entry)
                prevHash = AuditChain.entryHash(prevHash: prevHash, bodyHash: body)
                for (source, checkpoint) in checkpoints[record.seq] ?? [] {
                    if checkpoint.entryHash != prevHash {
                        let since = report.lastCheckpointSeq
                        problems.append(AuditProblem(
                            seq: since + 1, reason: "the \(source) checkpoint at seq "
                                + "\(record.seq) signs a different log: an entry from "
                                + "\(since + 1) to \(record.seq) was altered, inserted or "
                                + "removed and the chain rebuilt"))
                        break scan
                    }
                    report.lastCheckpointSeq = record.seq
                }
                report.entries += 1
                report.headSeq = record.seq
                expected = record.seq + 1
            }
        }

        if let beyond = checkpoints.keys.filter({ $0 > report.headSeq }).min(),
            problems.isEmpty
        {
            let sources = (checkpoints[beyond] ?? []).map(\.0).joined(separator: " and ")
            problems.append(AuditProblem(
                seq: report.headSeq + 1, reason: "the log ends at seq \(report.headSeq) but "
                    + "the \(sources) checkpoint vouches for seq \(beyond): entries "
                    + "\(report.headSeq + 1) to \(beyond) were removed (truncated)"))
        }
        report.problem = problems.min { $0.seq < $1.seq }
        return report
    }

    /// What is wrong with `record` where entry `expected` should follow `prevHash`.
    static func check(_ record: AuditRecord, expected: Int64, prevHash: [UInt8])
        -> AuditProblem?
    {
        if record.seq != expected {
            return AuditProblem(
                seq: expected, reason: "entry \(expected) is missing: the log goes from "
                    + "\(expected - 1) to \(record.seq) (deleted)")
        }
        let body = AuditChain.bodyHash(
            tenant: record.tenant.rawValue, seq: record.seq, entry: record.entry)
        if body != record.bodyHash {
            return AuditProblem(
                seq: record.seq, reason: "the entry's content does not match its body hash "
                    + "(a field was changed, or the entry was moved from another seq)")
        }
        if record.prevHash != prevHash {
            return AuditProblem(
                seq: record.seq, reason: "the entry does not link to entry \(record.seq - 1) "
                    + "(an entry was inserted, removed or reordered before it)")
        }
        if record.entryHash != AuditChain.entryHash(prevHash: prevHash, bodyHash: body) {
            return AuditProblem(seq: record.seq, reason: "the stored entry hash is wrong")
        }
        return nil
    }
}

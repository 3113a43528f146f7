import Crypto
import Store

/// The result of verifying an export offline.
public struct AuditExportReport: Sendable, Equatable {
    public var entries: Int64 = 0
    public var links: Int64 = 0
    public var checkpoints: Int64 = 0
    public var firstSeq: Int64 = 0
    public var lastSeq: Int64 = 0
    /// nil when the export verified.
    public var problem: AuditProblem?

    public var ok: Bool { problem == nil }
}

/// Verifies an audit export with nothing but the export and the public key: every entry
/// row's body hash from its fields, every row's link to the row before, consecutive seqs,
/// every checkpoint's signature and hash, and a checkpoint after the last row.
public enum AuditExportVerifier {
    public static func verify(_ reader: inout CSVReader, publicKey: Ed25519.PublicKey) throws
        -> AuditExportReport
    {
        var report = AuditExportReport()
        func fail(_ seq: Int64, _ reason: String) -> AuditExportReport {
            report.problem = AuditProblem(seq: seq, reason: reason, line: reader.line)
            return report
        }
        guard let header = try reader.record() else {
            return fail(0, "the export is empty (no header row)")
        }
        guard header == AuditCSV.header else {
            return fail(0, "the header row is not \(AuditCSV.header.joined(separator: ","))")
        }

        var tenant: Int64?
        var lastSeq: Int64?
        var lastHash: [UInt8] = []
        var signedThrough: Int64?
        while let raw = try reader.record() {
            guard raw.count == AuditCSV.header.count else {
                return fail(lastSeq ?? 0, "row has \(raw.count) fields, expected 16")
            }
            let cells = raw.map(AuditCSV.restore)
            guard let rowTenant = Int64(cells[1]), let seq = Int64(cells[2]) else {
                return fail(lastSeq ?? 0, "tenant or seq is not a number")
            }
            if tenant == nil { tenant = rowTenant }
            guard rowTenant == tenant else { return fail(seq, "row of another tenant") }

            if cells[0] == "checkpoint" {
                guard seq == lastSeq, let atMs = Int64(cells[4]),
                    let hash = Hex.decode(cells[13]), let signature = Hex.decode(cells[15])
                else { return fail(seq, "checkpoint does not follow the entry it signs") }
                let message = AuditChain.checkpointMessage(
                    tenant: rowTenant, seq: seq, entryHash: hash, atMs: atMs)
                guard cells[14] == publicKey.keyID, publicKey.verify(signature, of: message)
                else { return fail(seq, "checkpoint signature does not verify under the key") }
                guard hash == lastHash else {
                    return fail(seq, "checkpoint signs a different chain: an earlier row was "
                        + "altered, inserted, removed or reordered")
                }
                report.checkpoints += 1
                signedThrough = seq
                continue
            }

            guard let bodyHash = Hex.decode(cells[11]), let prevHash = Hex.decode(cells[12]),
                let entryHash = Hex.decode(cells[13]), bodyHash.count == 32,
                prevHash.count == 32
            else { return fail(seq, "hash columns are not 32-byte hex") }
            if let lastSeq {
                // A row at Int64.max has no successor; `+ 1` would trap.
                let (next, overflow) = lastSeq.addingReportingOverflow(1)
                guard !overflow, seq == next else {
                    return fail(overflow ? lastSeq : next, "seq goes from \(lastSeq) to \(seq): "
                        + "rows were removed, inserted or reordered")
                }
                guard prevHash == lastHash else {
                    return fail(seq, "prev_hash is not the previous row's entry_hash")
                }
            } else {
                report.firstSeq = seq
            }

            switch cells[0] {
            case "entry":
                guard let atMs = Int64(cells[4]), cells[3] == AuditCSV.isoTime(ms: atMs) else {
                    return fail(seq, "time and at_ms disagree")
                }
                let body = AuditChain.body(
                    tenant: rowTenant, seq: seq, atMs: atMs, actor: cells[5], action: cells[6],
                    target: cells[7], ip: cells[8], requestID: cells[9], metadata: cells[10])
                guard Digest.sha256(body) == bodyHash else {
                    return fail(seq, "the entry's fields do not match its body hash (altered)")
                }
                report.entries += 1
            case "link":
                report.links += 1
            default:
                return fail(seq, "unknown record type \"\(cells[0])\"")
            }
            guard AuditChain.entryHash(prevHash: prevHash, bodyHash: bodyHash) == entryHash else {
                return fail(seq, "entry_hash does not follow from prev_hash and body_hash")
            }
            lastSeq = seq
            lastHash = entryHash
            report.lastSeq = seq
        }

        if let lastSeq, signedThrough != lastSeq {
            return fail(lastSeq, "the export ends without a signed checkpoint of its last row "
                + "(truncated)")
        }
        return report
    }
}

import Foundation
import Store
import Wire

/// What one export wrote.
public struct AuditExportSummary: Sendable, Equatable {
    /// Entries the filter selected.
    public var entries: Int64 = 0
    /// Entries in the span that the filter left out, written as `link` rows.
    public var links: Int64 = 0
    public var checkpoints: Int64 = 0
    /// The seq of the export's own `audit.export` event.
    public var exportEventSeq: Int64 = 0
}

/// CSV export of the audit log (format: `AuditCSV`). The export covers the span from the
/// first selected entry to the first signed checkpoint at or after the last one, signing
/// a fresh checkpoint when none covers it yet, so that every export verifies offline.
/// Rows stream to `write` in chunks of about 64 KiB, pages of 2,000 entries at a time.
extension ControlPlane {
    /// Exports the caller's tenant's log (admins, owners and auditors).
    @discardableResult
    public func exportAudit(
        _ caller: Caller, filter: AuditFilter, write: ([UInt8]) throws -> Void
    ) throws -> AuditExportSummary {
        try caller.require(.readAudit)
        return try exportAudit(
            tenant: caller.tenant, filter: filter, actor: caller.actor, write: write)
    }

    /// Exports `tenant`'s log for `actor` (the admin socket); the export is itself audited
    /// before any row is read, so an unfiltered export contains its own event.
    @discardableResult
    public func exportAudit(
        tenant: TenantID, filter: AuditFilter, actor: Actor, write: ([UInt8]) throws -> Void
    ) throws -> AuditExportSummary {
        guard auditSettings.signer != nil else {
            throw ControlError.conflict("no audit signing key is configured; cannot export")
        }
        var summary = AuditExportSummary()
        summary.exportEventSeq = try recordAuditEvent(
            tenant: tenant, actor: actor, action: .auditExport, target: "tenant:\(tenant.rawValue)",
            metadata: Self.filterMetadata(filter))
        let scope = TenantScope(tenant)

        var out: [UInt8] = []
        out.reserveCapacity(80_000)
        AuditCSV.appendRow(AuditCSV.header, to: &out)
        guard let span = try store.read({ try $0.auditMatchSpan(scope, filter) }) else {
            try write(out)
            return summary
        }
        var end = try store.read { try $0.auditCheckpoint(scope, atOrAfter: span.last) }
        if end == nil {
            end = try checkpointAudit(tenant: tenant, now: clock())
                ?? store.read { try $0.auditCheckpoint(scope, atOrAfter: span.last) }
        }
        guard let end else {
            throw ControlError.conflict("could not sign a checkpoint for the export")
        }

        var after = span.first - 1
        while after < end.seq {
            let page = try store.read { transaction in
                let records = try transaction.auditEvents(
                    scope, afterSeq: after, throughSeq: end.seq, limit: 2_000)
                let checkpoints = try transaction.auditCheckpoints(
                    scope, fromSeq: after + 1, throughSeq: records.last?.seq ?? after)
                return (records, checkpoints)
            }
            guard let last = page.0.last else { break }
            var checkpoints = page.1.makeIterator()
            var nextCheckpoint = checkpoints.next()
            for record in page.0 {
                if filter.matches(record.entry) {
                    Self.appendEntryRow(record, to: &out)
                    summary.entries += 1
                } else {
                    Self.appendLinkRow(record, to: &out)
                    summary.links += 1
                }
                while let checkpoint = nextCheckpoint, checkpoint.seq <= record.seq {
                    if checkpoint.seq == record.seq {
                        Self.appendCheckpointRow(checkpoint, to: &out)
                        summary.checkpoints += 1
                    }
                    nextCheckpoint = checkpoints.next()
                }
                if out.count >= 65_536 {
                    try write(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
            after = last.seq
        }
        try write(out)
        return summary
    }

    static func filterMetadata(_ filter: AuditFilter) -> [String: Any] {
        var metadata: [String: Any] = [:]
        if let from = filter.fromMs { metadata["from_ms"] = from }
        if let to = filter.toMs { metadata["to_ms"] = to }
        if !filter.actions.isEmpty { metadata["actions"] = filter.actions.sorted() }
        if let actor = filter.actor { metadata["actor"] = actor }
        return metadata
    }

    static func appendEntryRow(_ record: AuditRecord, to out: inout [UInt8]) {
        let entry = record.entry
        AuditCSV.appendRow([
            "entry", String(record.tenant.rawValue), String(record.seq),
            AuditCSV.isoTime(ms: entry.atMs), String(entry.atMs), entry.actor, entry.action,
            entry.target, entry.ip ?? "", entry.requestID ?? "", entry.metadataJSON,
            AuditCSV.hex(record.bodyHash), AuditCSV.hex(record.prevHash),
            AuditCSV.hex(record.entryHash), "", "",
        ], to: &out)
    }

    static func appendLinkRow(_ record: AuditRecord, to out: inout [UInt8]) {
        AuditCSV.appendRow([
            "link", String(record.tenant.rawValue), String(record.seq), "", "", "", "", "", "",
            "", "", AuditCSV.hex(record.bodyHash), AuditCSV.hex(record.prevHash),
            AuditCSV.hex(record.entryHash), "", "",
        ], to: &out)
    }

    static func appendCheckpointRow(_ checkpoint: AuditCheckpoint, to out: inout [UInt8]) {
        AuditCSV.appendRow([
            "checkpoint", String(checkpoint.tenant.rawValue), String(checkpoint.seq),
            AuditCSV.isoTime(ms: checkpoint.atMs), String(checkpoint.atMs), "", "", "", "", "",
            "", "", "", AuditCSV.hex(checkpoint.entryHash), checkpoint.keyID,
            AuditCSV.hex(checkpoint.signature),
        ], to: &out)
    }
}

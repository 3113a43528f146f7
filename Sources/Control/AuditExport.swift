import Foundation
import Store
import Wire

/// Where an export stands between chunks: its filter, span and counts so far.
public struct AuditExportCursor: Sendable {
    public let tenant: TenantID
    public let filter: AuditFilter
    var after: Int64 = 0
    var endSeq: Int64 = 0
    var headerWritten = false
    var finished = false
    public var summary = AuditExportSummary()

    init(tenant: TenantID, filter: AuditFilter) {
        self.tenant = tenant
        self.filter = filter
    }

    /// True once the last chunk was returned.
    public var isFinished: Bool { finished }
}

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
/// a fresh checkpoint when none covers it yet, so that every export verifies offline; an
/// export that selects nothing spans its period (or its own event) as links instead.
/// Rows are read and written in pages of 2,000 entries, so memory stays bounded.
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

    /// Exports `tenant`'s log for `actor` (the admin socket) to `write` in one go.
    @discardableResult
    public func exportAudit(
        tenant: TenantID, filter: AuditFilter, actor: Actor, write: ([UInt8]) throws -> Void
    ) throws -> AuditExportSummary {
        var cursor = try beginAuditExport(tenant: tenant, filter: filter, actor: actor)
        while let chunk = try nextAuditExportChunk(&cursor) { try write(chunk) }
        return cursor.summary
    }

    /// Starts an export: audits it (before any row is read, so an unfiltered export holds
    /// its own event), finds the span and the checkpoint that ends it, signing one when
    /// none covers the last selected entry yet.
    public func beginAuditExport(tenant: TenantID, filter: AuditFilter, actor: Actor) throws
        -> AuditExportCursor
    {
        guard auditSettings.signer != nil else {
            throw ControlError.conflict("no audit signing key is configured; cannot export")
        }
        let seq = try recordAuditEvent(
            tenant: tenant, actor: actor, action: .auditExport, target: "tenant:\(tenant.rawValue)",
            metadata: Self.filterMetadata(filter))
        let scope = TenantScope(tenant)
        var cursor = AuditExportCursor(tenant: tenant, filter: filter)
        cursor.summary.exportEventSeq = seq

        // Nothing selected: the export still ends at a checkpoint, over the period's
        // entries as links (or, for a period without entries, its own event), so that
        // even an empty answer is signed.
        let period = AuditFilter(fromMs: filter.fromMs, toMs: filter.toMs)
        let found = try store.read { read in
            try read.auditMatchSpan(scope, filter) ?? read.auditMatchSpan(scope, period)
        }
        let span = found ?? (first: seq, last: seq, count: 0)
        var end = try store.read { try $0.auditCheckpoint(scope, atOrAfter: span.last) }
        if end == nil {
            end = try checkpointAudit(tenant: tenant, now: clock())
                ?? store.read { try $0.auditCheckpoint(scope, atOrAfter: span.last) }
        }
        guard let end else {
            throw ControlError.conflict("could not sign a checkpoint for the export")
        }
        cursor.after = span.first - 1
        cursor.endSeq = end.seq
        return cursor
    }

    /// The next chunk of CSV (at most `maxEntries` rows of entries and links, plus their
    /// checkpoints; the first chunk starts with the header row), or nil when done.
    public func nextAuditExportChunk(_ cursor: inout AuditExportCursor, maxEntries: Int = 2_000)
        throws -> [UInt8]?
    {
        guard !cursor.finished else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(80_000)
        if !cursor.headerWritten {
            AuditCSV.appendRow(AuditCSV.header, to: &out)
            cursor.headerWritten = true
        }
        let scope = TenantScope(cursor.tenant)
        let (after, endSeq) = (cursor.after, cursor.endSeq)
        let (records, checkpoints) = try store.read { transaction in
            let records = try transaction.auditEvents(
                scope, afterSeq: after, throughSeq: endSeq, limit: max(1, maxEntries))
            let checkpoints = try transaction.auditCheckpoints(
                scope, fromSeq: after + 1, throughSeq: records.last?.seq ?? after)
            return (records, checkpoints)
        }
        guard let last = records.last else {
            cursor.finished = true
            return out.isEmpty ? nil : out
        }

        var pending = checkpoints.makeIterator()
        var nextCheckpoint = pending.next()
        for record in records {
            if cursor.filter.matches(record.entry) {
                Self.appendEntryRow(record, to: &out)
                cursor.summary.entries += 1
            } else {
                Self.appendLinkRow(record, to: &out)
                cursor.summary.links += 1
            }
            while let checkpoint = nextCheckpoint, checkpoint.seq <= record.seq {
                if checkpoint.seq == record.seq {
                    Self.appendCheckpointRow(checkpoint, to: &out)
                    cursor.summary.checkpoints += 1
                }
                nextCheckpoint = pending.next()
            }
        }
        cursor.after = last.seq
        if last.seq >= endSeq { cursor.finished = true }
        return out
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

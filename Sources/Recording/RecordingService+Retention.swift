import Control
import Foundation
import Store
import Wire

/// Deleting recordings for good: the row with its wrapped file key (and the transcript's)
/// goes in one transaction with its `recording.delete` audit event, and the files are
/// unlinked after the commit. Without the wrapped key no copy of a file can be decrypted.
/// Audit events themselves are never expired.
extension RecordingService {
    /// Deletes every recording whose retention has ended by the clock's now. Returns how
    /// many were deleted. Run at start and periodically.
    @discardableResult
    public func runRetention() throws -> Int {
        let now = clock()
        var deleted = 0
        while true {
            let expired = try store.read { try $0.expiredRecordings(nowMs: now, limit: 200) }
            if expired.isEmpty { break }
            for record in expired {
                try delete(record, actor: .system, reason: "retention", at: now)
                deleted += 1
            }
        }
        return deleted
    }

    /// Deletes one recording by hand.
    public func delete(_ principal: Principal, recording id: Int64) throws {
        try authorize(principal, "delete", target: "recording:\(id)")
        guard let record = try store.read({
            try $0.recording(TenantScope(principal.tenant), id: id)
        }) else { throw ControlError.notFound("recording \(id) not found") }
        try delete(record, actor: principal.actor, reason: "deleted by hand", at: clock())
    }

    private func delete(_ record: RecordingRecord, actor: Actor, reason: String, at now: Int64)
        throws
    {
        let scope = TenantScope(record.tenant)
        let paths = try store.write { transaction -> [String] in
            let paths = try deleteRow(transaction, scope, record, actor: actor, reason: reason,
                                      at: now)
            return paths
        }
        unlink(paths)
    }

    /// Called inside a channel deletion's transaction: the channel's recordings go with it.
    func deleteRecordings(
        in transaction: WriteTransaction, _ scope: TenantScope, channel: ChannelID,
        actor: Actor, at now: Int64
    ) throws {
        var paths: [String] = []
        for record in try transaction.recordings(scope, channel: channel) {
            paths += try deleteRow(
                transaction, scope, record, actor: actor, reason: "channel deleted", at: now)
        }
        _ = try? transaction.saveRecordingSettings(
            RecordingSettingsRecord(tenant: scope.tenant, channel: channel, enabled: false,
                                    retentionDays: nil), nowMs: now)
        let writer = self.writer
        let tenant = scope.tenant
        transaction.afterCommit { [weak self] in
            writer.abandon(tenant: tenant, channel: channel)
            self?.unlink(paths)
        }
    }

    private func deleteRow(
        _ transaction: WriteTransaction, _ scope: TenantScope, _ record: RecordingRecord,
        actor: Actor, reason: String, at now: Int64
    ) throws -> [String] {
        let transcript = try transaction.transcript(scope, recording: record.id)
        guard try transaction.deleteRecording(scope, id: record.id) else { return [] }
        try Self.audit(
            transaction, scope, actor, .recordingDelete, target: "recording:\(record.id)",
            at: now, metadata: [
                "reason": reason, "channel": record.channel.rawValue,
                "started_at_ms": record.startedAtMs, "transcript": transcript != nil,
            ])
        return [record.path] + (transcript.map { [$0.path] } ?? [])
    }

    func unlink(_ paths: [String]) {
        for path in paths {
            do {
                try PrivateFiles.remove(stateDirectory + "/" + path)
            } catch {
                Self.logger.error("recording file not unlinked", ["error": "\(error)"])
            }
        }
    }

    /// At start: marks recordings whose writer died as ended (they open up to their last
    /// whole chunk) and unlinks files under recordings/ that no row knows (a crash between
    /// a deletion's commit and its unlink; their keys are gone already).
    public func recoverAfterRestart() throws {
        let now = clock()
        for record in try store.read({ try $0.unfinishedRecordings() }) {
            let size = (try? FileManager.default.attributesOfItem(
                atPath: stateDirectory + "/" + record.path)[.size] as? Int) ?? 0
            try store.write { transaction in
                try transaction.finishRecording(
                    TenantScope(record.tenant), id: record.id, endedAtMs: now, durationMs: -1,
                    bytes: Int64(size), complete: false)
            }
        }
        let known = try store.read { try $0.recordingPaths() }
        let root = stateDirectory + "/recordings"
        guard let walker = FileManager.default.enumerator(atPath: root) else { return }
        for case let relative as String in walker
        where relative.hasSuffix(".wrec") || relative.hasSuffix(".wtxt") {
            if !known.contains("recordings/" + relative) {
                unlink(["recordings/" + relative])
            }
        }
    }
}

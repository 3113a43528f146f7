import Wire

/// A channel's recording settings. Without a row: recording off, 30 days' retention.
public struct RecordingSettingsRecord: Sendable, Equatable {
    public static let defaultRetentionDays = 30

    public let tenant: TenantID
    public let channel: ChannelID
    public var enabled: Bool
    /// Days a recording is kept after it starts; nil keeps recordings until deleted.
    public var retentionDays: Int?

    public init(tenant: TenantID, channel: ChannelID, enabled: Bool, retentionDays: Int?) {
        self.tenant = tenant
        self.channel = channel
        self.enabled = enabled
        self.retentionDays = retentionDays
    }
}

/// One recording file. The file key is stored only wrapped by the tenant's key; deleting
/// the row destroys it.
public struct RecordingRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let id: Int64
    /// 32 hex digits: the file's name and the id in its sealed header.
    public let fileID: String
    public let channel: ChannelID
    /// Relative to the state directory.
    public let path: String
    /// Unix time in ms.
    public let startedAtMs: Int64
    public let endedAtMs: Int64?
    public let durationMs: Int64?
    public let bytes: Int64?
    /// Whether the writer sealed the final chunk (false after a crash).
    public let complete: Bool
    public let wrappedKey: [UInt8]
    /// Unix time in ms after which retention deletes it; nil keeps it.
    public let expiresAtMs: Int64?
}

/// A transcript attached to a recording, sealed like it.
public struct TranscriptRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let recording: Int64
    public let fileID: String
    public let path: String
    public let wrappedKey: [UInt8]
    public let bytes: Int64
    public let createdAtMs: Int64

    public init(
        tenant: TenantID, recording: Int64, fileID: String, path: String, wrappedKey: [UInt8],
        bytes: Int64, createdAtMs: Int64
    ) {
        self.tenant = tenant
        self.recording = recording
        self.fileID = fileID
        self.path = path
        self.wrappedKey = wrappedKey
        self.bytes = bytes
        self.createdAtMs = createdAtMs
    }
}

extension ReadTransaction {
    static let recordingColumns = """
        tenant_id, id, file_id, channel_id, path, started_at_ms, ended_at_ms, duration_ms,
        bytes, complete, wrapped_key, expires_at_ms
        """

    public func recordingSettings(_ scope: TenantScope, channel: ChannelID) throws
        -> RecordingSettingsRecord
    {
        let rows = try scoped(
            scope, """
                SELECT enabled, retention_days FROM recording_settings
                WHERE tenant_id = ?1 AND channel_id = ?2
                """, [.integer(channel.rawValue)])
        guard let row = rows.first else {
            return RecordingSettingsRecord(
                tenant: scope.tenant, channel: channel, enabled: false,
                retentionDays: RecordingSettingsRecord.defaultRetentionDays)
        }
        return RecordingSettingsRecord(
            tenant: scope.tenant, channel: channel, enabled: row.int(0) != 0,
            retentionDays: row.optionalInt(1).map(Int.init))
    }

    /// Every channel of every tenant with recording on: read by whootd at start to
    /// install the relay's taps.
    public func channelsWithRecordingOn() throws -> [(TenantID, ChannelID)] {
        try acrossTenants(
            "SELECT tenant_id, channel_id FROM recording_settings WHERE enabled = 1")
            .map { (TenantID($0.int(0)), ChannelID($0.int(1))) }
    }

    /// A tenant's recordings, newest first; with `channel`, only that channel's.
    public func recordings(_ scope: TenantScope, channel: ChannelID? = nil) throws
        -> [RecordingRecord]
    {
        try scoped(
            scope, """
                SELECT \(Self.recordingColumns) FROM recordings
                WHERE tenant_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR channel_id = ?2)
                ORDER BY started_at_ms DESC, id DESC
                """, [.optional(channel?.rawValue)]
        ).map(Self.recording)
    }

    public func recording(_ scope: TenantScope, id: Int64) throws -> RecordingRecord? {
        try scoped(
            scope,
            "SELECT \(Self.recordingColumns) FROM recordings WHERE tenant_id = ?1 AND id = ?2",
            [.integer(id)]
        ).first.map(Self.recording)
    }

    /// Recordings of any tenant whose retention ended at or before `nowMs`, oldest first:
    /// the retention job's work list.
    public func expiredRecordings(nowMs: Int64, limit: Int = 1_000) throws -> [RecordingRecord] {
        // Per tenant on PostgreSQL (see `acrossTenants`), so order and limit once more.
        let records = try acrossTenants(
            """
            SELECT \(Self.recordingColumns) FROM recordings
            WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= ?1
            ORDER BY expires_at_ms LIMIT ?2
            """, [.integer(nowMs), .integer(Int64(limit))]
        ).map(Self.recording)
        let sorted = records.sorted { ($0.expiresAtMs ?? 0) < ($1.expiresAtMs ?? 0) }
        return Array(sorted.prefix(limit))
    }

    /// Recordings of any tenant never marked ended: their writer stopped without closing.
    public func unfinishedRecordings() throws -> [RecordingRecord] {
        try acrossTenants(
            "SELECT \(Self.recordingColumns) FROM recordings WHERE ended_at_ms IS NULL")
            .map(Self.recording)
    }

    /// Every recording and transcript path the database knows, for the orphan sweep.
    public func recordingPaths() throws -> Set<String> {
        Set(try acrossTenants(
            "SELECT path FROM recordings UNION ALL SELECT path FROM transcripts")
            .map { $0.text(0) })
    }

    public func transcript(_ scope: TenantScope, recording: Int64) throws -> TranscriptRecord? {
        try scoped(
            scope, """
                SELECT tenant_id, recording_id, file_id, path, wrapped_key, bytes, created_at_ms
                FROM transcripts WHERE tenant_id = ?1 AND recording_id = ?2
                """, [.integer(recording)]
        ).first.map { row in
            TranscriptRecord(
                tenant: TenantID(row.int(0)), recording: row.int(1), fileID: row.text(2),
                path: row.text(3), wrappedKey: row.blob(4), bytes: row.int(5),
                createdAtMs: row.int(6))
        }
    }

    /// The tenant's recording key, wrapped by the master key, if one was made.
    public func wrappedTenantRecordingKey(_ scope: TenantScope) throws -> [UInt8]? {
        try scoped(
            scope, "SELECT wrapped_key FROM recording_tenant_keys WHERE tenant_id = ?1"
        ).first?.blob(0)
    }

    static func recording(_ row: Row) -> RecordingRecord {
        RecordingRecord(
            tenant: TenantID(row.int(0)), id: row.int(1), fileID: row.text(2),
            channel: ChannelID(row.int(3)), path: row.text(4), startedAtMs: row.int(5),
            endedAtMs: row.optionalInt(6), durationMs: row.optionalInt(7),
            bytes: row.optionalInt(8), complete: row.int(9) != 0, wrappedKey: row.blob(10),
            expiresAtMs: row.optionalInt(11))
    }
}

extension WriteTransaction {
    /// Stores a channel's settings and moves the expiry of its recordings to the new
    /// retention (nil: kept).
    public func saveRecordingSettings(_ settings: RecordingSettingsRecord, nowMs: Int64) throws {
        let scope = TenantScope(settings.tenant)
        let days = settings.retentionDays.map { Int64($0) }
        _ = try scoped(
            scope, """
                INSERT INTO recording_settings (tenant_id, channel_id, enabled, retention_days,
                    updated_at_ms)
                VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (tenant_id, channel_id) DO UPDATE SET enabled = excluded.enabled,
                    retention_days = excluded.retention_days, updated_at_ms = excluded.updated_at_ms
                """,
            [.integer(settings.channel.rawValue), .integer(settings.enabled ? 1 : 0),
             .optional(days), .integer(nowMs)])
        _ = try scoped(
            scope, """
                UPDATE recordings SET expires_at_ms = CASE WHEN CAST(?3 AS BIGINT) IS NULL THEN NULL
                    ELSE started_at_ms + ?3 * 86400000 END
                WHERE tenant_id = ?1 AND channel_id = ?2
                """, [.integer(settings.channel.rawValue), .optional(days)])
    }

    public func insertTenantRecordingKey(_ scope: TenantScope, wrapped: [UInt8], nowMs: Int64)
        throws
    {
        _ = try scoped(
            scope, """
                INSERT INTO recording_tenant_keys (tenant_id, wrapped_key, created_at_ms)
                VALUES (?1, ?2, ?3)
                """, [.blob(wrapped), .integer(nowMs)])
    }

    /// Registers a recording as its file is created; returns its id.
    public func insertRecording(
        _ scope: TenantScope, fileID: String, channel: ChannelID, path: String,
        startedAtMs: Int64, wrappedKey: [UInt8], expiresAtMs: Int64?
    ) throws -> Int64 {
        let id = try insertScoped(
            scope, """
                INSERT INTO recordings (tenant_id, file_id, channel_id, path, started_at_ms,
                    wrapped_key, expires_at_ms)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                """,
            [.text(fileID), .integer(channel.rawValue), .text(path), .integer(startedAtMs),
             .blob(wrappedKey), .optional(expiresAtMs)])
        return id
    }

    public func finishRecording(
        _ scope: TenantScope, id: Int64, endedAtMs: Int64, durationMs: Int64, bytes: Int64,
        complete: Bool
    ) throws {
        _ = try scoped(
            scope, """
                UPDATE recordings SET ended_at_ms = ?3, duration_ms = ?4, bytes = ?5,
                    complete = ?6
                WHERE tenant_id = ?1 AND id = ?2
                """,
            [.integer(id), .integer(endedAtMs), .integer(durationMs), .integer(bytes),
             .integer(complete ? 1 : 0)])
    }

    /// Deletes a recording row with its wrapped key, and its transcript's. Returns false
    /// when there was no such recording.
    /// The journal is scrubbed after the commit, so no copy of the wrapped key stays.
    public func deleteRecording(_ scope: TenantScope, id: Int64) throws -> Bool {
        _ = try scoped(
            scope, "DELETE FROM recordings WHERE tenant_id = ?1 AND id = ?2", [.integer(id)])
        scrubJournalAfterCommit()
        return changes == 1
    }

    /// Attaches (or replaces) a recording's transcript.
    public func saveTranscript(_ record: TranscriptRecord) throws {
        _ = try scoped(
            TenantScope(record.tenant), """
                INSERT INTO transcripts (tenant_id, recording_id, file_id, path, wrapped_key,
                    bytes, created_at_ms)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT (tenant_id, recording_id) DO UPDATE SET file_id = excluded.file_id,
                    path = excluded.path, wrapped_key = excluded.wrapped_key,
                    bytes = excluded.bytes, created_at_ms = excluded.created_at_ms
                """,
            [.integer(record.recording), .text(record.fileID), .text(record.path),
             .blob(record.wrappedKey), .integer(record.bytes), .integer(record.createdAtMs)])
    }
}

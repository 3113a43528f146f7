import Control
import Crypto
import Foundation
import Store
import Wire

/// Reading recordings and transcripts. Each call audits one `recording.access` event in
/// the same transaction that reads the wrapped key, so nothing is read unaudited.
extension RecordingService {
    /// A tenant's recordings, newest first; with `channel`, that channel's only.
    public func list(_ principal: Principal, channel: ChannelID? = nil) throws
        -> [RecordingRecord]
    {
        let target = channel.map { "channel:\($0.rawValue)" } ?? "recordings"
        try authorize(principal, "list", target: target)
        let scope = TenantScope(principal.tenant)
        let now = clock()
        return try store.write { transaction in
            if let channel { try requireChannel(transaction, scope, channel) }
            let records = try transaction.recordings(scope, channel: channel)
            try Self.audit(
                transaction, scope, principal.actor, .recordingAccess, target: target,
                at: now, metadata: ["operation": "list", "outcome": "allowed",
                                    "count": records.count, "via": principal.via])
            return records
        }
    }

    /// The recording as stored (decrypted): Ogg Opus with one logical stream per speaker,
    /// where a speaker who joined later begins mid-file (see `OggOpusMuxer`). That layout
    /// is for whoot's own reader; players and exports get `exportOgg`.
    public func download(_ principal: Principal, recording id: Int64) throws
        -> (record: RecordingRecord, ogg: [UInt8])
    {
        let (record, key) = try openKey(principal, recording: id, operation: "download")
        let ogg = try readAudio(principal, record, key: key, operation: "download").plaintext
        return (record, ogg)
    }

    /// True while the recording's row (and with it its wrapped key) exists. Not audited: a
    /// caller holding part of an export asks before handing out more of it, so a recording
    /// deleted by hand or by retention is not served on.
    public func exists(tenant: TenantID, recording id: Int64) throws -> Bool {
        try store.read { try $0.recording(TenantScope(tenant), id: id) } != nil
    }

    /// An upper bound of the size of the recording's exports (its WAV, the larger), in
    /// bytes, from its stored duration; nil while it records or when it is unknown. Not
    /// audited: it lets a caller hold room for a large export before making it.
    public func exportBytesBound(tenant: TenantID, recording id: Int64) throws -> Int? {
        guard let record = try store.read({ try $0.recording(TenantScope(tenant), id: id) }),
            record.complete, let duration = record.durationMs, duration >= 0
        else { return nil }
        // 96,000 bytes a second (mono 48 kHz 16-bit), with room for speakers placed a
        // little past the stored duration.
        return Int((duration + duration / 10 + 2_000) * 96) + 44
    }

    /// The recording mixed down to one mono 48 kHz 16-bit WAV.
    public func exportWAV(_ principal: Principal, recording id: Int64) throws
        -> (record: RecordingRecord, wav: [UInt8])
    {
        let (record, key) = try openKey(principal, recording: id, operation: "export.wav")
        let contents = try readAudio(principal, record, key: key, operation: "export.wav")
        let tracks = try damagedIfUnparsable(principal, record, "export.wav") {
            try Mixdown.tracks(ogg: contents.plaintext)
        }
        return (record, Mixdown.wav(Mixdown.mix(tracks)))
    }

    /// The recording mixed down to mono and encoded with libopus as a single-stream Ogg
    /// Opus file (RFC 7845) that players and ffmpeg open; same audio as `exportWAV`.
    public func exportOgg(_ principal: Principal, recording id: Int64) throws
        -> (record: RecordingRecord, ogg: [UInt8])
    {
        let (record, key) = try openKey(principal, recording: id, operation: "export.ogg")
        let contents = try readAudio(principal, record, key: key, operation: "export.ogg")
        let tracks = try damagedIfUnparsable(principal, record, "export.ogg") {
            try Mixdown.tracks(ogg: contents.plaintext)
        }
        let speakers = tracks.map { "WHOOT_SPEAKER=\($0.speaker)" }
        let ogg = try MixdownOgg.encode(
            Mixdown.mix(tracks), comments: ["WHOOT_RECORDING=\(id)"] + speakers)
        return (record, ogg)
    }

    /// Attaches (or replaces) a recording's transcript, sealed under its own file key
    /// beside the recording. It is deleted with the recording.
    public func attachTranscript(_ principal: Principal, recording id: Int64, text: String)
        throws
    {
        try authorize(principal, "transcript.attach", target: "recording:\(id)")
        let scope = TenantScope(principal.tenant)
        guard let record = try store.read({ try $0.recording(scope, id: id) }) else {
            throw ControlError.notFound("recording \(id) not found")
        }
        let now = clock()
        let fileIDBytes = SecureRandom.bytes(16)
        let fileID = Hex.encode(fileIDBytes)
        let directory = (record.path as NSString).deletingLastPathComponent
        let path = "\(directory)/\(fileID).wtxt"
        let key = KeyWrap.generateKey()
        var sealer = SealedFileWriter(key: key, fileID: fileIDBytes, kind: .transcript)
        let bytes = try sealer.header + sealer.seal(Array(text.utf8), last: true)
        try PrivateFiles.makeDirectory(stateDirectory + "/" + directory)
        try PrivateFiles.createNew(stateDirectory + "/" + path, contents: bytes)

        let wrapped = try keys.wrapFileKey(key, tenant: principal.tenant, fileID: fileID,
                                           nowMs: now)
        let replaced = try store.write { transaction -> TranscriptRecord? in
            guard try transaction.recording(scope, id: id) != nil else {
                throw ControlError.notFound("recording \(id) not found")
            }
            let old = try transaction.transcript(scope, recording: id)
            try transaction.saveTranscript(TranscriptRecord(
                tenant: principal.tenant, recording: id, fileID: fileID, path: path,
                wrappedKey: wrapped, bytes: Int64(bytes.count), createdAtMs: now))
            try Self.audit(
                transaction, scope, principal.actor, .transcriptionAccess,
                target: "recording:\(id)", at: now,
                metadata: ["operation": "transcript.attach", "outcome": "allowed",
                           "via": principal.via, "replaced": old != nil])
            return old
        }
        if let replaced { try? PrivateFiles.remove(stateDirectory + "/" + replaced.path) }
    }

    /// A recording's transcript text.
    public func transcript(_ principal: Principal, recording id: Int64) throws -> String {
        try authorize(principal, "transcript.read", target: "recording:\(id)")
        let scope = TenantScope(principal.tenant)
        let now = clock()
        let record = try store.write { transaction -> TranscriptRecord? in
            guard let record = try transaction.transcript(scope, recording: id) else {
                return nil
            }
            try Self.audit(
                transaction, scope, principal.actor, .transcriptionAccess,
                target: "recording:\(id)", at: now,
                metadata: ["operation": "transcript.read", "outcome": "allowed",
                           "via": principal.via])
            return record
        }
        guard let record else {
            throw notFound(principal, id, .transcriptionAccess, "transcript.read",
                           message: "recording \(id) has no transcript")
        }
        let key = try keys.unwrapFileKey(
            record.wrappedKey, tenant: principal.tenant, fileID: record.fileID, nowMs: now)
        let contents = try readSealed(
            principal, recording: id, path: record.path, key: key, kind: .transcript,
            complete: true, action: .transcriptionAccess, operation: "transcript.read",
            metadata: [:])
        return String(decoding: contents.plaintext, as: UTF8.self)
    }

    private func readAudio(
        _ principal: Principal, _ record: RecordingRecord, key: Secret<[UInt8]>,
        operation: String
    ) throws -> SealedFileReader.Contents {
        try readSealed(
            principal, recording: record.id, path: record.path, key: key, kind: .audio,
            complete: record.complete, action: .recordingAccess, operation: operation,
            metadata: ["channel": record.channel.rawValue])
    }

    /// Reads and opens a sealed file (audio or transcript). A file that cannot be read or
    /// opened (edited, cut, swapped for another, missing) is the stored data's fault, not
    /// the request's: the failure is audited as a second access event with outcome
    /// `failed`, logged with its path for the operator, and thrown as
    /// `ControlError.damaged` naming the recording, without server paths.
    private func readSealed(
        _ principal: Principal, recording id: Int64, path: String, key: Secret<[UInt8]>,
        kind: SealedFile.Kind, complete: Bool, action: AuditAction, operation: String,
        metadata: [String: Any]
    ) throws -> SealedFileReader.Contents {
        let reason: String
        do {
            let sealed = try PrivateFiles.read(stateDirectory + "/" + path)
            return try SealedFileReader.open(
                sealed, key: key, kind: kind, allowIncomplete: !complete)
        } catch let error as SealedFileError {
            reason = "\(error)"
        } catch RecordingError.io(let why) {
            Self.logger.error("recording file unreadable", ["error": why])
            reason = "the file is missing or cannot be read"
        }
        throw failed(principal, id, action, operation, reason: reason, metadata: metadata)
    }

    /// Runs `parse` over audio that opened; content that is not the Ogg Opus written is
    /// damage too.
    private func damagedIfUnparsable<T>(
        _ principal: Principal, _ record: RecordingRecord, _ operation: String,
        _ parse: () throws -> T
    ) throws -> T {
        do {
            return try parse()
        } catch RecordingError.corrupt(let why) {
            throw failed(principal, record.id, .recordingAccess, operation,
                         reason: "recording content is corrupt: \(why)",
                         metadata: ["channel": record.channel.rawValue])
        }
    }

    /// Audits a failed read (outcome `failed`, its reason) and returns the error to throw.
    private func failed(
        _ principal: Principal, _ id: Int64, _ action: AuditAction, _ operation: String,
        reason: String, metadata: [String: Any]
    ) -> ControlError {
        auditOutcome(principal, id, action, operation, outcome: "failed",
                     metadata: metadata.merging(["reason": reason]) { $1 })
        Self.logger.error("recording file unreadable", [
            "tenant.id": "\(principal.tenant.rawValue)", "recording.id": "\(id)",
            "error": reason,
        ])
        return .damaged("recording \(id) cannot be read: \(reason)")
    }

    /// Audits a request for a recording (or transcript) that is not there, or not the
    /// caller's tenant's (outcome `not_found`, in the caller's own log), so that probing
    /// ids leaves a trace; returns the error to throw.
    private func notFound(
        _ principal: Principal, _ id: Int64, _ action: AuditAction, _ operation: String,
        message: String
    ) -> ControlError {
        auditOutcome(principal, id, action, operation, outcome: "not_found", metadata: [:])
        return .notFound(message)
    }

    private func auditOutcome(
        _ principal: Principal, _ id: Int64, _ action: AuditAction, _ operation: String,
        outcome: String, metadata: [String: Any]
    ) {
        let scope = TenantScope(principal.tenant)
        var fields = metadata
        fields["operation"] = operation
        fields["outcome"] = outcome
        fields["via"] = principal.via
        do {
            try store.write { transaction in
                try Self.audit(transaction, scope, principal.actor, action,
                               target: "recording:\(id)", at: clock(), metadata: fields)
            }
        } catch {
            Self.logger.error("recording access not audited", ["error": "\(error)"])
        }
    }

    /// The record and its unwrapped file key, after auditing the access.
    private func openKey(_ principal: Principal, recording id: Int64, operation: String) throws
        -> (RecordingRecord, Secret<[UInt8]>)
    {
        try authorize(principal, operation, target: "recording:\(id)")
        let scope = TenantScope(principal.tenant)
        let now = clock()
        let found = try store.write { transaction -> RecordingRecord? in
            guard let record = try transaction.recording(scope, id: id) else { return nil }
            try Self.audit(
                transaction, scope, principal.actor, .recordingAccess,
                target: "recording:\(id)", at: now,
                metadata: ["operation": operation, "outcome": "allowed",
                           "channel": record.channel.rawValue, "via": principal.via])
            return record
        }
        guard let record = found else {
            throw notFound(principal, id, .recordingAccess, operation,
                           message: "recording \(id) not found")
        }
        let key = try keys.unwrapFileKey(
            record.wrappedKey, tenant: principal.tenant, fileID: record.fileID, nowMs: now)
        return (record, key)
    }
}

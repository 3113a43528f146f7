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
        let ogg = try readSealed(principal, record, key: key, operation: "download") {
            $0.plaintext
        }
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
        let tracks = try readSealed(principal, record, key: key, operation: "export.wav") {
            try Mixdown.tracks(ogg: $0.plaintext)
        }
        return (record, Mixdown.wav(Mixdown.mix(tracks)))
    }

    /// The recording mixed down to mono and encoded with libopus as a single-stream Ogg
    /// Opus file (RFC 7845) that players and ffmpeg open; same audio as `exportWAV`.
    public func exportOgg(_ principal: Principal, recording id: Int64) throws
        -> (record: RecordingRecord, ogg: [UInt8])
    {
        let (record, key) = try openKey(principal, recording: id, operation: "export.ogg")
        let tracks = try readSealed(principal, record, key: key, operation: "export.ogg") {
            try Mixdown.tracks(ogg: $0.plaintext)
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
        let record = try store.write { transaction -> TranscriptRecord in
            guard let record = try transaction.transcript(scope, recording: id) else {
                throw ControlError.notFound("recording \(id) has no transcript")
            }
            try Self.audit(
                transaction, scope, principal.actor, .transcriptionAccess,
                target: "recording:\(id)", at: now,
                metadata: ["operation": "transcript.read", "outcome": "allowed",
                           "via": principal.via])
            return record
        }
        let key = try keys.unwrapFileKey(
            record.wrappedKey, tenant: principal.tenant, fileID: record.fileID, nowMs: now)
        let sealed = try PrivateFiles.read(stateDirectory + "/" + record.path)
        let contents = try SealedFileReader.open(sealed, key: key, kind: .transcript)
        return String(decoding: contents.plaintext, as: UTF8.self)
    }

    /// Reads the recording's sealed audio file and hands its contents to `parse`. A file
    /// that cannot be read, opened or parsed (edited, cut, swapped for another, missing) is
    /// the stored data's fault, not the request's: the failure is audited as a second
    /// `recording.access` event with outcome `failed`, logged, and thrown as
    /// `ControlError.damaged` naming the recording.
    private func readSealed<T>(
        _ principal: Principal, _ record: RecordingRecord, key: Secret<[UInt8]>,
        operation: String, parse: (SealedFileReader.Contents) throws -> T
    ) throws -> T {
        do {
            let sealed = try PrivateFiles.read(stateDirectory + "/" + record.path)
            return try parse(try SealedFileReader.open(
                sealed, key: key, kind: .audio, allowIncomplete: !record.complete))
        } catch let error as SealedFileError {
            throw damaged(principal, record, operation: operation, reason: "\(error)")
        } catch let error as RecordingError {
            switch error {
            case .corrupt, .io:
                throw damaged(principal, record, operation: operation, reason: "\(error)")
            case .key, .encoding:
                throw error
            }
        }
    }

    private func damaged(
        _ principal: Principal, _ record: RecordingRecord, operation: String, reason: String
    ) -> ControlError {
        let scope = TenantScope(principal.tenant)
        let target = "recording:\(record.id)"
        do {
            try store.write { transaction in
                try Self.audit(
                    transaction, scope, principal.actor, .recordingAccess, target: target,
                    at: clock(), metadata: [
                        "operation": operation, "outcome": "failed", "reason": reason,
                        "channel": record.channel.rawValue, "via": principal.via,
                    ])
            }
        } catch {
            Self.logger.error("recording failure not audited", ["error": "\(error)"])
        }
        Self.logger.error("recording file unreadable", [
            "tenant.id": "\(principal.tenant.rawValue)", "recording.id": "\(record.id)",
            "error": reason,
        ])
        return .damaged("recording \(record.id) cannot be read: \(reason)")
    }

    /// The record and its unwrapped file key, after auditing the access.
    private func openKey(_ principal: Principal, recording id: Int64, operation: String) throws
        -> (RecordingRecord, Secret<[UInt8]>)
    {
        try authorize(principal, operation, target: "recording:\(id)")
        let scope = TenantScope(principal.tenant)
        let now = clock()
        let record = try store.write { transaction -> RecordingRecord in
            guard let record = try transaction.recording(scope, id: id) else {
                throw ControlError.notFound("recording \(id) not found")
            }
            try Self.audit(
                transaction, scope, principal.actor, .recordingAccess,
                target: "recording:\(id)", at: now,
                metadata: ["operation": operation, "outcome": "allowed",
                           "channel": record.channel.rawValue, "via": principal.via])
            return record
        }
        let key = try keys.unwrapFileKey(
            record.wrappedKey, tenant: principal.tenant, fileID: record.fileID, nowMs: now)
        return (record, key)
    }
}

import Admin
import Control
import Crypto
import Recording
import Relay
import Store
import Wire

/// Admin socket commands for recording. The local administrator acts for any tenant;
/// every access is audited with `uid:<n>` as actor.
extension AdminCommands {
    /// Largest piece of an export in one admin-socket reply, in bytes (base64 grows it by a
    /// third; the client reads lines of up to 16 MiB). Larger exports come in pieces, each
    /// fetched with the `continue` token of the one before (`PendingExports`).
    static let maxAdminChunkBytes = 8 * 1_048_576
    /// The smallest piece a caller may ask for (`chunk_bytes`).
    static let minAdminChunkBytes = 65_536
    static let pendingExports = PendingExports()

    /// Decrypts and mixes the recording the request names (audited by the service). An
    /// export that may not fit in one piece first takes a place among the pending exports,
    /// so an export refused for want of room is not audited; one that surely fits (by its
    /// stored duration) needs none and is served while the places are full.
    private static func startExport(
        _ request: AdminRequest, chunkBytes: Int, control: ControlPlane,
        service: RecordingService
    ) throws -> PendingExports.Chunk {
        let tenant = try control.tenantID(slug: request.string("tenant"))
        let principal = RecordingService.Principal.admin(tenant: tenant, actor: request.actor)
        guard let id = try request.optionalInt("recording") else {
            throw ControlError.badRequest("missing recording")
        }
        let format = try request.optionalString("format") ?? "wav"
        guard format == "wav" || format == "ogg" else {
            throw ControlError.badRequest("format must be wav or ogg")
        }
        let fits = try service.exportBytesBound(tenant: tenant, recording: id)
            .map { $0 <= chunkBytes } ?? false
        let reserve = {
            try pendingExports.reserve(
                source: .init(tenant: tenant.rawValue, recording: id), uid: request.peer.uid,
                connection: request.connection, now: monotonicMillis())
        }
        let early = fits ? nil : try reserve()
        let bytes: [UInt8]
        do {
            bytes = format == "wav"
                ? try service.exportWAV(principal, recording: id).wav
                : try service.exportOgg(principal, recording: id).ogg
        } catch {
            if let early { pendingExports.cancel(early) }
            throw error
        }
        guard let place = try early ?? (bytes.count > chunkBytes ? reserve() : nil) else {
            return PendingExports.Chunk(whole: bytes, format: format)
        }
        return try pendingExports.fill(
            place, bytes: bytes, format: format, chunkBytes: chunkBytes, now: monotonicMillis())
    }

    /// The next piece of an export this connection holds, unless its recording is gone.
    private static func continueExport(
        _ token: String, _ request: AdminRequest, chunkBytes: Int, service: RecordingService
    ) throws -> PendingExports.Chunk {
        if let source = pendingExports.source(of: token, connection: request.connection),
           try !service.exists(tenant: TenantID(source.tenant), recording: source.recording)
        {
            pendingExports.forget(token)
            throw ControlError.notFound(
                "recording \(source.recording) was deleted during the export")
        }
        return try pendingExports.next(
            token, uid: request.peer.uid, connection: request.connection,
            chunkBytes: chunkBytes, now: monotonicMillis())
    }

    static func registerRecording(
        on admin: AdminServer, control: ControlPlane, service: RecordingService
    ) {
        admin.onConnectionClosed { pendingExports.connectionClosed($0) }
        admin.register("recording.list") { request in
            try request.allowOnly(["tenant", "channel"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let channel = try request.optionalString("channel").map {
                try control.channelID(tenant: tenant, name: $0)
            }
            let records = try service.list(
                .admin(tenant: tenant, actor: request.actor), channel: channel)
            return ["recordings": .array(records.map(json))]
        }
        admin.register("recording.export") { request in
            try request.allowOnly(["tenant", "recording", "format", "continue", "chunk_bytes"])
            let chunkBytes = try request.optionalInt("chunk_bytes").map(Int.init)
                ?? maxAdminChunkBytes
            guard (minAdminChunkBytes...maxAdminChunkBytes).contains(chunkBytes) else {
                throw ControlError.badRequest(
                    "chunk_bytes must be \(minAdminChunkBytes) to \(maxAdminChunkBytes)")
            }
            let chunk: PendingExports.Chunk
            do {
                if let token = try request.optionalString("continue") {
                    chunk = try continueExport(
                        token, request, chunkBytes: chunkBytes, service: service)
                } else {
                    chunk = try startExport(
                        request, chunkBytes: chunkBytes, control: control, service: service)
                }
            } catch let error as PendingExportError {
                throw ControlError.badRequest(error.description)
            }
            var reply: [String: JSONValue] = [
                "format": .string(chunk.format), "bytes": .int(Int64(chunk.total)),
                "offset": .int(Int64(chunk.offset)),
                "data": .string(Base64URL.encode(Array(chunk.bytes))),
            ]
            if let next = chunk.next { reply["next"] = .string(next) }
            return .object(reply)
        }
        admin.register("recording.settings") { request in
            try request.allowOnly(["tenant", "channel", "enabled", "retention"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let channel = try control.channelID(tenant: tenant, name: request.string("channel"))
            let enabled = try request.optionalString("enabled").map { value -> Bool in
                switch value {
                case "on", "true", "yes": return true
                case "off", "false", "no": return false
                default: throw ControlError.badRequest("enabled must be on or off")
                }
            }
            let retention = try request.optionalString("retention").map {
                value -> RecordingService.Retention in
                if value == "keep" { return .keep }
                guard let days = Int(value) else {
                    throw ControlError.badRequest("retention must be a number of days or keep")
                }
                return .days(days)
            }
            let principal = RecordingService.Principal.admin(tenant: tenant, actor: request.actor)
            let settings = (enabled == nil && retention == nil)
                ? try service.settings(principal, channel: channel)
                : try service.update(principal, channel: channel, enabled: enabled,
                                     retention: retention)
            return [
                "channel": .string(try request.string("channel")),
                "enabled": .bool(settings.enabled),
                "retention": .string(settings.retentionDays.map(String.init) ?? "keep"),
            ]
        }
        admin.register("recording.status") { request in
            try request.allowOnly([])
            let taps = service.writer.taps().map { tap -> JSONValue in
                [
                    "tenant_id": .int(tap.tenant.rawValue),
                    "channel_id": .int(tap.channel.rawValue),
                    "pushed": .int(Int64(tap.pushedCount)),
                    "dropped": .int(Int64(tap.droppedCount)),
                    "oversized": .int(Int64(tap.oversizedCount)),
                    "queued": .int(Int64(tap.queued)),
                ]
            }
            return ["taps": .array(taps), "write_errors": .int(Int64(service.writer.errorCount))]
        }
        admin.register("recording.delete") { request in
            try request.allowOnly(["tenant", "recording"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            guard let id = try request.optionalInt("recording") else {
                throw ControlError.badRequest("missing recording")
            }
            try service.delete(.admin(tenant: tenant, actor: request.actor), recording: id)
            return ["recording": .int(id), "deleted": .bool(true)]
        }
    }

    static func json(_ record: RecordingRecord) -> JSONValue {
        [
            "id": .int(record.id), "channel_id": .int(record.channel.rawValue),
            "started_at_ms": .int(record.startedAtMs),
            "ended_at_ms": record.endedAtMs.map(JSONValue.int) ?? .null,
            "duration_ms": record.durationMs.map(JSONValue.int) ?? .null,
            "bytes": record.bytes.map(JSONValue.int) ?? .null,
            "complete": .bool(record.complete),
            "expires_at_ms": record.expiresAtMs.map(JSONValue.int) ?? .null,
        ]
    }
}

import Admin
import Control
import ControlAPI
import Foundation
import HTTPEdge
import Recording
import Store
import Wire

/// Recording endpoints of the HTTPS API, for signed-in members with the `recordings`
/// permission (`Authorization: Bearer <session token>`). Every call is audited by the
/// recording service as `recording.access` with the client's IP and request id.
///
/// | request | answer |
/// |---|---|
/// | `GET /api/recordings[?channel=ID]` | `{"recordings": [...]}` |
/// | `GET /api/recordings/:id/audio.ogg` | mixed to mono Ogg Opus, one logical stream |
/// | `GET /api/recordings/:id/audio.wav` | mixed to mono 48 kHz 16-bit WAV |
/// | `DELETE /api/recordings/:id` | deleted for good |
/// | `GET`/`PUT /api/recordings/:id/transcript` | the transcript (text/plain, UTF-8) |
/// | `GET`/`PUT /api/channels/:id/recording` | `{"enabled": bool, "retention_days": n or "keep"}` |
func registerRecordingRoutes(
    _ router: inout Router, control: ControlPlane, service: RecordingService
) {
    let api = RecordingAPI(control: control, service: service)
    router.add("GET", "/api/recordings") { request, _ in
        api.run(request) { principal in
            let channel = try request.query["channel"].map { ChannelID(try api.number($0)) }
            let records = try service.list(principal, channel: channel)
            return .json(200, ["recordings": records.map(RecordingJSON.init)])
        }
    }
    router.add("GET", "/api/recordings/:id/audio.ogg") { request, params in
        api.run(request) { principal in
            let (_, ogg) = try service.exportOgg(principal, recording: try api.number(params["id"]))
            return HTTPResponse(status: 200, headers: [("Content-Type", "audio/ogg")], body: ogg)
        }
    }
    router.add("GET", "/api/recordings/:id/audio.wav") { request, params in
        api.run(request) { principal in
            let (_, wav) = try service.exportWAV(principal, recording: try api.number(params["id"]))
            return HTTPResponse(status: 200, headers: [("Content-Type", "audio/wav")], body: wav)
        }
    }
    router.add("DELETE", "/api/recordings/:id") { request, params in
        api.run(request) { principal in
            try service.delete(principal, recording: try api.number(params["id"]))
            return .json(200, rawJSON: #"{"deleted":true}"#)
        }
    }
    router.add("GET", "/api/recordings/:id/transcript") { request, params in
        api.run(request) { principal in
            let text = try service.transcript(principal, recording: try api.number(params["id"]))
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: Array(text.utf8))
        }
    }
    router.add("PUT", "/api/recordings/:id/transcript") { request, params in
        api.run(request) { principal in
            guard let text = String(validating: request.body, as: UTF8.self) else {
                throw ControlError.badRequest("transcript must be UTF-8 text")
            }
            try service.attachTranscript(
                principal, recording: try api.number(params["id"]), text: text)
            return .json(200, rawJSON: #"{"attached":true}"#)
        }
    }
    router.add("GET", "/api/channels/:id/recording") { request, params in
        api.run(request) { principal in
            let settings = try service.settings(
                principal, channel: ChannelID(try api.number(params["id"])))
            return settingsResponse(settings)
        }
    }
    router.add("PUT", "/api/channels/:id/recording") { request, params in
        api.run(request) { principal in
            let change = try api.settingsChange(request)
            let settings = try service.update(
                principal, channel: ChannelID(try api.number(params["id"])),
                enabled: change.enabled, retention: change.retention)
            return settingsResponse(settings)
        }
    }
}

/// Authentication and error mapping shared by the recording routes.
struct RecordingAPI: @unchecked Sendable {
    let control: ControlPlane
    let service: RecordingService

    func run(_ request: HTTPRequest, _ body: (RecordingService.Principal) throws -> HTTPResponse)
        -> HTTPResponse
    {
        do {
            let parts = (request.header("authorization") ?? "").split(separator: " ")
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw ControlError.unauthorized("missing Authorization: Bearer <session token>")
            }
            let caller = try control.authenticate(
                session: String(parts[1]), now: ControlPlane.wallClockMilliseconds(),
                ip: request.clientAddress, requestID: request.requestID)
            return try body(.member(caller))
        } catch let error as ControlError {
            return .error(error.status, error.description)
        } catch let error as APIError {
            return .error(error.status, error.message)
        } catch {
            return .error(500, "recording request failed: \(error)")
        }
    }

    func number(_ text: String?) throws -> Int64 {
        guard let text, let value = Int64(text), value > 0 else {
            throw ControlError.badRequest("id must be a positive integer")
        }
        return value
    }

    /// The change a settings body asks for; see `RecordingSettingsBody` for the rules.
    func settingsChange(_ request: HTTPRequest) throws
        -> (enabled: Bool?, retention: RecordingService.Retention?)
    {
        let body = try RecordingSettingsBody(request)
        switch body.retention {
        case nil: return (body.enabled, nil)
        case .keep?: return (body.enabled, .keep)
        case .days(let days)?: return (body.enabled, .days(days))
        }
    }
}

struct RecordingJSON: Encodable {
    let id: Int64
    let channel_id: Int64
    let started_at_ms: Int64
    let ended_at_ms: Int64?
    let duration_ms: Int64?
    let bytes: Int64?
    let complete: Bool
    let expires_at_ms: Int64?

    init(_ record: RecordingRecord) {
        id = record.id
        channel_id = record.channel.rawValue
        started_at_ms = record.startedAtMs
        ended_at_ms = record.endedAtMs
        duration_ms = record.durationMs
        bytes = record.bytes
        complete = record.complete
        expires_at_ms = record.expiresAtMs
    }
}

/// `{"channel_id": n, "enabled": bool, "retention_days": n or "keep"}`, numbers as JSON
/// numbers.
func settingsResponse(_ settings: RecordingSettingsRecord) -> HTTPResponse {
    let value: JSONValue = [
        "channel_id": .int(settings.channel.rawValue),
        "enabled": .bool(settings.enabled),
        "retention_days": settings.retentionDays.map { .int(Int64($0)) } ?? .string("keep"),
    ]
    return HTTPResponse(
        status: 200, headers: [("Content-Type", "application/json")], body: value.encoded())
}

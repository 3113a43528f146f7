import Admin
import HTTPEdge

/// The body of `PUT /api/channels/:id/recording`, read as strictly as the `/v1` bodies
/// (`JSONBody`): `application/json`, at most 8 KiB, one JSON object with no unknown
/// fields, `enabled` a JSON boolean and `retention_days` a positive integer or the string
/// "keep". Both fields are optional; a field left out is left unchanged.
public struct RecordingSettingsBody: Sendable, Equatable {
    /// A channel's retention as the body states it.
    public enum Retention: Sendable, Equatable {
        /// Delete recordings this many days after they start (at least 1).
        case days(Int)
        /// Never delete them.
        case keep
    }

    public var enabled: Bool?
    public var retention: Retention?

    /// Reads `request`'s body. Throws `APIError` with status 413, 415 or 400 naming the
    /// fault; nothing has changed when it throws.
    public init(_ request: HTTPRequest) throws {
        let body = try JSONBody(request, allowed: ["enabled", "retention_days"])
        switch body.fields["enabled"] {
        case nil: enabled = nil
        case .bool(let flag)?: enabled = flag
        default: throw APIError(400, "field \"enabled\" must be true or false")
        }
        switch body.fields["retention_days"] {
        case nil: retention = nil
        case .string("keep")?: retention = .keep
        case .int(let days)? where days > 0 && days <= Int64(Int.max): retention = .days(Int(days))
        default:
            throw APIError(
                400, "field \"retention_days\" must be a positive integer or \"keep\"")
        }
    }
}

import Foundation
import Store

extension AuditFilter {
    /// A filter from the text people and URLs give: `from` and `to` as ISO 8601 times
    /// (`2025-01-31T12:00:00Z`, with or without milliseconds, or a date `2025-01-31`
    /// meaning its UTC midnight) or Unix ms; `actions` comma-separated `AuditAction` names;
    /// `actor` exact ("member:7", "uid:0", "system"). `.badRequest` names a bad value.
    public static func parse(
        from: String?, to: String?, actions: String?, actor: String?
    ) throws -> AuditFilter {
        var filter = AuditFilter()
        filter.fromMs = try from.map { try parseTime($0, name: "from") }
        filter.toMs = try to.map { try parseTime($0, name: "to") }
        for name in (actions ?? "").split(separator: ",") {
            let name = name.trimmingCharacters(in: .whitespaces)
            guard AuditAction(rawValue: name) != nil else {
                throw ControlError.badRequest("unknown audit action \"\(name)\"")
            }
            filter.actions.insert(name)
        }
        if let actor, !actor.isEmpty { filter.actor = actor }
        return filter
    }

    /// Unix ms from ISO 8601 or decimal ms.
    public static func parseTime(_ text: String, name: String) throws -> Int64 {
        if let ms = Int64(text) { return ms }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let dateOnly = ISO8601DateFormatter()
        dateOnly.formatOptions = [.withFullDate]
        for formatter in [withFraction, plain, dateOnly] {
            if let date = formatter.date(from: text) {
                return Int64((date.timeIntervalSince1970 * 1_000).rounded())
            }
        }
        throw ControlError.badRequest(
            "\(name) must be an ISO 8601 time (2025-01-31T12:00:00Z) or Unix ms, got \(text)")
    }
}

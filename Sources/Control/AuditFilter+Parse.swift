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
        if let start = filter.fromMs, let end = filter.toMs, start > end {
            throw ControlError.badRequest("from (\(from ?? "")) is after to (\(to ?? ""))")
        }
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
        let problem = ControlError.badRequest(
            "\(name) must be an ISO 8601 time (2025-01-31T12:00:00Z) or Unix ms, got \(text)")
        // Foundation's parser rolls 25:00 over into the next day; check the fields first.
        guard fieldsAreInRange(text) else { throw problem }
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
        throw problem
    }

    /// Month, day, hour, minute and second of `YYYY-MM-DD[THH:MM:SS...]` are in range
    /// (the day for its month and year).
    static func fieldsAreInRange(_ text: String) -> Bool {
        let digits = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= digits.count else { return nil }
            var value = 0
            for byte in digits[start..<(start + count)] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        guard digits.count > 10 else { return true }
        guard let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return false }
        return hour < 24 && minute < 60 && second < 61
    }
}

/// The audit export's CSV format (RFC 4180: comma-separated, CRLF line ends, fields with a
/// comma, quote, CR or LF are quoted and their quotes doubled; UTF-8; one header row).
///
/// Every row has the columns of `header`. `record` says what the row is:
/// - `entry`: an audit entry the filter selected, every column but `key_id` and
///   `signature` filled in;
/// - `link`: an entry inside the exported span that the filter left out: only `tenant`,
///   `seq` and the three hashes, so the chain can be followed without its content;
/// - `checkpoint`: a signed checkpoint of the entry just before it: `tenant`, `seq`, `time`
///   and `at_ms` of signing, `entry_hash`, `key_id` and `signature`.
///
/// Formula neutralization: a cell whose text starts with `=`, `+`, `-`, `@`, TAB, CR or
/// `'` is written with one extra `'` in front, so no spreadsheet runs it. To get the stored
/// value back, drop one leading `'` from any cell that starts with `'`.
public enum AuditCSV {
    public static let header = [
        "record", "tenant", "seq", "time", "at_ms", "actor", "action", "target", "ip",
        "request_id", "metadata", "body_hash", "prev_hash", "entry_hash", "key_id", "signature",
    ]

    /// The cell text for `value`: neutralized if a spreadsheet would run it.
    public static func neutralize(_ value: String) -> String {
        guard let first = value.utf8.first, isFormulaLead(first) else { return value }
        return "'" + value
    }

    /// The stored value of a neutralized cell.
    public static func restore(_ cell: String) -> String {
        cell.hasPrefix("'") ? String(cell.dropFirst()) : cell
    }

    static func isFormulaLead(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"),
            0x09, 0x0D, UInt8(ascii: "'"):
            return true
        default: return false
        }
    }

    /// Appends one row (neutralized, quoted where needed, CRLF-terminated) to `out`.
    public static func appendRow(_ cells: [String], to out: inout [UInt8]) {
        for (index, cell) in cells.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendCell(cell, to: &out)
        }
        out.append(0x0D)
        out.append(0x0A)
    }

    static func appendCell(_ cell: String, to out: inout [UInt8]) {
        let utf8 = cell.utf8
        let neutralize = utf8.first.map(isFormulaLead) ?? false
        let quote = utf8.contains {
            $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A
        }
        if quote { out.append(UInt8(ascii: "\"")) }
        if neutralize { out.append(UInt8(ascii: "'")) }
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        if quote { out.append(UInt8(ascii: "\"")) }
    }

    /// Lower-case hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: bytes.count * 2)
        for (index, byte) in bytes.enumerated() {
            out[2 * index] = digits[Int(byte >> 4)]
            out[2 * index + 1] = digits[Int(byte & 0x0F)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// ISO 8601 UTC with milliseconds, e.g. `2025-01-31T23:59:59.123Z`.
    public static func isoTime(ms: Int64) -> String {
        // Floor division without `ms - millis`, which overflows near Int64.min.
        let (quotient, remainder) = ms.quotientAndRemainder(dividingBy: 1_000)
        let millis = remainder < 0 ? remainder + 1_000 : remainder
        let seconds = remainder < 0 ? quotient - 1 : quotient
        let secondOfDay = ((seconds % 86_400) + 86_400) % 86_400
        let days = (seconds - secondOfDay) / 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(secondOfDay / 3_600, 2)):\(pad(secondOfDay / 60 % 60, 2)):"
            + "\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// The proleptic Gregorian date of a day count from 1970-01-01 (the "days from civil"
    /// inverse, exact for every Int64 day the log can hold).
    static func civilDate(daysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096)
            / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Reads RFC 4180 records from a byte stream, one at a time, in bounded memory (one record
/// plus one chunk). Accepts LF or CRLF line ends.
public struct CSVReader {
    private let next: () throws -> [UInt8]?
    private var chunk: [UInt8] = []
    private var position = 0
    private var finished = false
    /// 1-based line number of the record last returned.
    public private(set) var line = 0
    private var physicalLine = 1

    /// - Parameter next: returns the next chunk of bytes, or nil at the end.
    public init(next: @escaping () throws -> [UInt8]?) {
        self.next = next
    }

    private mutating func byte() throws -> UInt8? {
        while position >= chunk.count {
            guard !finished, let more = try next() else {
                finished = true
                return nil
            }
            chunk = more
            position = 0
        }
        defer { position += 1 }
        return chunk[position]
    }

    private mutating func peek() throws -> UInt8? {
        guard let value = try byte() else { return nil }
        position -= 1
        return value
    }

    /// The next record's fields, or nil at the end. Throws on a quote in the wrong place.
    public mutating func record() throws -> [String]? {
        guard try peek() != nil else { return nil }
        line = physicalLine
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var atStart = true
        while true {
            guard let byte = try byte() else {
                guard !quoted else { throw CSVError(line: line, reason: "unterminated quote") }
                fields.append(String(decoding: field, as: UTF8.self))
                return fields
            }
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if try peek() == UInt8(ascii: "\"") {
                        _ = try self.byte()
                        field.append(byte)
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == 0x0A { physicalLine += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where atStart:
                quoted = true
                atStart = false
            case UInt8(ascii: "\""):
                throw CSVError(line: line, reason: "quote inside an unquoted field")
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                atStart = true
            case 0x0D where try peek() == 0x0A:
                continue
            case 0x0A:
                physicalLine += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return fields
            default:
                field.append(byte)
                atStart = false
            }
        }
    }
}

/// A CSV syntax error and the line it is on.
public struct CSVError: Error, CustomStringConvertible, Equatable {
    public let line: Int
    public let reason: String
    public var description: String { "CSV line \(line): \(reason)" }
}

import Crypto

/// One `a=` line: `a=name` or `a=name:value` (RFC 8866 5.13).
public struct SDPAttribute: Equatable, Sendable {
    public var name: String
    /// Everything after the first `:`, or nil for a property attribute.
    public var value: String?
    /// 1-based line number in the offer, for error messages.
    public var line: Int
}

/// One media section: the `m=` line and the lines after it up to the next `m=`.
public struct MediaDescription: Equatable, Sendable {
    /// `audio`, `video`, `application`, ...
    public var kind: String
    public var port: UInt16
    /// Transport protocol, e.g. `UDP/TLS/RTP/SAVPF`.
    public var proto: String
    /// Format list: payload type numbers for RTP transports.
    public var formats: [String]
    /// The value of this section's `c=` line, if any.
    public var connection: String?
    public var attributes: [SDPAttribute]
    /// 1-based line number of the `m=` line.
    public var line: Int

    /// The first attribute called `name` in this section.
    public func attribute(_ name: String) -> SDPAttribute? {
        attributes.first { $0.name == name }
    }

    /// All attributes called `name` in this section, in order.
    public func attributes(named name: String) -> [SDPAttribute] {
        attributes.filter { $0.name == name }
    }
}

/// A parsed SDP session description (RFC 8866), kept close to the text: typed meaning is
/// given to attributes only during negotiation.
///
/// Parsing accepts CRLF, bare LF and a mix of both, and ignores blank lines. It bounds the
/// input so a hostile offer costs little: at most `maxBytes` of text, `maxLines` lines and
/// `maxMediaSections` media sections.
public struct SessionDescription: Equatable, Sendable {
    public static let maxBytes = 64 * 1024
    public static let maxLines = 4096
    public static let maxMediaSections = 32

    /// The `o=` line's value.
    public var origin: String
    /// The `s=` line's value.
    public var sessionName: String
    /// The session-level `c=` value, if any.
    public var connection: String?
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    /// The first session-level attribute called `name`.
    public func attribute(_ name: String) -> SDPAttribute? {
        attributes.first { $0.name == name }
    }

    /// All session-level attributes called `name`, in order.
    public func attributes(named name: String) -> [SDPAttribute] {
        attributes.filter { $0.name == name }
    }

    /// Parses `text`; throws `SDPError` (`.malformed`) naming the first fault and its line.
    public static func parse(_ text: String) throws -> SessionDescription {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else {
            throw SDPError.malformed(
                "offer is \(bytes.count) bytes, more than the limit of \(maxBytes)")
        }

        var parser = Parser()
        var lineNumber = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard lineNumber <= maxLines else {
                throw SDPError.malformed("offer has more than \(maxLines) lines")
            }
            var line = rawLine[...]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { continue }
            try parser.take(line, number: lineNumber)
        }
        return try parser.finish()
    }
}

/// The line-by-line state of `SessionDescription.parse`.
private struct Parser {
    var sawVersion = false
    var origin: String?
    var sessionName: String?
    var connection: String?
    var attributes: [SDPAttribute] = []
    var media: [MediaDescription] = []

    /// Type letters RFC 8866 defines; anything else is rejected (RFC 8866 5).
    static let sessionTypes: Set<UInt8> = Set("vosiuepcbtrzka".utf8)
    static let mediaTypes: Set<UInt8> = Set("icbka".utf8)

    mutating func take(_ line: ArraySlice<UInt8>, number: Int) throws {
        guard line.count >= 2, line[line.startIndex + 1] == UInt8(ascii: "=") else {
            throw SDPError.malformed("expected '<type>=<value>'", line: number)
        }
        if let bad = line.first(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) {
            throw SDPError.malformed("control character 0x\(String(bad, radix: 16))",
                line: number)
        }

        let type = line[line.startIndex]
        let value = String(decoding: line.dropFirst(2), as: UTF8.self)
        if !sawVersion {
            guard type == UInt8(ascii: "v"), value == "0" else {
                throw SDPError.malformed("first line must be 'v=0'", line: number)
            }
            sawVersion = true
            return
        }

        let letter = String(UnicodeScalar(type))
        if type == UInt8(ascii: "m") {
            try startMedia(value, number: number)
            return
        }
        if media.isEmpty {
            guard Parser.sessionTypes.contains(type) else {
                throw SDPError.malformed("unknown line type '\(letter)='", line: number)
            }
        } else if !Parser.mediaTypes.contains(type) {
            throw SDPError.malformed("'\(letter)=' line inside a media section", line: number)
        }

        switch type {
        case UInt8(ascii: "v"):
            throw SDPError.malformed("second 'v=' line", line: number)
        case UInt8(ascii: "o"):
            guard origin == nil else {
                throw SDPError.malformed("second 'o=' line", line: number)
            }
            guard value.split(separator: " ").count == 6 else {
                throw SDPError.malformed("'o=' line needs 6 fields", line: number)
            }
            origin = value
        case UInt8(ascii: "s"):
            sessionName = value
        case UInt8(ascii: "c"):
            try setConnection(value, number: number)
        case UInt8(ascii: "a"):
            try addAttribute(value, number: number)
        default:
            break
        }
    }

    mutating func startMedia(_ value: String, number: Int) throws {
        guard origin != nil, sessionName != nil else {
            throw SDPError.malformed("'m=' line before 'o=' and 's='", line: number)
        }
        guard media.count < SessionDescription.maxMediaSections else {
            throw SDPError.malformed(
                "more than \(SessionDescription.maxMediaSections) m-lines", line: number)
        }

        let fields = value.split(separator: " ").map(String.init)
        guard fields.count >= 4 else {
            throw SDPError.malformed(
                "'m=' line needs media, port, protocol and formats", line: number)
        }
        let portText = fields[1].split(separator: "/", omittingEmptySubsequences: false)
        guard portText.count <= 2, let port = UInt16(portText[0]),
            portText.count == 1 || UInt16(portText[1]) != nil
        else {
            throw SDPError.malformed("bad port '\(fields[1])' in 'm=' line", line: number)
        }

        media.append(
            MediaDescription(
                kind: fields[0], port: port, proto: fields[2], formats: Array(fields[3...]),
                connection: nil, attributes: [], line: number))
    }

    mutating func setConnection(_ value: String, number: Int) throws {
        let fields = value.split(separator: " ")
        guard fields.count == 3, fields[0] == "IN", fields[1] == "IP4" || fields[1] == "IP6"
        else {
            throw SDPError.malformed("'c=' line must be 'IN IP4|IP6 <address>'", line: number)
        }
        if media.isEmpty {
            connection = value
        } else {
            media[media.count - 1].connection = value
        }
    }

    mutating func addAttribute(_ value: String, number: Int) throws {
        let name: Substring
        let rest: String?
        if let colon = value.firstIndex(of: ":") {
            name = value[..<colon]
            rest = String(value[value.index(after: colon)...])
        } else {
            name = value[...]
            rest = nil
        }
        guard !name.isEmpty, name.utf8.allSatisfy(Parser.isTokenByte) else {
            throw SDPError.malformed("bad attribute name in 'a=\(value.prefix(40))'",
                line: number)
        }

        let attribute = SDPAttribute(name: String(name), value: rest, line: number)
        if media.isEmpty {
            attributes.append(attribute)
        } else {
            media[media.count - 1].attributes.append(attribute)
        }
    }

    func finish() throws -> SessionDescription {
        guard sawVersion else { throw SDPError.malformed("empty offer") }
        guard let origin else { throw SDPError.malformed("missing 'o=' line") }
        guard let sessionName else { throw SDPError.malformed("missing 's=' line") }
        return SessionDescription(
            origin: origin, sessionName: sessionName, connection: connection,
            attributes: attributes, media: media)
    }

    /// RFC 8866 9 `token-char`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x30...0x39, 0x41...0x5A,
            0x5E...0x7E:
            return true
        default:
            return false
        }
    }
}

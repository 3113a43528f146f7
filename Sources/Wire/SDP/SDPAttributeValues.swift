import Crypto

/// How a fingerprint reads in SDP (RFC 8122 5).
extension CertificateFingerprint {
    /// The attribute value: `sha-256 AB:CD:...` with upper-case hex.
    public var sdpValue: String {
        "\(hash.rawValue) " + Hex.encode(bytes, separator: ":", upper: true)
    }

    /// Parses an `a=fingerprint` value. Returns nil for hash functions whoot does not
    /// check (md5, sha-1, sha-224, unknown); throws for a value that is not well formed.
    static func parse(_ attribute: SDPAttribute) throws -> CertificateFingerprint? {
        let fields = (attribute.value ?? "").split(separator: " ")
        guard fields.count == 2 else {
            throw SDPError.malformed("fingerprint must be '<hash> <hex>'", line: attribute.line)
        }
        let name = fields[0].lowercased()
        guard let hash = HashFunction(rawValue: name), hash != .sha1 else { return nil }

        let hex = fields[1]
        let groups = hex.split(separator: ":", omittingEmptySubsequences: false)
        guard groups.allSatisfy({ $0.utf8.count == 2 }), let bytes = Hex.decode(String(hex)),
            bytes.count == hash.length
        else {
            throw SDPError.malformed(
                "\(name) fingerprint must be \(hash.length) hex bytes separated by ':'",
                line: attribute.line)
        }
        return CertificateFingerprint(hash: hash, bytes: bytes)
    }
}

/// An `a=rtpmap` value: `<pt> <name>/<clock rate>[/<channels>]` (RFC 8866 6.6).
struct RTPMap {
    var payloadType: UInt8
    var encoding: String
    var clockRate: Int
    var channels: Int

    init(_ attribute: SDPAttribute) throws {
        let fields = (attribute.value ?? "").split(separator: " ")
        let parts = fields.count == 2 ? fields[1].split(separator: "/") : []
        guard fields.count == 2, let pt = UInt8(fields[0]), pt < 128,
            parts.count == 2 || parts.count == 3, let clock = Int(parts[1]),
            parts.count == 2 || Int(parts[2]) != nil
        else {
            throw SDPError.malformed(
                "rtpmap must be '<pt 0-127> <name>/<rate>[/<channels>]'", line: attribute.line)
        }
        payloadType = pt
        encoding = String(parts[0])
        clockRate = clock
        channels = parts.count == 3 ? Int(parts[2])! : 1
    }

    /// Opus is always described as opus/48000/2 (RFC 7587 7); names ignore case.
    var isOpus: Bool {
        encoding.lowercased() == "opus" && clockRate == 48000 && channels == 2
    }
}

/// Splits an `a=fmtp` parameter list on `;`, trimming blanks; keys are lower-cased and a
/// parameter without `=` maps to "". Returns the payload type and the parameters.
func parseFMTP(_ attribute: SDPAttribute) throws -> (UInt8, [String: String]) {
    let value = attribute.value ?? ""
    let space = value.firstIndex(of: " ")
    guard let space, let pt = UInt8(value[..<space]), pt < 128 else {
        throw SDPError.malformed("fmtp must be '<pt 0-127> <parameters>'", line: attribute.line)
    }

    var parameters: [String: String] = [:]
    for item in value[value.index(after: space)...].split(separator: ";") {
        let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = trimmed(pair[0]).lowercased()
        if key.isEmpty { continue }
        parameters[key] = pair.count == 2 ? trimmed(pair[1]) : ""
    }
    return (pt, parameters)
}

/// An `a=extmap` value: `<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 8).
struct ExtensionMap {
    var id: UInt8
    var direction: String?
    var uri: String

    static let audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    static let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"

    init(_ attribute: SDPAttribute) throws {
        let fields = (attribute.value ?? "").split(separator: " ")
        let idParts = fields.first?.split(separator: "/", omittingEmptySubsequences: false) ?? []
        guard fields.count >= 2, idParts.count == 1 || idParts.count == 2,
            let id = UInt8(idParts[0]), id >= 1, id != 15
        else {
            throw SDPError.malformed(
                "extmap must be '<id 1-14 or 16-255>[/<direction>] <uri>'", line: attribute.line)
        }
        self.id = id
        direction = idParts.count == 2 ? String(idParts[1]) : nil
        uri = String(fields[1])
    }
}

/// An `a=setup` value (RFC 4145 4, RFC 8842 5).
enum SetupRole: String {
    case active, passive, actpass, holdconn
}

/// A media direction attribute (RFC 8866 6.7).
enum MediaDirection: String {
    case sendrecv, sendonly, recvonly, inactive

    static func find(in attributes: [SDPAttribute]) -> MediaDirection? {
        for attribute in attributes {
            if let direction = MediaDirection(rawValue: attribute.name) { return direction }
        }
        return nil
    }

    /// The direction an answerer uses for this offered direction (RFC 3264 6.1).
    var answer: MediaDirection {
        switch self {
        case .sendrecv: return .sendrecv
        case .sendonly: return .recvonly
        case .recvonly: return .sendonly
        case .inactive: return .inactive
        }
    }
}

/// `text` without leading and trailing spaces and tabs.
func trimmed(_ text: Substring) -> String {
    let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let first = text.firstIndex(where: { !isBlank($0) }),
        let last = text.lastIndex(where: { !isBlank($0) })
    else { return "" }
    return String(text[first...last])
}

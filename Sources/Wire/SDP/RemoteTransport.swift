import Crypto

/// The peer's ICE credentials, fingerprints and DTLS role, read from the first accepted
/// m-line with session-level values as the fallback (RFC 8839 5.4, RFC 8842 5).
struct RemoteTransport {
    var ufrag: String
    var pwd: String
    var fingerprints: [CertificateFingerprint]
    var role: DTLSRole

    init(offer: SessionDescription, media: MediaDescription) throws {
        func find(_ name: String) -> SDPAttribute? {
            media.attribute(name) ?? offer.attribute(name)
        }

        ufrag = try Self.credential(find("ice-ufrag"), name: "ice-ufrag", lengths: 4...256)
        pwd = try Self.credential(find("ice-pwd"), name: "ice-pwd", lengths: 22...256)

        var lines = media.attributes(named: "fingerprint")
        if lines.isEmpty { lines = offer.attributes(named: "fingerprint") }
        guard !lines.isEmpty else {
            throw SDPError.malformed("missing a=fingerprint", line: media.line)
        }
        fingerprints = try lines.compactMap { try CertificateFingerprint.parse($0) }
        guard !fingerprints.isEmpty else {
            throw SDPError.unsupported(
                "no sha-256, sha-384 or sha-512 fingerprint", line: lines[0].line)
        }

        role = try Self.role(for: find("setup"))
    }

    /// An ICE ufrag or pwd: `ice-char` (ALPHA / DIGIT / "+" / "/") in the allowed lengths.
    static func credential(_ attribute: SDPAttribute?, name: String, lengths: ClosedRange<Int>)
        throws -> String
    {
        guard let attribute else { throw SDPError.malformed("missing a=\(name)") }
        let value = attribute.value ?? ""
        let valid = value.utf8.allSatisfy { byte in
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2B, 0x2F: return true
            default: return false
            }
        }
        guard valid, lengths.contains(value.utf8.count) else {
            throw SDPError.malformed(
                "\(name) must be \(lengths.lowerBound)-\(lengths.upperBound) characters "
                    + "of A-Z a-z 0-9 + /", line: attribute.line)
        }
        return value
    }

    /// The role whoot takes. An absent `a=setup` means the offerer is active (RFC 4145 4).
    static func role(for attribute: SDPAttribute?) throws -> DTLSRole {
        guard let attribute else { return .server }
        let value = attribute.value ?? ""
        switch SetupRole(rawValue: value) {
        case .actpass?, .active?:
            return .server
        case .passive?:
            return .client
        case .holdconn?:
            throw SDPError.unsupported(
                "a=setup:holdconn asks for no DTLS connection", line: attribute.line)
        case nil:
            throw SDPError.unsupported(
                "a=setup:\(value.prefix(20)) is not a DTLS role", line: attribute.line)
        }
    }
}

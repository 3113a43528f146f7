import Crypto

/// What a relay's SDP (an offer or an answer) tells a test peer: the relay's ICE credentials,
/// its DTLS certificate fingerprint, the port of its UDP host candidate on 127.0.0.1 (when
/// the SDP lists candidates) and the mid of every m-line, in order.
public struct RemoteDescription: Sendable {
    public var ufrag: String
    public var password: String
    public var fingerprint: CertificateFingerprint
    /// Port (host order) of the first `a=candidate` line: UDP, host, address 127.0.0.1.
    public var loopbackPort: UInt16?
    public var mids: [String]

    /// Reads the attributes above; session-level and media-level lines are treated alike
    /// (the first ICE and fingerprint lines win, as with BUNDLE every m-line shares them).
    public init(parsing sdp: String) throws {
        var ufrag: String?
        var password: String?
        var fingerprint: [UInt8]?
        var port: UInt16?
        var mids: [String] = []
        for line in sdp.split(whereSeparator: \.isNewline) {
            if ufrag == nil, let value = line.value(after: "a=ice-ufrag:") { ufrag = value }
            if password == nil, let value = line.value(after: "a=ice-pwd:") { password = value }
            if fingerprint == nil, let value = line.value(after: "a=fingerprint:sha-256 ") {
                fingerprint = value.split(separator: ":").compactMap { UInt8($0, radix: 16) }
            }
            if let value = line.value(after: "a=mid:") { mids.append(value) }
            // a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ
            if port == nil, let value = line.value(after: "a=candidate:") {
                let fields = value.split(separator: " ")
                if fields.count >= 8, fields[2].lowercased() == "udp", fields[4] == "127.0.0.1",
                    fields[7] == "host"
                {
                    port = UInt16(fields[5])
                }
            }
        }
        guard let ufrag, let password, let fingerprint, fingerprint.count == 32 else {
            throw TestPeerError("SDP without ICE credentials or a sha-256 fingerprint")
        }
        self.ufrag = ufrag
        self.password = password
        self.fingerprint = CertificateFingerprint(hash: .sha256, bytes: fingerprint)
        loopbackPort = port
        self.mids = mids
    }
}

extension TestPeer {
    /// The ICE password a test peer writes into its SDP. Relays check it only in the checks
    /// they send, and an ICE-lite relay sends none.
    public static let icePassword = "testpeerpasswordtestpeer"

    /// Our fingerprint as SDP writes it (upper-case hex pairs joined by colons).
    public var fingerprintSDP: String {
        let digits = Array("0123456789ABCDEF")
        return fingerprint.bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }
            .joined(separator: ":")
    }

    /// Takes the relay's ICE credentials from its description, for `check` and consent.
    public func adopt(_ remote: RemoteDescription) {
        relayUfrag = remote.ufrag
        relayPassword = remote.password
    }

    /// An answer to a relay's offer of receive-only Opus audio: every offered m-line is
    /// accepted `recvonly` with its mid, payload type `payloadType` (opus/48000/2), rtcp-mux
    /// and BUNDLE, our ICE credentials and fingerprint, and `a=setup:active`, so that this
    /// peer is the DTLS client as `connect` expects (RFC 5763 section 5).
    public func answer(to offer: RemoteDescription, payloadType: Int = 111) -> String {
        var lines = [
            "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0",
            "a=group:BUNDLE " + offer.mids.joined(separator: " "),
        ]
        for mid in offer.mids {
            lines += [
                "m=audio 9 UDP/TLS/RTP/SAVPF \(payloadType)", "c=IN IP4 127.0.0.1",
                "a=recvonly", "a=mid:\(mid)", "a=rtcp-mux",
                "a=rtpmap:\(payloadType) opus/48000/2",
                "a=ice-ufrag:\(ufrag)", "a=ice-pwd:\(Self.icePassword)",
                "a=fingerprint:sha-256 \(fingerprintSDP)", "a=setup:active",
            ]
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

extension Substring {
    fileprivate func value(after prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}

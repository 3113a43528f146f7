import Crypto

/// A host candidate whoot offers in its answer (RFC 8839 5.1). ICE-lite agents have
/// only host candidates.
public struct Candidate: Equatable, Sendable {
    public enum Family: Sendable { case ipv4, ipv6 }

    /// The textual address, e.g. `192.0.2.10` or `2001:db8::10`.
    public var ip: String
    /// UDP port.
    public var port: UInt16
    public var family: Family

    /// A host candidate; the family is taken from the address text.
    public init(ip: String, port: UInt16) {
        self.ip = ip
        self.port = port
        self.family = ip.contains(":") ? .ipv6 : .ipv4
    }
}

/// What whoot brings to a negotiation: its ICE credentials (RFC 8839 5.4), the fingerprint
/// of its DTLS certificate and its host candidates, most preferred first.
public struct LocalMediaParameters: Sendable {
    public var iceUfrag: String
    public var icePwd: String
    public var fingerprint: CertificateFingerprint
    public var candidates: [Candidate]

    public init(
        iceUfrag: String, icePwd: String, fingerprint: CertificateFingerprint,
        candidates: [Candidate]
    ) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.candidates = candidates
    }
}

/// The outcome for one m-line of the offer, in offer order.
public struct NegotiatedMedia: Equatable, Sendable {
    /// 0-based position of the m-line in the offer (and the answer).
    public var index: Int
    public var mid: String?
    /// False when the m-line is answered with port 0.
    public var accepted: Bool
    /// The peer sends media on this m-line (offer sendrecv or sendonly).
    public var receivesFromPeer: Bool
    /// whoot sends media on this m-line (offer sendrecv or recvonly).
    public var sendsToPeer: Bool
    /// The peer's Opus payload type; nil when the m-line is rejected.
    public var payloadType: PayloadType?
    /// The peer's Opus format parameters, keys lower-cased (e.g. `useinbandfec`: "1").
    public var fmtp: [String: String]
    /// RFC 6464 audio level extension id, if offered.
    public var audioLevelExtensionID: UInt8?
    /// RFC 8843 15 mid extension id, if offered.
    public var midExtensionID: UInt8?
    /// SSRCs the peer announced with `a=ssrc` on this m-line.
    public var remoteSSRCs: [SSRC]
    /// The SSRC whoot sends with on this m-line; nil unless `sendsToPeer`.
    public var localSSRC: SSRC?
    /// Why the m-line was rejected; nil when accepted.
    public var rejection: String?
}

/// The result of answering an offer: what the media plane needs to run the session, and the
/// answer text to return to the client.
public struct NegotiatedSession: Sendable {
    public var remoteIceUfrag: String
    public var remoteIcePwd: String
    /// The peer's certificate fingerprints that whoot can check (sha-256/384/512); the
    /// certificate is accepted if any one matches (RFC 8122 5).
    public var remoteFingerprints: [CertificateFingerprint]
    public var localDTLSRole: DTLSRole
    /// The mids in the answer's BUNDLE group; empty when the answer has no group.
    public var bundleMids: [String]
    public var media: [NegotiatedMedia]
    /// The SDP answer, with CRLF line endings.
    public var answer: String
}

/// Which side of the DTLS handshake an endpoint plays (RFC 5763 5: from `a=setup`).
public enum DTLSRole: Sendable, Equatable {
    /// Sends the ClientHello (`a=setup:active`).
    case client
    /// Waits for the ClientHello (`a=setup:passive`).
    case server
}

/// A certificate fingerprint (RFC 8122 5): the hash function and the digest bytes (hex
/// decoded, so upper or lower case in SDP is irrelevant). One `a=fingerprint` line of the
/// remote SDP names the certificate the peer must present.
public struct CertificateFingerprint: Sendable, Equatable {
    public var hash: HashFunction
    public var bytes: [UInt8]

    public init(hash: HashFunction, bytes: [UInt8]) {
        self.hash = hash
        self.bytes = bytes
    }
}

/// An SRTP protection profile negotiated by DTLS-SRTP (RFC 5764 4.1.2, RFC 7714 14.2).
public enum SRTPProfile: Sendable, Equatable, CaseIterable {
    /// SRTP_AES128_CM_HMAC_SHA1_80: AES-128 counter mode with an 80-bit HMAC-SHA1 tag.
    case aes128CmSha1_80
    /// SRTP_AEAD_AES_128_GCM: AES-128-GCM with a 16-byte tag.
    case aeadAes128Gcm

    /// Our preference when offering: GCM first, then the mandatory CM profile.
    public static let preferenceOrder: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmSha1_80]

    /// Master key length in bytes.
    public var keyLength: Int { 16 }

    /// Master salt length in bytes.
    public var saltLength: Int {
        switch self {
        case .aes128CmSha1_80: return 14
        case .aeadAes128Gcm: return 12
        }
    }

    /// The profile's name in OpenSSL's `use_srtp` list.
    var openSSLName: String {
        switch self {
        case .aes128CmSha1_80: return "SRTP_AES128_CM_SHA1_80"
        case .aeadAes128Gcm: return "SRTP_AEAD_AES_128_GCM"
        }
    }

    /// The DTLS-SRTP protection profile identifier (IANA registry).
    init?(dtlsIdentifier: UInt) {
        switch dtlsIdentifier {
        case 0x0001: self = .aes128CmSha1_80
        case 0x0007: self = .aeadAes128Gcm
        default: return nil
        }
    }
}

/// SRTP master keys and salts exported from a finished DTLS handshake (RFC 5764 4.2).
///
/// "Local" protects what this endpoint sends; "remote" unprotects what it receives.
public struct SRTPKeyingMaterial: Sendable {
    public var profile: SRTPProfile
    public var localKey: Secret<[UInt8]>
    public var localSalt: Secret<[UInt8]>
    public var remoteKey: Secret<[UInt8]>
    public var remoteSalt: Secret<[UInt8]>

    public init(
        profile: SRTPProfile, localKey: Secret<[UInt8]>, localSalt: Secret<[UInt8]>,
        remoteKey: Secret<[UInt8]>, remoteSalt: Secret<[UInt8]>
    ) {
        self.profile = profile
        self.localKey = localKey
        self.localSalt = localSalt
        self.remoteKey = remoteKey
        self.remoteSalt = remoteSalt
    }
}

/// Something that happened to a DTLS association, reported once.
public enum DTLSEvent: Sendable {
    /// The handshake finished and the peer's certificate matched the SDP fingerprint.
    case connected(SRTPKeyingMaterial)
    /// The association is dead; the text says why, for one log line.
    case failed(String)
    /// The peer closed the association with close_notify.
    case closed
}

/// What a DTLS step produced: datagrams to send now, in order, and at most one event.
public struct DTLSOutput: Sendable {
    public var datagrams: [[UInt8]]
    public var event: DTLSEvent?

    public init(datagrams: [[UInt8]] = [], event: DTLSEvent? = nil) {
        self.datagrams = datagrams
        self.event = event
    }
}

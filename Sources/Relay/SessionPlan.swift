import Crypto
import Wire

/// Everything the media plane needs to run one admitted WebRTC session, decided by the
/// HTTP edge from the join token and the negotiated SDP. A value: built on the HTTP
/// thread, handed to the forwarding thread that will own the session.
public struct SessionPlan: Sendable {
    public var id: SessionID
    public var tenant: TenantID
    public var channel: ChannelID
    public var member: MemberID

    /// Our ICE credentials for this session (RFC 8445 5.3), and the peer's.
    public var localUfrag: String
    public var localPwd: Secret<String>
    public var remoteUfrag: String

    /// SHA-256 of the bearer credential that created the session. Ending the session
    /// (WHIP DELETE, RFC 9725 4.3) requires the same credential, so a session id seen in
    /// a log is not enough to hang up someone's call.
    public var ownerCredentialHash: [UInt8]

    public var dtlsRole: DTLSRole
    public var remoteFingerprints: [CertificateFingerprint]

    /// The peer's audio towards us, if any m-line lets it send.
    public var incoming: IncomingStream?
    /// Our streams towards the peer, one per m-line that lets it receive, in m-line order.
    public var slots: [SlotPlan]

    public init(
        id: SessionID, tenant: TenantID, channel: ChannelID, member: MemberID,
        localUfrag: String, localPwd: Secret<String>, remoteUfrag: String,
        ownerCredentialHash: [UInt8] = [], dtlsRole: DTLSRole,
        remoteFingerprints: [CertificateFingerprint],
        incoming: IncomingStream?, slots: [SlotPlan]
    ) {
        self.id = id
        self.tenant = tenant
        self.channel = channel
        self.member = member
        self.localUfrag = localUfrag
        self.localPwd = localPwd
        self.remoteUfrag = remoteUfrag
        self.ownerCredentialHash = ownerCredentialHash
        self.dtlsRole = dtlsRole
        self.remoteFingerprints = remoteFingerprints
        self.incoming = incoming
        self.slots = slots
    }
}

/// How the peer sends its audio: the Opus payload type it chose and the RFC 6464
/// extension id, if negotiated.
public struct IncomingStream: Sendable {
    public var payloadType: PayloadType
    public var audioLevelExtensionID: UInt8?

    public init(payloadType: PayloadType, audioLevelExtensionID: UInt8?) {
        self.payloadType = payloadType
        self.audioLevelExtensionID = audioLevelExtensionID
    }
}

/// One receiving m-line of a listener: a slot that carries one speaker at a time under
/// its own SSRC, sequence and timestamp space.
public struct SlotPlan: Sendable {
    public var ssrc: SSRC
    public var payloadType: PayloadType
    public var mid: String?
    public var midExtensionID: UInt8?
    public var audioLevelExtensionID: UInt8?

    public init(
        ssrc: SSRC, payloadType: PayloadType, mid: String?, midExtensionID: UInt8?,
        audioLevelExtensionID: UInt8?
    ) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.mid = mid
        self.midExtensionID = midExtensionID
        self.audioLevelExtensionID = audioLevelExtensionID
    }
}

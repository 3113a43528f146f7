/// One reception report block (RFC 3550 6.4.1).
public struct ReportBlock: Equatable, Sendable {
    public var ssrc: SSRC
    /// Fraction lost since the last report, in 1/256 units.
    public var fractionLost: UInt8
    /// Cumulative packets lost, a signed 24-bit count.
    public var cumulativeLost: Int32
    /// Extended highest sequence number received (cycles << 16 | sequence).
    public var highestSequence: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the last SR's NTP timestamp, 0 if none.
    public var lastSR: UInt32
    /// Delay since that SR, in 1/65536 s.
    public var delaySinceLastSR: UInt32

    public init(
        ssrc: SSRC, fractionLost: UInt8, cumulativeLost: Int32, highestSequence: UInt32,
        jitter: UInt32, lastSR: UInt32, delaySinceLastSR: UInt32
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.highestSequence = highestSequence
        self.jitter = jitter
        self.lastSR = lastSR
        self.delaySinceLastSR = delaySinceLastSR
    }
}

/// One SDES item: type (1 CNAME ... 8 PRIV, 15 MID) and its bytes (RFC 3550 6.5).
public struct SDESItem: Equatable, Sendable {
    public var type: UInt8
    public var value: [UInt8]

    public init(type: UInt8, value: [UInt8]) {
        self.type = type
        self.value = value
    }
}

/// The items describing one source (RFC 3550 6.5).
public struct SDESChunk: Equatable, Sendable {
    public var ssrc: SSRC
    public var items: [SDESItem]

    public init(ssrc: SSRC, items: [SDESItem]) {
        self.ssrc = ssrc
        self.items = items
    }
}

/// One extended report block (RFC 3611 3): block type, type-specific byte and contents.
public struct XRBlock: Equatable, Sendable {
    public var blockType: UInt8
    public var typeSpecific: UInt8
    public var contents: [UInt8]

    public init(blockType: UInt8, typeSpecific: UInt8, contents: [UInt8]) {
        self.blockType = blockType
        self.typeSpecific = typeSpecific
        self.contents = contents
    }
}

/// One packet of a compound RTCP datagram (RFC 3550 6.4-6.7, RFC 3611, RFC 4585 6.1).
public enum RTCPPacket: Equatable, Sendable {
    /// `ntp` is the 64-bit NTP timestamp (seconds << 32 | fraction).
    case senderReport(
        ssrc: SSRC, ntp: UInt64, rtpTime: UInt32, packetCount: UInt32, octetCount: UInt32,
        reports: [ReportBlock])
    case receiverReport(ssrc: SSRC, reports: [ReportBlock])
    case sdes([SDESChunk])
    case bye(ssrcs: [SSRC], reason: String?)
    case app(subtype: UInt8, ssrc: SSRC, name: [UInt8], data: [UInt8])
    case xr(ssrc: SSRC, blocks: [XRBlock])
    /// RTPFB (205) or PSFB (206): `format` is the FMT field, `fci` the rest.
    case feedback(
        packetType: UInt8, format: UInt8, senderSSRC: SSRC, mediaSSRC: SSRC, fci: [UInt8])
    case unknown(packetType: UInt8, count: UInt8, body: [UInt8])

    /// SR or RR: a valid compound packet starts with one (RFC 3550 6.1, A.2).
    public var isReport: Bool {
        switch self {
        case .senderReport, .receiverReport: return true
        default: return false
        }
    }
}

enum RTCPPacketType {
    static let senderReport: UInt8 = 200
    static let receiverReport: UInt8 = 201
    static let sdes: UInt8 = 202
    static let bye: UInt8 = 203
    static let app: UInt8 = 204
    static let transportFeedback: UInt8 = 205
    static let payloadFeedback: UInt8 = 206
    static let extendedReport: UInt8 = 207
}

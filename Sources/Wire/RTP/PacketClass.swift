/// What a datagram on the shared ICE port carries, told by its first byte (RFC 7983 7).
public enum PacketClass: Sendable, Equatable {
    case stun, dtls, rtpOrRtcp, unknown

    public static func classify(firstByte: UInt8) -> PacketClass {
        switch firstByte {
        case 0...3: return .stun
        case 20...63: return .dtls
        case 128...191: return .rtpOrRtcp
        default: return .unknown
        }
    }

    /// Under rtcp-mux, packet types 192-223 in the second byte mark RTCP; RTP payload types
    /// avoid 64-95 for that reason (RFC 5761 4).
    public static func isRTCP(secondByte: UInt8) -> Bool {
        (192...223).contains(secondByte)
    }
}

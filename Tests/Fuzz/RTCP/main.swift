import FuzzSupport
import Wire

/// Compound RTCP as the relay reads it after SRTCP unprotect (RFC 3550 6.1, RFC 3611).
FuzzDriver.run { p in
    let (packets, malformed) = RTCPPacket.parseCompound(p)
    precondition(malformed >= 0)
    for packet in packets { _ = packet.isReport }
}

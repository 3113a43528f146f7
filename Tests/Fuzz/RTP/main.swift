import FuzzSupport
import Wire

/// RTP as the relay reads it after SRTP unprotect: the fixed header, then every extension
/// element id (RFC 8285 one- and two-byte forms) and the RFC 6464 audio level.
FuzzDriver.run { p in
    guard let first = p.first else { return }
    _ = PacketClass.classify(firstByte: first)
    if p.count > 1 { _ = PacketClass.isRTCP(secondByte: p[1]) }

    guard let header = RTPHeaderView.parse(p) else { return }
    precondition(header.headerLength + header.payloadLength <= p.count)
    for id in UInt8(0)...UInt8(255) {
        if let element = header.extensionElement(id: id, in: p) {
            precondition(element.offset >= 0 && element.offset + element.length <= p.count)
        }
    }
    for id in UInt8(0)...UInt8(15) { _ = header.audioLevel(id: id, in: p) }
}

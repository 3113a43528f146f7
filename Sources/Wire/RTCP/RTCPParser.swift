extension RTCPPacket {
    /// Splits a compound RTCP datagram into packets (RFC 3550 6.1, A.2).
    ///
    /// A header that is not version 2 or a length that overruns the datagram stops parsing:
    /// nothing after it can be framed. A packet whose contents contradict its own header
    /// (report count too large for its length, SDES item past the end) is dropped, counted
    /// in `malformed`, and parsing goes on with the next packet. XR blocks that overrun
    /// their packet are dropped with the rest of that packet's blocks, counted likewise.
    /// Callers wanting RFC 3550 A.2 validity also check `packets.first?.isReport`.
    public static func parseCompound(_ p: UnsafeRawBufferPointer)
        -> (packets: [RTCPPacket], malformed: Int)
    {
        var packets: [RTCPPacket] = []
        var malformed = 0
        var at = 0
        while at < p.count {
            guard p.count - at >= 4, p[at] >> 6 == 2 else {
                malformed += 1
                break
            }
            let length = 4 * (Int(be16(p, at + 2)) + 1)
            guard length <= p.count - at else {
                malformed += 1
                break
            }

            var end = at + length
            if p[at] & 0x20 != 0 {
                // Padding is allowed only in the last packet (RFC 3550 6.4.1).
                let padding = Int(p[end - 1])
                guard end == p.count, padding >= 1, padding <= length - 4 else {
                    malformed += 1
                    break
                }
                end -= padding
            }

            var reader = RTCPReader(p: p, at: at + 4, end: end)
            if let packet = parseOne(type: p[at + 1], count: p[at] & 0x1F, &reader,
                badParts: &malformed)
            {
                packets.append(packet)
            } else {
                malformed += 1
            }
            at += length
        }
        return (packets, malformed)
    }

    private static func parseOne(
        type: UInt8, count: UInt8, _ r: inout RTCPReader, badParts: inout Int
    ) -> RTCPPacket? {
        switch type {
        case RTCPPacketType.senderReport:
            guard let ssrc = r.u32(), let ntp = r.u64(), let rtp = r.u32(),
                let packets = r.u32(), let octets = r.u32(),
                let reports = r.reports(Int(count))
            else { return nil }
            // Whatever follows the report blocks is a profile extension (RFC 3550 6.4.1).
            return .senderReport(
                ssrc: SSRC(ssrc), ntp: ntp, rtpTime: rtp, packetCount: packets,
                octetCount: octets, reports: reports)
        case RTCPPacketType.receiverReport:
            guard let ssrc = r.u32(), let reports = r.reports(Int(count)) else { return nil }
            return .receiverReport(ssrc: SSRC(ssrc), reports: reports)
        case RTCPPacketType.sdes:
            return r.sdesChunks(Int(count)).map { .sdes($0) }
        case RTCPPacketType.bye:
            return r.bye(Int(count))
        case RTCPPacketType.app:
            guard let ssrc = r.u32(), let name = r.bytes(4) else { return nil }
            return .app(subtype: count, ssrc: SSRC(ssrc), name: name, data: r.rest())
        case RTCPPacketType.transportFeedback, RTCPPacketType.payloadFeedback:
            guard let sender = r.u32(), let media = r.u32() else { return nil }
            return .feedback(
                packetType: type, format: count, senderSSRC: SSRC(sender),
                mediaSSRC: SSRC(media), fci: r.rest())
        case RTCPPacketType.extendedReport:
            guard let ssrc = r.u32() else { return nil }
            return .xr(ssrc: SSRC(ssrc), blocks: r.xrBlocks(badParts: &badParts))
        default:
            return .unknown(packetType: type, count: count, body: r.rest())
        }
    }
}

/// A bounds-checked cursor over one RTCP packet's body.
struct RTCPReader {
    let p: UnsafeRawBufferPointer
    var at: Int
    let end: Int

    var remaining: Int { end - at }

    mutating func u8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { at += 1 }
        return p[at]
    }

    mutating func u32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { at += 4 }
        return be32(p, at)
    }

    mutating func u64() -> UInt64? {
        guard let high = u32(), let low = u32() else { return nil }
        return UInt64(high) << 32 | UInt64(low)
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { at += count }
        return Array(p[at..<(at + count)])
    }

    mutating func rest() -> [UInt8] { bytes(remaining) ?? [] }

    mutating func reports(_ count: Int) -> [ReportBlock]? {
        guard remaining >= 24 * count else { return nil }
        var blocks: [ReportBlock] = []
        for _ in 0..<count {
            let ssrc = u32()!
            let lost = u32()!
            // Sign-extend the 24-bit cumulative loss.
            let cumulative = Int32(bitPattern: (lost & 0x00FF_FFFF) << 8) >> 8
            blocks.append(ReportBlock(
                ssrc: SSRC(ssrc), fractionLost: UInt8(lost >> 24), cumulativeLost: cumulative,
                highestSequence: u32()!, jitter: u32()!, lastSR: u32()!,
                delaySinceLastSR: u32()!))
        }
        return blocks
    }

    /// SDES chunks: SSRC, items up to a zero type, then zero padding to 32 bits.
    mutating func sdesChunks(_ count: Int) -> [SDESChunk]? {
        var chunks: [SDESChunk] = []
        for _ in 0..<count {
            let start = at
            guard let ssrc = u32() else { return nil }
            var items: [SDESItem] = []
            while true {
                guard let type = u8() else { return nil }
                if type == 0 { break }
                guard let length = u8(), let value = bytes(Int(length)) else { return nil }
                items.append(SDESItem(type: type, value: value))
            }
            let pad = (4 - (at - start) % 4) % 4
            guard bytes(pad) != nil else { return nil }
            chunks.append(SDESChunk(ssrc: SSRC(ssrc), items: items))
        }
        return chunks
    }

    mutating func bye(_ count: Int) -> RTCPPacket? {
        var ssrcs: [SSRC] = []
        for _ in 0..<count {
            guard let ssrc = u32() else { return nil }
            ssrcs.append(SSRC(ssrc))
        }
        guard let length = u8() else { return .bye(ssrcs: ssrcs, reason: nil) }
        guard let text = bytes(Int(length)) else { return nil }
        return .bye(ssrcs: ssrcs, reason: String(decoding: text, as: UTF8.self))
    }

    /// XR report blocks (RFC 3611 3). A block overrunning the packet, or a DLRR block
    /// (type 5) whose length is not whole 12-byte sub-blocks, ends the walk.
    mutating func xrBlocks(badParts: inout Int) -> [XRBlock] {
        var blocks: [XRBlock] = []
        while remaining > 0 {
            guard remaining >= 4 else {
                badParts += 1
                break
            }
            let type = p[at]
            let specific = p[at + 1]
            let length = 4 * Int(be16(p, at + 2))
            guard remaining - 4 >= length, type != 5 || length % 12 == 0 else {
                badParts += 1
                break
            }
            at += 4
            blocks.append(XRBlock(blockType: type, typeSpecific: specific,
                contents: bytes(length)!))
        }
        return blocks
    }
}

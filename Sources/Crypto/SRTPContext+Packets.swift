/// The in-place packet methods: bounds and header checks, stream lookup, index estimation
/// and replay checks, then the profile's transform. Lengths and capacities are in bytes.
extension SRTPContext {
    /// Encrypts and authenticates the RTP packet in `buffer[0..<length]` in place.
    /// `capacity` must leave `rtpOverhead` bytes after it. Returns the new length.
    /// A sequence number already protected in this stream is refused (`.replayFail`): it
    /// would reuse keystream.
    public func protectRTP(
        _ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int
    ) throws(SRTPError) -> Int {
        guard direction == .outbound, length >= 12, length <= 65_535,
              capacity >= length + rtpOverhead
        else { throw .badParam }
        let packet = buffer.assumingMemoryBound(to: UInt8.self)
        guard let header = SRTPBytes.rtpHeaderLength(packet, length: length) else {
            throw .badParam
        }

        let ssrc = SRTPBytes.load32(packet + 8)
        let index = try nextRTPIndex(ssrc, sequence: SRTPBytes.load16(packet + 2))

        return try crypto.protectRTP(
            packet, headerLength: header, length: length, ssrc: ssrc, index: index)
    }

    /// Verifies and decrypts the SRTP packet in `buffer[0..<length]` in place. Returns the
    /// RTP length (shorter by the tag). Replayed or too-old packets are refused before any
    /// cryptography; the window advances only for packets that authenticate.
    public func unprotectRTP(
        _ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int
    ) throws(SRTPError) -> Int {
        guard direction == .inbound, length >= 12, length <= 65_535, capacity >= length
        else { throw .badParam }
        let packet = buffer.assumingMemoryBound(to: UInt8.self)
        guard let header = SRTPBytes.rtpHeaderLength(packet, length: length),
              length >= header + rtpOverhead
        else { throw .badParam }

        let ssrc = SRTPBytes.load32(packet + 8)
        let sequence = SRTPBytes.load16(packet + 2)
        let crypto = self.crypto
        return try withInboundStream(ssrc) { stream throws(SRTPError) in
            let (index, delta) = stream.rtp.estimate(sequence: sequence)
            if let refused = stream.rtp.check(delta: delta) { throw refused }

            let plain = try crypto.unprotectRTP(
                packet, headerLength: header, length: length, ssrc: ssrc, index: index)
            stream.rtp.accept(delta: delta)
            return plain
        }
    }

    /// As `protectRTP`, for one compound RTCP packet; `rtcpOverhead` bytes are appended.
    /// Each stream numbers its SRTCP packets from 1.
    public func protectRTCP(
        _ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int
    ) throws(SRTPError) -> Int {
        guard direction == .outbound, length >= 8, length <= 65_535,
              capacity >= length + rtcpOverhead
        else { throw .badParam }
        let packet = buffer.assumingMemoryBound(to: UInt8.self)
        let ssrc = SRTPBytes.load32(packet + 4)
        let index = try nextRTCPIndex(ssrc)

        return try crypto.protectRTCP(packet, length: length, ssrc: ssrc, index: index)
    }

    /// As `unprotectRTP`, for one SRTCP packet. Packets with the E flag clear (authenticated
    /// but not encrypted, RFC 3711 3.4) are accepted as they are.
    public func unprotectRTCP(
        _ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int
    ) throws(SRTPError) -> Int {
        guard direction == .inbound, length >= 8 + rtcpOverhead, length <= 65_535,
              capacity >= length
        else { throw .badParam }
        let packet = buffer.assumingMemoryBound(to: UInt8.self)
        let crypto = self.crypto
        let ssrc = SRTPBytes.load32(packet + 4)
        let word = SRTPBytes.load32(packet + crypto.srtcpIndexOffset(length: length))
        let index = word & 0x7FFF_FFFF

        return try withInboundStream(ssrc) { stream throws(SRTPError) in
            if let refused = stream.rtcpReceived.check(index) { throw refused }

            let plain = try crypto.unprotectRTCP(packet, length: length, ssrc: ssrc)
            stream.rtcpReceived.accept(index)
            return plain
        }
    }
}

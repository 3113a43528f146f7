/// The cryptographic half of an `SRTPContext` for one protection profile: given a packet and
/// its index, transform the bytes in place. Replay windows and rollover counters stay in
/// the context. Implementations own their OpenSSL contexts and a small scratch area,
/// allocated at init; no method allocates. One thread at a time.
protocol SRTPTransform: AnyObject {
    /// Bytes appended to an RTP packet (the tag).
    var rtpOverhead: Int { get }
    /// Bytes appended to an RTCP packet (tag and the E||SRTCP index word).
    var rtcpOverhead: Int { get }

    /// Offset of the E||SRTCP index word in a protected SRTCP packet of `length` bytes.
    func srtcpIndexOffset(length: Int) -> Int

    /// Encrypts the payload after `headerLength` and appends the tag; returns the length.
    func protectRTP(
        _ packet: UnsafeMutablePointer<UInt8>, headerLength: Int, length: Int, ssrc: UInt32,
        index: UInt64
    ) throws(SRTPError) -> Int

    /// Verifies the tag (`length` includes it) and decrypts; returns the RTP length.
    func unprotectRTP(
        _ packet: UnsafeMutablePointer<UInt8>, headerLength: Int, length: Int, ssrc: UInt32,
        index: UInt64
    ) throws(SRTPError) -> Int

    /// Encrypts after the first 8 bytes, appends E||`index` and the tag; returns the length.
    func protectRTCP(
        _ packet: UnsafeMutablePointer<UInt8>, length: Int, ssrc: UInt32, index: UInt32
    ) throws(SRTPError) -> Int

    /// Verifies and, if the E flag is set, decrypts; returns the RTCP length.
    func unprotectRTCP(
        _ packet: UnsafeMutablePointer<UInt8>, length: Int, ssrc: UInt32
    ) throws(SRTPError) -> Int
}

/// Big-endian reads and writes, and the RTP header layout (RFC 3550 5.1, 5.3.1).
enum SRTPBytes {
    static func load16(_ bytes: UnsafePointer<UInt8>) -> UInt16 {
        UInt16(bytes[0]) << 8 | UInt16(bytes[1])
    }

    static func load32(_ bytes: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8
            | UInt32(bytes[3])
    }

    static func store32(_ value: UInt32, _ bytes: UnsafeMutablePointer<UInt8>) {
        bytes[0] = UInt8(truncatingIfNeeded: value >> 24)
        bytes[1] = UInt8(truncatingIfNeeded: value >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: value)
    }

    /// XORs the low `count` bytes of `value`, big-endian, into `bytes[0..<count]`.
    static func xor(_ value: UInt64, count: Int, into bytes: UnsafeMutablePointer<UInt8>) {
        for position in 0..<count {
            let shift = UInt64(8 * (count - 1 - position))
            bytes[position] ^= UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    /// The RTP header length in bytes: 12, the CSRCs and the header extension, all of which
    /// SRTP authenticates but does not encrypt. nil if `length` cannot hold it.
    static func rtpHeaderLength(_ packet: UnsafePointer<UInt8>, length: Int) -> Int? {
        var header = 12 + 4 * Int(packet[0] & 0x0F)
        guard length >= header else { return nil }
        if packet[0] & 0x10 != 0 {
            guard length >= header + 4 else { return nil }
            header += 4 + 4 * Int(load16(packet + header + 2))
            guard length >= header else { return nil }
        }
        return header
    }
}

/// The fixed RTP header and the extension block's place, read in place from a packet
/// (RFC 3550 5.1, RFC 8285 4). Parsing allocates nothing; offsets index the buffer given.
public struct RTPHeaderView: Equatable, Sendable {
    public var version: UInt8
    public var padding: Bool
    public var marker: Bool
    public var payloadType: PayloadType
    public var sequence: UInt16
    public var timestamp: UInt32
    public var ssrc: SSRC
    public var csrcCount: Int
    /// Bytes from the start of the packet to the payload: fixed header, CSRCs, extension.
    public var headerLength: Int
    /// Payload bytes, padding excluded.
    public var payloadLength: Int
    /// The extension's "defined by profile" field (0xBEDE one-byte, 0x100X two-byte), or
    /// nil when the X bit is clear.
    public var extensionProfile: UInt16?
    /// Offset and length in bytes of the extension elements (after the 4-byte extension
    /// header); both 0 when there is no extension.
    public var extensionOffset: Int
    public var extensionLength: Int

    /// The header of `p`, or nil if `p` is not a well-formed version 2 RTP packet.
    public static func parse(_ p: UnsafeRawBufferPointer) -> RTPHeaderView? {
        guard p.count >= 12, p[0] >> 6 == 2 else { return nil }
        let csrcCount = Int(p[0] & 0x0F)
        var length = 12 + 4 * csrcCount
        guard p.count >= length else { return nil }

        var profile: UInt16?
        var extensionOffset = 0
        var extensionLength = 0
        if p[0] & 0x10 != 0 {
            guard p.count >= length + 4 else { return nil }
            profile = be16(p, length)
            extensionLength = 4 * Int(be16(p, length + 2))
            extensionOffset = length + 4
            length = extensionOffset + extensionLength
            guard p.count >= length else { return nil }
        }

        var paddingLength = 0
        let padded = p[0] & 0x20 != 0
        if padded {
            paddingLength = Int(p[p.count - 1])
            guard paddingLength >= 1, paddingLength <= p.count - length else { return nil }
        }

        return RTPHeaderView(
            version: 2, padding: padded, marker: p[1] & 0x80 != 0,
            payloadType: PayloadType(p[1] & 0x7F), sequence: be16(p, 2),
            timestamp: be32(p, 4), ssrc: SSRC(be32(p, 8)), csrcCount: csrcCount,
            headerLength: length, payloadLength: p.count - length - paddingLength,
            extensionProfile: profile, extensionOffset: extensionOffset,
            extensionLength: extensionLength)
    }

    /// Finds extension element `id` in the one-byte (0xBEDE) or two-byte (0x100X) form
    /// (RFC 8285 4.2, 4.3). Returns the offset and length of its data in `p`, or nil when
    /// absent, the profile is another one, or the block is malformed.
    public func extensionElement(id: UInt8, in p: UnsafeRawBufferPointer)
        -> (offset: Int, length: Int)?
    {
        guard let profile = extensionProfile, id != 0,
            extensionOffset + extensionLength <= p.count
        else { return nil }
        let end = extensionOffset + extensionLength
        var at = extensionOffset

        if profile == 0xBEDE {
            while at < end {
                let byte = p[at]
                if byte == 0 {
                    at += 1
                    continue
                }
                let elementID = byte >> 4
                if elementID == 15 { return nil }
                let length = Int(byte & 0x0F) + 1
                guard at + 1 + length <= end else { return nil }
                if elementID == id { return (at + 1, length) }
                at += 1 + length
            }
        } else if profile & 0xFFF0 == 0x1000 {
            while at < end {
                let elementID = p[at]
                if elementID == 0 {
                    at += 1
                    continue
                }
                guard at + 2 <= end else { return nil }
                let length = Int(p[at + 1])
                guard at + 2 + length <= end else { return nil }
                if elementID == id { return (at + 2, length) }
                at += 2 + length
            }
        }
        return nil
    }

    /// The RFC 6464 client-to-mixer audio level carried in extension `id`: the voice
    /// activity flag and the level in -dBov (0 loudest, 127 silence).
    public func audioLevel(id: UInt8, in p: UnsafeRawBufferPointer)
        -> (voice: Bool, level: UInt8)?
    {
        guard let element = extensionElement(id: id, in: p), element.length >= 1 else {
            return nil
        }
        let byte = p[element.offset]
        return (byte & 0x80 != 0, byte & 0x7F)
    }
}

@inline(__always)
func be16(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
    UInt16(p[at]) << 8 | UInt16(p[at + 1])
}

@inline(__always)
func be32(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(be16(p, at)) << 16 | UInt32(be16(p, at + 2))
}

@inline(__always)
func put16(_ p: UnsafeMutableRawBufferPointer, _ at: Int, _ value: UInt16) {
    p[at] = UInt8(value >> 8)
    p[at + 1] = UInt8(value & 0xFF)
}

@inline(__always)
func put32(_ p: UnsafeMutableRawBufferPointer, _ at: Int, _ value: UInt32) {
    put16(p, at, UInt16(value >> 16))
    put16(p, at + 2, UInt16(value & 0xFFFF))
}

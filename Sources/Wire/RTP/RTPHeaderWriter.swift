/// Writes an RTP header (RFC 3550 5.1) with optional one-byte header extensions
/// (RFC 8285 4.2): the mid (RFC 8843 15) and the audio level (RFC 6464). No CSRCs.
public struct RTPHeaderWriter: Sendable {
    public var payloadType: PayloadType
    public var marker: Bool
    public var sequence: UInt16
    /// RTP timestamp in the clock of the payload format (48 kHz for Opus).
    public var timestamp: UInt32
    public var ssrc: SSRC
    /// Extension id (1-14) and mid value (1-16 bytes of UTF-8).
    public var mid: (id: UInt8, value: String)?
    /// Extension id (1-14), voice activity flag and level in -dBov (0-127).
    public var audioLevel: (id: UInt8, voice: Bool, level: UInt8)?

    public init(
        payloadType: PayloadType, marker: Bool = false, sequence: UInt16, timestamp: UInt32,
        ssrc: SSRC, mid: (id: UInt8, value: String)? = nil,
        audioLevel: (id: UInt8, voice: Bool, level: UInt8)? = nil
    ) {
        self.payloadType = payloadType
        self.marker = marker
        self.sequence = sequence
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.mid = mid
        self.audioLevel = audioLevel
    }

    /// Header length in bytes for this configuration.
    public var length: Int {
        var elements = 0
        if let mid { elements += 1 + mid.value.utf8.count }
        if audioLevel != nil { elements += 2 }
        return elements == 0 ? 12 : 12 + 4 + (elements + 3) / 4 * 4
    }

    /// Writes the header at the start of `buffer` and returns its length in bytes, or nil
    /// when the buffer is too small or an extension id or value is out of range.
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        if let mid, !(1...14).contains(mid.id) || !(1...16).contains(mid.value.utf8.count) {
            return nil
        }
        if let audioLevel, !(1...14).contains(audioLevel.id) || audioLevel.level > 127 {
            return nil
        }
        let total = length
        guard buffer.count >= total, payloadType.rawValue < 128 else { return nil }

        let hasExtension = total > 12
        buffer[0] = 0x80 | (hasExtension ? 0x10 : 0)
        buffer[1] = (marker ? 0x80 : 0) | payloadType.rawValue
        put16(buffer, 2, sequence)
        put32(buffer, 4, timestamp)
        put32(buffer, 8, ssrc.rawValue)
        guard hasExtension else { return total }

        put16(buffer, 12, 0xBEDE)
        put16(buffer, 14, UInt16((total - 16) / 4))
        var at = 16
        if let mid {
            buffer[at] = mid.id << 4 | UInt8(mid.value.utf8.count - 1)
            at += 1
            for byte in mid.value.utf8 {
                buffer[at] = byte
                at += 1
            }
        }
        if let audioLevel {
            buffer[at] = audioLevel.id << 4
            buffer[at + 1] = (audioLevel.voice ? 0x80 : 0) | audioLevel.level
            at += 2
        }
        while at < total {
            buffer[at] = 0
            at += 1
        }
        return total
    }
}

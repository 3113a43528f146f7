import Wire

/// One stream from the relay to a listener (one receiving m-line).
///
/// A slot carries one speaker at a time and keeps its own SSRC, sequence and timestamp
/// space: when the speaker changes, the listener sees one continuous stream, with
/// consecutive sequence numbers and a timestamp that advances by a frame.
struct OutgoingSlot {
    let plan: SlotPlan
    /// The speaker currently mapped onto this slot.
    var speaker: SessionID?
    /// When the mapped speaker last sent a packet here (ms, monotonic).
    var lastForwardAt: UInt64 = 0
    /// The next sequence number to send.
    var nextSequence: UInt16
    /// Added to the speaker's RTP timestamp to give this slot's timestamp.
    var timestampOffset: UInt32 = 0
    /// The last timestamp sent, to continue from on a speaker change.
    var lastTimestamp: UInt32
    var hasSent = false
    var packetsSent: UInt64 = 0
    var octetsSent: UInt64 = 0

    init(plan: SlotPlan) {
        self.plan = plan
        var seed = SystemRandomNumberGenerator()
        nextSequence = UInt16.random(in: 0...0x7FFF, using: &seed)
        lastTimestamp = UInt32.random(in: 0...UInt32.max, using: &seed)
    }

    /// Maps `speaker` onto this slot so that its next packet, with RTP timestamp
    /// `incomingTimestamp`, continues the slot's timeline one 20 ms frame later.
    mutating func assign(_ speaker: SessionID, incomingTimestamp: UInt32, now: UInt64) {
        self.speaker = speaker
        let next = hasSent ? lastTimestamp &+ Self.frameSamples : lastTimestamp
        timestampOffset = next &- incomingTimestamp
        lastForwardAt = now
    }

    /// Samples in one 20 ms Opus frame at 48 kHz (RFC 7587 4.1).
    static let frameSamples: UInt32 = 960
}

extension OutgoingSlot {
    /// Writes this slot's RTP header (RFC 3550 5.1) into `buffer`, with a one-byte header
    /// extension block (RFC 8285 4.2) carrying the audio level (RFC 6464) and the mid
    /// (RFC 8843 15.2) when negotiated. Returns the header length in bytes.
    func writeHeader(
        into buffer: UnsafeMutableRawBufferPointer, marker: Bool, sequence: UInt16,
        timestamp: UInt32, audioLevel: UInt8?
    ) -> Int {
        buffer[1] = (marker ? 0x80 : 0) | (plan.payloadType.rawValue & 0x7F)
        buffer.storeBytes(of: sequence.bigEndian, toByteOffset: 2, as: UInt16.self)
        buffer.storeBytes(of: timestamp.bigEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: plan.ssrc.rawValue.bigEndian, toByteOffset: 8, as: UInt32.self)

        var offset = 16
        if let id = plan.audioLevelExtensionID, let level = audioLevel, id > 0, id < 15 {
            buffer[offset] = id << 4
            buffer[offset + 1] = level
            offset += 2
        }
        if let id = plan.midExtensionID, let mid = plan.mid, id > 0, id < 15,
            !mid.isEmpty, mid.utf8.count <= 16
        {
            buffer[offset] = id << 4 | UInt8(mid.utf8.count - 1)
            offset += 1
            for byte in mid.utf8 {
                buffer[offset] = byte
                offset += 1
            }
        }
        guard offset > 16 else {
            buffer[0] = 0x80
            return 12
        }
        while (offset - 16) % 4 != 0 {
            buffer[offset] = 0
            offset += 1
        }
        buffer[0] = 0x90
        buffer.storeBytes(of: UInt16(0xBEDE).bigEndian, toByteOffset: 12, as: UInt16.self)
        let words = UInt16((offset - 16) / 4)
        buffer.storeBytes(of: words.bigEndian, toByteOffset: 14, as: UInt16.self)
        return offset
    }
}

import Wire

/// One stream from the relay to a listener (one receiving m-line).
///
/// A slot carries one speaker at a time and keeps its own SSRC, sequence and timestamp
/// space: when the speaker changes, the listener sees one continuous stream, with
/// consecutive sequence numbers and a timestamp that advances by a frame.
struct OutgoingSlot {
    let plan: SlotPlan
    /// The speaker (its worker-local session number) currently mapped onto this slot.
    var speaker: UInt32?
    /// Set when `speaker` changed: the next packet rebases the timestamp via `assign`.
    var needsRebase = false
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
    mutating func assign(_ speaker: UInt32, incomingTimestamp: UInt32, now: UInt64) {
        self.speaker = speaker
        needsRebase = false
        let next = hasSent ? lastTimestamp &+ Self.frameSamples : lastTimestamp
        timestampOffset = next &- incomingTimestamp
        lastForwardAt = now
    }

    /// Samples in one 20 ms Opus frame at 48 kHz (RFC 7587 4.1).
    static let frameSamples: UInt32 = 960
}

extension OutgoingSlot {
    /// Writes this slot's RTP header into `buffer`, with the audio level (RFC 6464) and
    /// the mid (RFC 8843 15.2) as one-byte extensions when negotiated. Returns the header
    /// length in bytes, or nil when the buffer is too small.
    func writeHeader(
        into buffer: UnsafeMutableRawBufferPointer, marker: Bool, sequence: UInt16,
        timestamp: UInt32, audioLevel: (voice: Bool, level: UInt8)?
    ) -> Int? {
        var writer = RTPHeaderWriter(
            payloadType: plan.payloadType, marker: marker, sequence: sequence,
            timestamp: timestamp, ssrc: plan.ssrc)
        if let id = plan.midExtensionID, let mid = plan.mid {
            writer.mid = (id, mid)
        }
        if let id = plan.audioLevelExtensionID, let level = audioLevel {
            writer.audioLevel = (id, level.voice, level.level)
        }
        return writer.write(into: buffer)
    }
}

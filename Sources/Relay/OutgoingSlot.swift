import Wire

/// One stream from the relay to a listener (one receiving m-line).
///
/// A slot carries one speaker at a time and keeps its own SSRC, sequence and timestamp
/// space. While a speaker holds it, the speaker's sequence numbers and timestamps are
/// shifted by fixed offsets, so reordering and loss reach the listener as they happened
/// (out-of-order numbers, gaps). When the speaker changes, or the same speaker's SSRC
/// does, the offsets are rebased so that the listener sees one continuous stream: the
/// next sequence number and a timestamp one frame later.
struct OutgoingSlot {
    let plan: SlotPlan
    /// The speaker (its worker-local session number) currently mapped onto this slot.
    var speaker: UInt32?
    /// Set when `speaker` changed: the next packet rebases the offsets via `assign`.
    var needsRebase = false
    /// The SSRC of the speaker's stream the offsets were set for.
    var sourceSSRC: UInt32 = 0
    /// The speaker's first sequence number after the last rebase: older ones are late
    /// packets of before the switch and are not forwarded.
    var rebaseSequence: UInt16 = 0
    /// When the mapped speaker last sent a packet here (ms, monotonic).
    var lastForwardAt: UInt64 = 0
    /// Added to the speaker's sequence number to give this slot's.
    var sequenceOffset: UInt16 = 0
    /// Added to the speaker's RTP timestamp to give this slot's timestamp.
    var timestampOffset: UInt32 = 0
    /// The highest sequence number sent (or, before the first packet, one less than the
    /// random first), and the timestamp sent with it.
    var highestSequence: UInt16
    var lastTimestamp: UInt32
    var hasSent = false
    var packetsSent: UInt64 = 0
    var octetsSent: UInt64 = 0

    init(plan: SlotPlan) {
        self.plan = plan
        var seed = SystemRandomNumberGenerator()
        highestSequence = UInt16.random(in: 0...0x7FFF, using: &seed)
        lastTimestamp = UInt32.random(in: 0...UInt32.max, using: &seed)
    }

    /// Maps `speaker` onto this slot so that its packet with `incomingSequence` and
    /// `incomingTimestamp` continues the slot one sequence number and one 20 ms frame
    /// after the last packet sent.
    mutating func assign(
        _ speaker: UInt32, ssrc: UInt32, incomingSequence: UInt16, incomingTimestamp: UInt32,
        now: UInt64
    ) {
        self.speaker = speaker
        needsRebase = false
        sourceSSRC = ssrc
        rebaseSequence = incomingSequence
        let nextSequence = highestSequence &+ 1
        let nextTimestamp = hasSent ? lastTimestamp &+ Self.frameSamples : lastTimestamp
        sequenceOffset = nextSequence &- incomingSequence
        timestampOffset = nextTimestamp &- incomingTimestamp
        lastForwardAt = now
    }

    /// Takes a packet of `speaker` (its SSRC and sequence number) for this slot: rebases
    /// on a new speaker or SSRC, or on a jump of more than `reorderWindow` back, and
    /// returns false for a late packet from before the last rebase (it would reuse
    /// sequence numbers already sent). A speaker holding the slot for 32,768 packets or
    /// more comes round as "far behind" its rebase point and is rebased: in order, that
    /// keeps the same offsets.
    mutating func take(
        _ speaker: UInt32, ssrc: UInt32, sequence: UInt16, timestamp: UInt32, now: UInt64
    ) -> Bool {
        let behind = Int16(bitPattern: rebaseSequence &- sequence)
        if needsRebase || self.speaker != speaker || sourceSSRC != ssrc
            || behind > Self.reorderWindow
        {
            assign(speaker, ssrc: ssrc, incomingSequence: sequence,
                   incomingTimestamp: timestamp, now: now)
            return true
        }
        return behind <= 0
    }

    /// How far back (packets) a speaker's sequence may go and still count as reordering
    /// rather than a restart: 20 s of 20 ms frames.
    static let reorderWindow: Int16 = 1000

    /// Notes a packet sent with `sequence` and `timestamp`.
    mutating func sent(sequence: UInt16, timestamp: UInt32, payloadBytes: Int, now: UInt64) {
        if !hasSent || Int16(bitPattern: sequence &- highestSequence) > 0 {
            highestSequence = sequence
            lastTimestamp = timestamp
        }
        hasSent = true
        lastForwardAt = now
        packetsSent &+= 1
        octetsSent &+= UInt64(payloadBytes)
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

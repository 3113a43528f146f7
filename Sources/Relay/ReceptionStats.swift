import Wire

/// Reception statistics of one incoming RTP stream, kept as RFC 3550 Appendix A.1, A.3
/// and A.8 describe, for the report block of our receiver reports. A value updated per
/// packet without allocation.
struct ReceptionStats {
    private(set) var ssrc: SSRC?
    private var baseSequence: UInt32 = 0
    private var maxSequence: UInt16 = 0
    private var cycles: UInt32 = 0
    private(set) var received: UInt32 = 0
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: UInt32 = 0
    /// Interarrival jitter in RTP timestamp units, times 16 (RFC 3550 A.8).
    private var jitterScaled: UInt32 = 0
    private var lastTransit: Int64 = 0
    /// Middle 32 bits of the NTP time of the last sender report and when it came (ms).
    private var lastSRNTP: UInt32 = 0
    private var lastSRAt: UInt64 = 0

    /// Records one packet. `arrival` is the arrival time in RTP timestamp units (48 kHz).
    mutating func record(ssrc packetSSRC: SSRC, sequence: UInt16, timestamp: UInt32,
                         arrival: UInt32)
    {
        if ssrc != packetSSRC {
            self = ReceptionStats()
            ssrc = packetSSRC
            baseSequence = UInt32(sequence)
            maxSequence = sequence
            lastTransit = Int64(Int32(bitPattern: arrival &- timestamp))
        }
        let delta = sequence &- maxSequence
        if delta < 0x8000 {
            if sequence < maxSequence { cycles &+= 1 << 16 }
            maxSequence = sequence
        }
        received &+= 1

        let transit = Int64(Int32(bitPattern: arrival &- timestamp))
        let difference = abs(transit - lastTransit)
        lastTransit = transit
        // J += (|D| - J) / 16, kept scaled by 16 (RFC 3550 A.8).
        let scaled = Int64(jitterScaled)
        jitterScaled = UInt32(clamping: scaled + difference - ((scaled + 8) >> 4))
    }

    /// Records a sender report from the stream's source: its NTP time (RFC 3550 6.4.1).
    mutating func recordSenderReport(ntp: UInt64, now: UInt64) {
        lastSRNTP = UInt32(truncatingIfNeeded: ntp >> 16)
        lastSRAt = now
    }

    /// The report block for this stream, or nil before the first packet. Advances the
    /// interval counters used for the fraction lost.
    mutating func reportBlock(now: UInt64) -> ReportBlock? {
        guard let ssrc, received > 0 else { return nil }
        let extendedMax = cycles &+ UInt32(maxSequence)
        let expected = extendedMax &- baseSequence &+ 1
        let lost = Int64(expected) - Int64(received)
        let expectedInterval = expected &- expectedPrior
        let receivedInterval = received &- receivedPrior
        expectedPrior = expected
        receivedPrior = received
        let lostInterval = Int64(expectedInterval) - Int64(receivedInterval)
        let fraction = expectedInterval == 0 || lostInterval <= 0
            ? 0 : UInt8(min(255, (lostInterval << 8) / Int64(expectedInterval)))
        // Delay since the last SR in 1/65536 s.
        let delay = lastSRAt == 0 ? 0 : UInt32(truncatingIfNeeded: (now &- lastSRAt) * 65536 / 1000)

        return ReportBlock(
            ssrc: ssrc, fractionLost: fraction,
            cumulativeLost: Int32(clamping: lost), highestSequence: extendedMax,
            jitter: jitterScaled >> 4, lastSR: lastSRNTP, delaySinceLastSR: delay)
    }
}

/// The packet index of one SRTP stream and the 128 indices below it (RFC 3711 3.3.1 and
/// appendix A), as libsrtp keeps them: `highest` is ROC << 16 | SEQ of the newest packet
/// accepted, bit k of the window says whether `highest - k` was accepted.
///
/// Outbound streams keep one too, so that a repeated sequence number, which would reuse a
/// keystream, is refused.
struct SRTPIndexWindow {
    /// The 48-bit index (ROC << 16 | SEQ) of the newest accepted packet; 0 before any.
    private(set) var highest: UInt64 = 0
    private var recent = Bitmap128()

    /// The rollover counter of the newest accepted packet.
    var rolloverCounter: UInt32 { UInt32(truncatingIfNeeded: highest >> 16) }

    /// The index a packet with `sequence` most likely has, and its distance from `highest`
    /// (RFC 3711 appendix A). Until `highest` passes 2^15 the ROC is taken to be 0, so a
    /// stream that starts near the top of the range is not read as one that wrapped back.
    func estimate(sequence: UInt16) -> (index: UInt64, delta: Int) {
        let half = 32_768
        guard highest > UInt64(half) else {
            return (UInt64(sequence), Int(sequence) - Int(highest))
        }

        let roc = highest >> 16
        let local = Int(highest & 0xFFFF)
        let seq = Int(sequence)
        var guessROC = roc
        var delta = seq - local
        if local < half, seq - local > half {
            guessROC = roc &- 1
            delta = seq - local - 65_536
        } else if local >= half, local - half > seq {
            guessROC = roc + 1
            delta = seq - local + 65_536
        }
        return ((guessROC & 0xFFFF_FFFF) << 16 | UInt64(sequence), delta)
    }

    /// nil when a packet `delta` away from `highest` is new; `.replayFail` when it was
    /// accepted before or lies 128 or more below `highest`.
    func check(delta: Int) -> SRTPError? {
        if delta > 0 { return nil }
        if delta <= -Bitmap128.bits { return .replayFail }
        return recent.contains(-delta) ? .replayFail : nil
    }

    /// Records the packet `delta` away from `highest` (after `check` passed).
    mutating func accept(delta: Int) {
        if delta > 0 {
            recent.shiftTowardsOlder(by: delta)
            recent.insert(0)
            highest += UInt64(delta)
        } else {
            recent.insert(-delta)
        }
    }
}

/// The replay window of inbound SRTCP (RFC 3711 3.3.2): `start` is the oldest index the
/// window covers, bit k says whether `start + k` was accepted. Indices at or beyond
/// `start + 128` are new and slide the window up.
struct SRTCPIndexWindow {
    private var start: UInt32 = 0
    private var seen = Bitmap128()

    /// nil when `index` (31 bits) is acceptable; `.replayFail` when seen or too old.
    func check(_ index: UInt32) -> SRTPError? {
        if UInt64(index) >= UInt64(start) + UInt64(Bitmap128.bits) { return nil }
        if index < start { return .replayFail }
        return seen.contains(Int(index - start)) ? .replayFail : nil
    }

    /// Records `index` (after `check` passed).
    mutating func accept(_ index: UInt32) {
        let offset = Int(index - start)
        if offset < Bitmap128.bits {
            seen.insert(offset)
            return
        }
        let slide = offset - (Bitmap128.bits - 1)
        seen.shiftTowardsNewer(by: slide)
        start += UInt32(slide)
        seen.insert(Bitmap128.bits - 1)
    }
}

/// 128 flags in two words; bit numbers 0...127.
struct Bitmap128 {
    static let bits = 128
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    func contains(_ bit: Int) -> Bool {
        bit < 64 ? low >> UInt64(bit) & 1 == 1 : high >> UInt64(bit - 64) & 1 == 1
    }

    mutating func insert(_ bit: Int) {
        if bit < 64 { low |= 1 << UInt64(bit) } else { high |= 1 << UInt64(bit - 64) }
    }

    /// Moves every flag from bit k to bit k + `count`; flags past 127 fall off.
    mutating func shiftTowardsOlder(by count: Int) {
        if count >= 128 {
            (low, high) = (0, 0)
        } else if count >= 64 {
            (low, high) = (0, low << UInt64(count - 64))
        } else {
            high = high << UInt64(count) | low >> UInt64(64 - count)
            low <<= UInt64(count)
        }
    }

    /// Moves every flag from bit k to bit k - `count`; flags below 0 fall off.
    mutating func shiftTowardsNewer(by count: Int) {
        if count >= 128 {
            (low, high) = (0, 0)
        } else if count >= 64 {
            (low, high) = (high >> UInt64(count - 64), 0)
        } else {
            low = low >> UInt64(count) | high << UInt64(64 - count)
            high >>= UInt64(count)
        }
    }
}

import Testing
import Wire

@testable import Relay

/// A slot's sequence mapping over a long call: offsets stay put while one speaker holds
/// it, late packets from before a switch are refused, and no wrap of the speaker's
/// 16-bit sequence numbers ever stops the stream.
@Suite struct OutgoingSlotTests {
    let plan = SlotPlan(ssrc: SSRC(7), payloadType: PayloadType(111), mid: nil,
                        midExtensionID: nil, audioLevelExtensionID: nil)

    @Test func oneSpeakerIsForwardedAcrossSeveralSequenceWraps() {
        var slot = OutgoingSlot(plan: plan)
        var sequence: UInt16 = 60_000
        var refused = 0
        for packet in 0..<100_000 {
            let taken = slot.take(
                1, ssrc: 5, sequence: sequence, timestamp: UInt32(truncatingIfNeeded: packet * 960),
                now: 0)
            if !taken { refused += 1 }
            slot.sent(sequence: sequence &+ slot.sequenceOffset, timestamp: 0, payloadBytes: 1,
                      now: 0)
            sequence &+= 1
        }
        #expect(refused == 0)
        // Hours in, a packet that arrives 3 late is still reordering: same offset.
        let offset = slot.sequenceOffset
        let reordered = slot.take(1, ssrc: 5, sequence: sequence &- 3, timestamp: 0, now: 0)
        #expect(reordered)
        #expect(slot.sequenceOffset == offset)
    }

    @Test func aLatePacketFromBeforeTheSwitchIsRefusedAndAJumpRebases() {
        var slot = OutgoingSlot(plan: plan)
        func take(_ sequence: UInt16) -> Bool {
            slot.take(1, ssrc: 5, sequence: sequence, timestamp: 0, now: 0)
        }
        #expect(take(100))
        slot.needsRebase = true  // the room put speaker 2 here, then speaker 1 again
        #expect(take(500))
        let offset = slot.sequenceOffset
        let late = take(499)
        #expect(!late)
        let reordered = take(502)
        #expect(reordered)
        #expect(slot.sequenceOffset == offset)
        // Far behind: a restarted sender, not reordering: rebased, not refused.
        let restarted = take(500 &- 5000)
        #expect(restarted)
        #expect(slot.sequenceOffset != offset)
    }
}

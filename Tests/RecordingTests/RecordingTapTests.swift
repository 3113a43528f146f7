import Foundation
import Recording
import Testing
import Wire

@Suite struct RecordingTapTests {
    func push(_ tap: RecordingTap, _ byte: UInt8, timestamp: UInt32 = 0) -> Bool {
        [byte, byte, byte].withUnsafeBytes {
            tap.push(speaker: MemberID(7), timestamp: timestamp, arrivalMs: 5, payload: $0)
        }
    }

    @Test func aFullRingDropsAndCountsWithoutWaiting() {
        let tap = RecordingTap(tenant: TenantID(1), channel: ChannelID(2), capacity: 8)
        for index in 0..<8 { #expect(push(tap, UInt8(index))) }
        #expect(!push(tap, 99))
        #expect(!push(tap, 98))
        #expect(tap.droppedCount == 2)
        #expect(tap.pushedCount == 8)

        var seen: [UInt8] = []
        tap.drain(limit: 3) { seen.append($0.payload[0]) }
        #expect(seen == [0, 1, 2])
        #expect(push(tap, 50))
    }

    @Test func framesComeOutInOrderAsCopiesWithTheirMetadata() {
        let tap = RecordingTap(tenant: TenantID(1), channel: ChannelID(2), capacity: 4)
        var source: [UInt8] = [1, 2, 3, 4]
        source.withUnsafeBytes {
            _ = tap.push(speaker: MemberID(3), timestamp: 960, arrivalMs: 42, payload: $0)
        }
        source[0] = 77
        var frames: [(MemberID, UInt32, UInt64, [UInt8])] = []
        tap.drain { frames.append(($0.speaker, $0.timestamp, $0.arrivalMs, Array($0.payload))) }
        #expect(frames.count == 1)
        #expect(frames[0].0 == MemberID(3) && frames[0].1 == 960 && frames[0].2 == 42)
        #expect(frames[0].3 == [1, 2, 3, 4])
    }

    @Test func anOversizedPayloadIsDroppedAndCounted() {
        let tap = RecordingTap(tenant: TenantID(1), channel: ChannelID(2), capacity: 4)
        let big = [UInt8](repeating: 0, count: RecordingTap.slotBytes + 1)
        let pushed = big.withUnsafeBytes {
            tap.push(speaker: MemberID(3), timestamp: 0, arrivalMs: 0, payload: $0)
        }
        #expect(!pushed)
        #expect(tap.oversizedCount == 1 && tap.queued == 0)
    }

    @Test func aProducerAndAConsumerOnTwoThreadsLoseNothingButCountedDrops() async {
        let tap = RecordingTap(tenant: TenantID(1), channel: ChannelID(2), capacity: 64)
        let total = 50_000
        let producer = Thread {
            for index in 0..<total {
                withUnsafeBytes(of: UInt32(index)) {
                    _ = tap.push(speaker: MemberID(1), timestamp: UInt32(index), arrivalMs: 0,
                                 payload: $0)
                }
            }
        }
        producer.start()
        var received: [UInt32] = []
        var last: Int64 = -1
        var ordered = true
        while received.count + Int(tap.droppedCount) < total {
            tap.drain { frame in
                let value = frame.payload.load(as: UInt32.self)
                if Int64(value) <= last || value != frame.timestamp { ordered = false }
                last = Int64(value)
                received.append(value)
            }
        }
        #expect(ordered)
        #expect(received.count + Int(tap.droppedCount) == total)
        #expect(Int(tap.pushedCount) == received.count)
    }
}

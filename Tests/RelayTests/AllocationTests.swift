import CAllocCounter
import Crypto
import Testing
import TestKit
import Wire

@testable import Relay

@Suite struct AllocationTests {
    /// Counts heap allocations made by the worker's turns (receive batch, routing lookup,
    /// decrypt, ranking, per-slot rewrite and encrypt, send batch) while it forwards a
    /// speaker's packets to three listeners. Packets are protected before counting starts,
    /// and the listeners' sockets are drained between chunks with counting off. The relay's
    /// own SRTP allocates nothing, so neither may anything else: one allocation per packet
    /// anywhere on the path fails the test.
    @Test(.enabled(if: whoot_alloc_counter_available() != 0))
    func forwardingAllocatesNothing() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join(slots: 1)
        let listeners = try (0..<3).map { _ in try harness.join(slots: 2) }
        let engine = harness.relay.engines[0]
        var sequence: UInt16 = 0

        func chunk(_ count: Int, counted: Bool) throws -> UInt64 {
            let packets = try (0..<count).map { _ in
                sequence &+= 1
                return try speaker.peer.protect(
                    sequence: sequence, timestamp: UInt32(sequence) * 960, ssrc: speaker.ssrc,
                    level: 20)
            }
            var allocations: UInt64 = 0
            for packet in packets {
                speaker.peer.socket.send(packet, toPort: harness.port)
                if counted { whoot_alloc_counter_arm() }
                engine.turn(timeoutMs: 5)
                if counted { allocations += UInt64(whoot_alloc_counter_disarm()) }
            }
            for listener in listeners { _ = listener.peer.receiveRTP(timeoutMs: 1) }
            return allocations
        }

        // Warm-up: the ranking settles and the targets and scratch arrays reach capacity.
        _ = try chunk(100, counted: false)
        let forwardedBefore = harness.relay.counters.rtpForwarded.load(ordering: .relaxed)
        var allocations: UInt64 = 0
        for _ in 0..<10 { allocations += try chunk(200, counted: true) }
        let forwarded = harness.relay.counters.rtpForwarded.load(ordering: .relaxed)
            - forwardedBefore

        #expect(forwarded == 2000 * 3)
        #expect(allocations == 0, "\(allocations) allocations while forwarding 2000 packets")
    }

    /// Our SRTP on its own, both profiles: protect and unprotect allocate nothing.
    @Test(.enabled(if: whoot_alloc_counter_available() != 0), arguments: SRTPProfile.allCases)
    func srtpAllocatesNothingPerPacket(profile: SRTPProfile) throws {
        let key = Secret([UInt8](repeating: 1, count: profile.keyLength))
        let salt = Secret([UInt8](repeating: 2, count: profile.saltLength))
        let outbound = try SRTPContext(profile: profile, key: key, salt: salt, direction: .outbound)
        let inbound = try SRTPContext(profile: profile, key: key, salt: salt, direction: .inbound)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
        defer { buffer.deallocate() }
        let base = buffer.baseAddress!
        var allocations: UInt64 = 0

        for sequence in 0..<300 {
            let rtp: [UInt8] = [0x80, 111, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
                + [0, 0, 0, 1, 0, 0, 0, 9] + [UInt8](repeating: 7, count: 60)
            let rtcp: [UInt8] = [0x80, 201, 0, 1, 0, 0, 0, 9]
            for packet in [rtp, rtcp] {
                buffer.copyBytes(from: packet)
                let isRTP = packet.count > 8
                whoot_alloc_counter_arm()
                let sealed = isRTP
                    ? try outbound.protectRTP(base, length: packet.count, capacity: 2048)
                    : try outbound.protectRTCP(base, length: packet.count, capacity: 2048)
                _ = isRTP
                    ? try inbound.unprotectRTP(base, length: sealed, capacity: 2048)
                    : try inbound.unprotectRTCP(base, length: sealed, capacity: 2048)
                let counted = UInt64(whoot_alloc_counter_disarm())
                if sequence > 0 { allocations += counted }
            }
        }

        #expect(allocations == 0, "\(allocations) allocations in 299 x 4 SRTP operations")
    }

    @Test(.enabled(if: whoot_alloc_counter_available() != 0))
    func theCounterSeesAnAllocation() {
        whoot_alloc_counter_arm()
        let box = Box(value: 7)
        let count = whoot_alloc_counter_disarm()
        #expect(box.value == 7)
        #expect(count >= 1)
    }
}

private final class Box {
    let value: Int
    init(value: Int) { self.value = value }
}

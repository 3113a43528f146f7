import TestKit
import Testing
import Wire

@testable import Relay

/// An overloaded relay sheds late voice instead of forwarding it late: an RTP packet that
/// waited in the socket longer than `RelayEngine.staleMediaMs` (by the kernel's arrival
/// stamp) is decrypted and recorded but not forwarded, and counted as `stale_media`.
@Suite struct StaleMediaTests {
    /// Counts the frames a channel's recording would get.
    final class CountingTap: MediaTap {
        var frames = 0
        func push(
            speaker: MemberID, timestamp: UInt32, arrivalMs: UInt64,
            payload: UnsafeRawBufferPointer
        ) -> Bool {
            frames += 1
            return true
        }
    }

    @Test func packetThatWaitedPastTheLimitIsRecordedButNotForwarded() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join()
        let listener = try harness.join()
        let tap = CountingTap()
        harness.relay.setRecordingTap(tenant: TenantID(1), channel: ChannelID(1), tap: tap)
        harness.pump()

        // The worker does not turn while the packet sits in its socket.
        let late = try speaker.peer.protect(
            sequence: 1, timestamp: 960, ssrc: speaker.ssrc, level: 20)
        speaker.peer.socket.send(late, toPort: harness.port)
        usleepMillis(UInt32(RelayEngine.staleMediaMs) + 50)
        harness.pump()

        #expect(received(listener, harness).isEmpty)
        #expect(harness.relay.counters.drops(.staleMedia) == 1)
        #expect(tap.frames == 1)

        // The next packet, handled at once, is forwarded on the same slot stream.
        try speak(speaker, harness, sequence: 2, timestamp: 1920, level: 20)
        let packets = received(listener, harness)
        #expect(packets.count == 1)
        #expect(tap.frames == 2)
        #expect(harness.relay.counters.drops(.staleMedia) == 1)

        // The stale packet was decrypted: its SRTP index is known, so a replay of it is one.
        speaker.peer.socket.send(late, toPort: harness.port)
        harness.pump()
        #expect(harness.relay.counters.drops(.srtpReplay) == 1)
    }

    @Test func packetsHandledWithinTheLimitAreAllForwarded() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join()
        let listener = try harness.join()

        // Queued together and handled in one turn, well within the limit.
        for index in 0..<20 {
            let packet = try speaker.peer.protect(
                sequence: UInt16(index), timestamp: UInt32(index * 960), ssrc: speaker.ssrc,
                level: 20)
            speaker.peer.socket.send(packet, toPort: harness.port)
        }
        harness.pump()

        #expect(received(listener, harness).count == 20)
        #expect(harness.relay.counters.drops(.staleMedia) == 0)
    }

    @Test func ringCarriesTheArrivalStampToTheOwner() {
        let ring = SPSCRing(capacity: 4)
        let peer = PeerAddress(host: "127.0.0.1", port: 5000)!
        let stamped = [UInt8](repeating: 1, count: 20).withUnsafeBytes {
            ring.push($0, from: peer, session: 3, arrival: 1_234_567)
        }
        #expect(stamped)
        #expect(ring.peek()?.entry.arrival == 1_234_567)
    }
}

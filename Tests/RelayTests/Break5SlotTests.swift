import TestKit
import Testing
import Wire

@testable import Relay

/// Round 5 of "break it": hostile and unusual slot cases of the forwarding core that the
/// other suites do not cover. A test that fails shows a finding.
@Suite struct Break5SlotTests {
    /// The SSRCs of the RTP (not RTCP) datagrams waiting at `member`, read off the wire
    /// (the SSRC is in clear in SRTP), so the test peer's own 16-stream limit plays no part.
    private func wireSSRCs(_ member: RelayHarness.Member, _ harness: RelayHarness) -> [UInt32] {
        for _ in 0..<3 { harness.pump() }
        var ssrcs: [UInt32] = []
        while let datagram = member.peer.socket.receive(timeoutMs: 1) {
            guard datagram.count >= 12, PacketClass.classify(firstByte: datagram[0]) == .rtpOrRtcp,
                !PacketClass.isRTCP(secondByte: datagram[1])
            else { continue }
            ssrcs.append(datagram[8..<12].reduce(0) { $0 << 8 | UInt32($1) })
        }
        return ssrcs
    }

    /// Sequence numbers consecutive and timestamps one 20 ms frame apart, packet by packet.
    private func expectContinuous(
        _ packets: [(header: RTPHeaderView, payload: [UInt8])],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for (before, after) in zip(packets, packets.dropFirst()) {
            #expect(after.header.sequence == before.header.sequence &+ 1,
                    sourceLocation: sourceLocation)
            #expect(after.header.timestamp &- before.header.timestamp == 960,
                    "timestamp \(before.header.timestamp) -> \(after.header.timestamp)",
                    sourceLocation: sourceLocation)
        }
    }

    /// SDP allows 32 m-lines, so a listener may be admitted with 17 receiving slots; every
    /// slot the relay admits should carry a speaker when 17 others talk.
    @Test func listenerWithSeventeenSlotsGetsAStreamOnEverySlot() throws {
        let harness = try RelayHarness()
        let listener = try harness.join(slots: 17)
        let speakers = try (0..<17).map { _ in try harness.join(slots: 0) }

        for round in 0..<3 {
            for speaker in speakers {
                try speak(speaker, harness, sequence: UInt16(round),
                          timestamp: UInt32(round * 960), level: 20)
            }
        }

        let distinct = Set(wireSSRCs(listener, harness))
        #expect(distinct.count == 17, "slots that carried audio: \(distinct.count) of 17")
        #expect(harness.relay.counters.drops(.srtpAuthFailure) == 0,
                "the relay's own protect failures are counted as srtp auth failures")
    }

    /// A speaker whose sender changes its SSRC (and so its random timestamp base) mid-call:
    /// the listener's slot should still look like one continuous stream.
    @Test func speakerChangingItsSSRCKeepsTheSlotStreamContinuous() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join(slots: 0)
        let listener = try harness.join(slots: 1)
        let second = SSRC(speaker.ssrc.rawValue &+ 1)

        for index in 0..<5 {
            try speak(speaker, harness, sequence: UInt16(100 + index),
                      timestamp: UInt32(10_000 + index * 960), level: 20)
        }
        for index in 0..<5 {
            let packet = try speaker.peer.protect(
                sequence: UInt16(40_000 + index), timestamp: 0x8000_0000 &+ UInt32(index * 960),
                ssrc: second, level: 20, payload: [0xF8, 1, 1])
            speaker.peer.socket.send(packet, toPort: harness.port)
            harness.pump()
        }

        let packets = received(listener, harness)
        #expect(packets.count == 10)
        expectContinuous(packets)
    }

    /// Packets that arrive out of order (1, 2, 4, 3, 5): renumbered in arrival order, the
    /// slot's sequence order would contradict its timestamp order.
    @Test func reorderedInputKeepsSequenceAndTimestampOrderAgreeing() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join(slots: 0)
        let listener = try harness.join(slots: 1)

        for number in [1, 2, 4, 3, 5] {
            try speak(speaker, harness, sequence: UInt16(number),
                      timestamp: UInt32(number * 960), level: 20)
        }

        let packets = received(listener, harness)
        #expect(packets.count == 5)
        let bySequence = packets.sorted {
            Int16(bitPattern: $0.header.sequence &- packets[0].header.sequence)
                < Int16(bitPattern: $1.header.sequence &- packets[0].header.sequence)
        }
        for (before, after) in zip(bySequence, bySequence.dropFirst()) {
            #expect(Int32(bitPattern: after.header.timestamp &- before.header.timestamp) > 0,
                    "seq \(after.header.sequence) has an earlier timestamp than its predecessor")
        }
    }

    /// The speaker on a listener's only slot leaves mid-stream; the next speaker continues
    /// the same stream without a gap or jump.
    @Test func speakerLeavingMidStreamHandsTheSlotOnContinuously() throws {
        let harness = try RelayHarness()
        let loud = try harness.join(slots: 0)
        let quiet = try harness.join(slots: 0)
        let listener = try harness.join(slots: 1)

        for index in 0..<10 {
            try speak(loud, harness, sequence: UInt16(index), timestamp: UInt32(index * 960),
                      level: 5)
            try speak(quiet, harness, sequence: UInt16(500 + index),
                      timestamp: UInt32(77_000 + index * 960), level: 40, payload: 2)
        }
        #expect(harness.relay.remove(loud.plan.id))
        harness.pump()
        for index in 10..<20 {
            try speak(quiet, harness, sequence: UInt16(500 + index),
                      timestamp: UInt32(77_000 + index * 960), level: 40, payload: 2)
        }

        let packets = received(listener, harness)
        #expect(packets.count == 20)
        #expect(packets.prefix(10).allSatisfy { $0.payload.last == 0 })
        #expect(packets.suffix(10).allSatisfy { $0.payload.last == 2 })
        expectContinuous(packets)
    }

    /// The loudest speaker falls silent (past the selector's staleness), the other takes
    /// the slot, then the loudest comes back: two switches, one continuous stream.
    @Test func loudestGoingSilentAndComingBackKeepsTheStreamContinuous() throws {
        let harness = try RelayHarness()
        let loud = try harness.join(slots: 0)
        let other = try harness.join(slots: 0)
        let listener = try harness.join(slots: 1)
        var loudSequence: UInt16 = 0
        var otherSequence: UInt16 = 900

        func round(loudToo: Bool) throws {
            if loudToo {
                try speak(loud, harness, sequence: loudSequence,
                          timestamp: UInt32(loudSequence) * 960, level: 5, payload: 1)
                loudSequence &+= 1
            }
            try speak(other, harness, sequence: otherSequence,
                      timestamp: 5_000 &+ UInt32(otherSequence) * 960, level: 40, payload: 2)
            otherSequence &+= 1
        }

        for _ in 0..<10 { try round(loudToo: true) }
        usleepMillis(UInt32(SpeakerSelector.Config().staleMs) + 100)
        for _ in 0..<10 { try round(loudToo: false) }
        loudSequence &+= 50  // the silence, in the loud speaker's own timeline
        // Real time passes (70 ms a round): the loud speaker must lead for 200 ms, and the
        // other has its place for at least 400 ms, before the slot goes back.
        for _ in 0..<12 {
            try round(loudToo: true)
            usleepMillis(70)
        }

        let packets = received(listener, harness)
        let sources = packets.map { $0.payload.last ?? 0 }
        #expect(sources.prefix(10).allSatisfy { $0 == 1 })
        #expect(sources.contains(2), "the other speaker never got the slot")
        #expect(sources.suffix(5).allSatisfy { $0 == 1 }, "the loud speaker did not come back")
        expectContinuous(packets)
    }

    /// Listeners with 1 and with 5 slots in one channel of 6 speakers: the 1-slot listener
    /// gets the loudest, the 5-slot one five distinct streams, neither its own voice.
    @Test func listenersWithOneAndFiveSlotsGetTheirLoudestOthers() throws {
        let harness = try RelayHarness()
        let speakers = try (0..<6).map { _ in try harness.join(slots: 0) }
        let narrow = try harness.join(slots: 1)
        let wide = try harness.join(slots: 5)

        for round in 0..<10 {
            for (rank, speaker) in speakers.enumerated() {
                try speak(speaker, harness, sequence: UInt16(round),
                          timestamp: UInt32(round * 960), level: UInt8(5 + rank * 8),
                          payload: UInt8(rank))
            }
            try speak(narrow, harness, sequence: UInt16(round), timestamp: UInt32(round * 960),
                      level: 60, payload: 0xEE)
            try speak(wide, harness, sequence: UInt16(round), timestamp: UInt32(round * 960),
                      level: 60, payload: 0xDD)
        }

        let narrowPackets = received(narrow, harness)
        let widePackets = received(wide, harness)
        #expect(!narrowPackets.isEmpty)
        #expect(Set(narrowPackets.map { $0.header.ssrc }).count == 1)
        #expect(narrowPackets.suffix(3).allSatisfy { $0.payload.last == 0 })
        #expect(!narrowPackets.contains { $0.payload.last == 0xEE })
        #expect(Set(widePackets.map { $0.header.ssrc }).count == 5)
        #expect(!widePackets.contains { $0.payload.last == 0xDD })
    }

    /// Two speakers of about the same loudness, levels varying by +-15 dB per packet as
    /// speech does, and a listener with one slot: hysteresis should keep the slot on one
    /// of them rather than switching every few packets.
    @Test func slotDoesNotFlapBetweenTwoSimilarSpeakers() throws {
        let harness = try RelayHarness()
        let first = try harness.join(slots: 0)
        let second = try harness.join(slots: 0)
        let listener = try harness.join(slots: 1)
        var seed: UInt32 = 12345
        func level() -> UInt8 {
            seed = seed &* 1_103_515_245 &+ 12345
            return UInt8(20 + (seed >> 16) % 31)
        }

        for round in 0..<150 {
            try speak(first, harness, sequence: UInt16(round), timestamp: UInt32(round * 960),
                      level: level(), payload: 1)
            try speak(second, harness, sequence: UInt16(round),
                      timestamp: UInt32(round * 960), level: level(), payload: 2)
        }

        let sources = received(listener, harness).map { $0.payload.last ?? 0 }
        let switches = zip(sources, sources.dropFirst()).filter { $0 != $1 }.count
        #expect(switches <= 2, "the slot switched speaker \(switches) times in 3 s of audio")
    }

    /// A hostile participant alternating its level between loudest and silence on every
    /// packet: the slot of a one-slot listener should not follow it packet by packet.
    @Test func participantAlternatingItsLevelCannotFlipASlotEveryPacket() throws {
        let harness = try RelayHarness()
        let steady = try harness.join(slots: 0)
        let hostile = try harness.join(slots: 0)
        let listener = try harness.join(slots: 1)

        for round in 0..<50 {
            try speak(steady, harness, sequence: UInt16(round), timestamp: UInt32(round * 960),
                      level: 63, payload: 1)
            try speak(hostile, harness, sequence: UInt16(round),
                      timestamp: UInt32(round * 960), level: round % 2 == 0 ? 127 : 0,
                      payload: 2)
        }

        let sources = received(listener, harness).map { $0.payload.last ?? 0 }
        let switches = zip(sources, sources.dropFirst()).filter { $0 != $1 }.count
        #expect(switches <= 2, "the slot switched speaker \(switches) times in 50 rounds")
    }

    /// With two workers, datagrams that reach the other worker's socket travel through the
    /// ring; shedding by arrival stamp must apply to them too, and fresh ones must pass.
    @Test func staleMediaIsShedAlsoAfterTheRingAndFreshMediaPasses() throws {
        let harness = try RelayHarness(workers: 2)
        let speakers = try (0..<8).map { _ in try harness.join(slots: 0) }
        let listener = try harness.join(slots: 3)

        for speaker in speakers {
            let packet = try speaker.peer.protect(
                sequence: 1, timestamp: 960, ssrc: speaker.ssrc, level: 20)
            speaker.peer.socket.send(packet, toPort: harness.port)
        }
        usleepMillis(UInt32(RelayEngine.staleMediaMs) + 50)
        for _ in 0..<4 { harness.pump() }
        #expect(harness.relay.counters.drops(.staleMedia) == 8)
        #expect(received(listener, harness).isEmpty)

        for speaker in speakers {
            try speak(speaker, harness, sequence: 2, timestamp: 1920, level: 20)
        }
        // 3 or 4: the ranking may reorder once while the second packets arrive.
        #expect(received(listener, harness).count >= 3)
        #expect(harness.relay.counters.handedOff.load(ordering: .relaxed) > 0,
                "no datagram crossed workers; the ring was not exercised")
        #expect(harness.relay.counters.drops(.staleMedia) == 8)
    }

    /// Two tenants with the same channel number, and a second channel, side by side on two
    /// workers: every listener hears only its own room's speakers.
    @Test func roomsSideBySideOnTwoWorkersNeverCross() throws {
        let harness = try RelayHarness(workers: 2)
        let keys: [(tenant: Int64, channel: Int64)] = [(1, 7), (2, 7), (1, 8)]
        let rooms = try keys.map { key in
            try (0..<3).map { _ in try harness.join(tenant: key.tenant, channel: key.channel,
                                                    slots: 2) }
        }

        for round in 0..<10 {
            for (number, room) in rooms.enumerated() {
                for (seat, member) in room.enumerated() {
                    try speak(member, harness, sequence: UInt16(round),
                              timestamp: UInt32(round * 960), level: 20,
                              payload: UInt8(number * 16 + seat))
                }
            }
        }

        for (number, room) in rooms.enumerated() {
            for (seat, member) in room.enumerated() {
                let heard = Set(received(member, harness).compactMap { $0.payload.last })
                let others = Set((0..<3).filter { $0 != seat }.map { UInt8(number * 16 + $0) })
                #expect(heard == others, "room \(number) seat \(seat) heard \(heard)")
            }
        }
    }
}

import Testing
import TestKit
import Wire

@testable import Relay

@Suite struct ForwardingTests {
    @Test func audioReachesTheRoomOnlyAndNeverTheSpeaker() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join(channel: 1)
        let listener = try harness.join(channel: 1)
        let otherChannel = try harness.join(channel: 2)
        let otherTenant = try harness.join(tenant: 2, channel: 1)

        for index in 0..<10 {
            try speak(speaker, harness, sequence: UInt16(index), timestamp: UInt32(index * 960),
                      level: 20)
        }

        #expect(received(listener, harness).count == 10)
        #expect(received(speaker, harness).isEmpty)
        #expect(received(otherChannel, harness).isEmpty)
        #expect(received(otherTenant, harness).isEmpty)
    }

    @Test func forwardedPacketsCarryTheListenersSlotSSRC() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join()
        let listener = try harness.join(slots: 2)

        try speak(speaker, harness, sequence: 1, timestamp: 960, level: 20)

        let packets = received(listener, harness)
        #expect(packets.count == 1)
        #expect(packets.first.map { $0.header.ssrc } == listener.plan.slots[0].ssrc)
    }

    @Test func replayedPacketIsDropped() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join()
        let listener = try harness.join()
        let packet = try speaker.peer.protect(
            sequence: 5, timestamp: 4800, ssrc: speaker.ssrc, level: 20)

        speaker.peer.socket.send(packet, toPort: harness.port)
        harness.pump()
        speaker.peer.socket.send(packet, toPort: harness.port)
        harness.pump()

        #expect(received(listener, harness).count == 1)
        #expect(harness.relay.counters.drops(.srtpReplay) == 1)
    }

    @Test func srtpFromAnAddressThatDidNotPassICEIsDropped() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join()
        let listener = try harness.join()
        let intruder = UDPTestSocket()
        let packet = try speaker.peer.protect(
            sequence: 1, timestamp: 960, ssrc: speaker.ssrc, level: 20)

        intruder.send(packet, toPort: harness.port)
        harness.pump()

        #expect(received(listener, harness).isEmpty)
        #expect(harness.relay.counters.drops(.unknownAddress) == 1)
    }

    @Test func checkWithWrongPasswordIsRefusedAndRoutesNothing() throws {
        let harness = try RelayHarness()
        let member = try harness.admit()

        let answer = member.peer.check(
            relayPort: harness.port, password: "not-the-password", pump: harness.pump)

        #expect(answer == .errorResponse)
        #expect(harness.relay.counters.drops(.stunBadIntegrity) == 1)
        #expect(harness.relay.routes.withSnapshot { $0.byAddress.isEmpty })
    }

    @Test func slotStreamStaysContinuousWhenTheSpeakerChanges() throws {
        let harness = try RelayHarness()
        let first = try harness.join()
        let second = try harness.join()
        let listener = try harness.join()
        var packets: [(header: RTPHeaderView, payload: [UInt8])] = []

        // The first speaks loudly while the second is silent ...
        for index in 0..<20 {
            try speak(first, harness, sequence: UInt16(index), timestamp: UInt32(index) * 960,
                      level: 10, payload: 0xA1)
            try speak(second, harness, sequence: UInt16(500 + index),
                      timestamp: 77_000 + UInt32(index) * 960, level: 127, payload: 0xB2)
            packets += received(listener, harness)
        }
        // ... then falls silent while the second speaks (20 ms a round, in real time: the
        // second must lead for a while before it takes the slot).
        for index in 20..<60 {
            usleepMillis(20)
            try speak(first, harness, sequence: UInt16(index), timestamp: UInt32(index) * 960,
                      level: 127, payload: 0xA1)
            try speak(second, harness, sequence: UInt16(500 + index),
                      timestamp: 77_000 + UInt32(index) * 960, level: 10, payload: 0xB2)
            packets += received(listener, harness)
        }

        #expect(Set(packets.map { $0.header.ssrc }) == [listener.plan.slots[0].ssrc])
        #expect(packets.first?.payload[1] == 0xA1)
        #expect(packets.last?.payload[1] == 0xB2)
        for (before, after) in zip(packets, packets.dropFirst()) {
            #expect(after.header.sequence == before.header.sequence &+ 1)
            #expect(after.header.timestamp == before.header.timestamp &+ 960)
        }
    }

    @Test func listenersGetTheLoudestOthersOnTheirSlots() throws {
        let harness = try RelayHarness()
        let members = try (0..<4).map { _ in try harness.join(slots: 2) }
        let levels: [UInt8] = [10, 20, 30, 40]

        for round in 0..<40 {
            for (index, member) in members.enumerated() {
                try speak(member, harness, sequence: UInt16(round),
                          timestamp: UInt32(round) * 960, level: levels[index],
                          payload: UInt8(index))
            }
        }
        for _ in 0..<3 { for member in members { _ = received(member, harness) } }
        for round in 40..<45 {
            for (index, member) in members.enumerated() {
                try speak(member, harness, sequence: UInt16(round),
                          timestamp: UInt32(round) * 960, level: levels[index],
                          payload: UInt8(index))
            }
        }

        // Each hears the two loudest others: 0 and 1, or for those two, each other and 2.
        let expected: [Set<UInt8>] = [[1, 2], [0, 2], [0, 1], [0, 1]]
        for (index, member) in members.enumerated() {
            let speakers = Set(received(member, harness).map { $0.payload[1] })
            #expect(speakers == expected[index], "member \(index)")
        }
    }
}

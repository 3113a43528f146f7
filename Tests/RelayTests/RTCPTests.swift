import Testing
import TestKit
import Wire

@testable import Relay

@Suite struct RTCPTests {
    @Test func listenersGetSenderReportsForTheirSlotsWithReceptionOfTheirOwnAudio() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join()
        let listener = try harness.join()

        var sequence: UInt16 = 0
        let start = monotonicTestMillis()
        while monotonicTestMillis() - start < 1300 {
            sequence &+= 1
            try speak(speaker, harness, sequence: sequence, timestamp: UInt32(sequence) * 960,
                      level: 20)
            try speak(listener, harness, sequence: sequence, timestamp: UInt32(sequence) * 960,
                      level: 120)
            _ = received(listener, harness)
            usleepMillis(10)
        }

        let reports = listener.peer.rtcp.flatMap { plain in
            plain.withUnsafeBytes { RTCPPacket.parseCompound($0).packets }
        }
        let senderReport = reports.first { packet in
            if case .senderReport(let ssrc, _, _, _, _, _) = packet {
                return ssrc == listener.plan.slots[0].ssrc
            }
            return false
        }
        guard case .senderReport(_, _, _, let count, _, let blocks)? = senderReport else {
            Issue.record("no sender report for the listener's slot in \(reports)")
            return
        }
        #expect(count > 0 && count <= UInt32(sequence))
        #expect(blocks.first?.ssrc == listener.ssrc)
        #expect(reports.contains { if case .sdes = $0 { return true } else { return false } })
        #expect(harness.relay.counters.rtcpSent.load(ordering: .relaxed) >= 2)
    }

    @Test func malformedCompoundIsDroppedAndCounted() throws {
        let harness = try RelayHarness()
        let member = try harness.join()
        guard let outbound = member.peer.outbound else { throw TestPeerError("no SRTP") }
        // An SDES first (not SR/RR), then a header whose length overruns the datagram.
        let plain: [UInt8] = [0x81, 202, 0, 1, 0, 0, 0, 1, 0x80, 201, 0, 9]

        member.peer.socket.send(try outbound.protectRTCP(plain), toPort: harness.port)
        for _ in 0..<3 { harness.pump() }

        #expect(harness.relay.counters.rtcpMalformed.load(ordering: .relaxed) == 1)
        #expect(harness.relay.counters.rtcpReceived.load(ordering: .relaxed) == 0)
    }

    @Test func receptionStatsReportLossAndHighestSequence() {
        var stats = ReceptionStats()
        for sequence: UInt16 in [65_534, 65_535, 1, 2] {
            stats.record(ssrc: SSRC(9), sequence: sequence, timestamp: UInt32(sequence) * 960,
                         arrival: UInt32(sequence) * 960)
        }

        let block = stats.reportBlock(now: 0)

        #expect(block?.highestSequence == UInt32(65_538))
        #expect(block?.cumulativeLost == 1)
        #expect(block?.fractionLost == UInt8(256 / 5))
    }
}

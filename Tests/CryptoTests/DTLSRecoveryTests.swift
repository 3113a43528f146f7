import Crypto
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct DTLSRecoveryTests {
    /// OpenSSL 3.0 runs its retransmission timer on the wall clock, so this one test also
    /// lets real time pass (100 ms) besides moving the manual clock.
    @Test func lostServerHelloIsRecoveredByRetransmission() throws {
        let harness = try DTLSHarness(retransmitMilliseconds: 100)
        harness.start()
        var droppedFirstToClient = false
        harness.pump { destination, _ in
            guard destination == .client, !droppedFirstToClient else { return false }
            droppedFirstToClient = true
            return true
        }
        #expect(!harness.client.isConnected && !harness.server.isConnected)

        let clientDeadline = try #require(harness.client.nextTimeout())
        #expect(clientDeadline > harness.now)
        #expect(clientDeadline <= harness.now.adding(milliseconds: 100))
        #expect(harness.client.handleTimeout(now: harness.now).datagrams.isEmpty)

        usleep(120_000)
        harness.now = harness.now.adding(milliseconds: 120)
        harness.record(harness.server.handleTimeout(now: harness.now), from: .server)
        harness.record(harness.client.handleTimeout(now: harness.now), from: .client)
        #expect(!harness.toClient.isEmpty)
        harness.pump()

        #expect(harness.clientMaterial != nil)
        #expect(harness.serverMaterial != nil)
    }

    @Test func garbageDatagramsDoNotDisturbTheHandshake() throws {
        let harness = try DTLSHarness()
        var generator = SystemRandomNumberGenerator()
        harness.start()
        for round in 0..<6 {
            // Plain noise, and noise dressed as a DTLS 1.2 handshake record.
            var noise = (0..<(40 + round * 50)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            harness.toServer.insert(noise, at: 0)
            noise[0] = 22
            noise[1] = 0xFE
            noise[2] = 0xFD
            harness.toClient.insert(noise, at: 0)
            harness.toServer.append([])
            harness.toClient.append([23, 0xFE, 0xFD, 0, 0])
            harness.toServer.append([22, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4])
            harness.pump()
        }

        #expect(harness.clientMaterial != nil)
        #expect(harness.serverMaterial != nil)
        #expect(DTLSHarness.failure(harness.clientEvents) == nil)
        #expect(DTLSHarness.failure(harness.serverEvents) == nil)
    }

    @Test(arguments: [0, 4, 16, 23, 24, 40])
    func forgedRecordAfterConnectingLeavesTheAssociationUp(length: Int) throws {
        let harness = try DTLSHarness()
        harness.start()
        harness.pump()
        #expect(harness.server.isConnected)

        for type: UInt8 in [22, 23] {
            let header: [UInt8] = [type, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, UInt8(length)]
            let forged = header + [UInt8](repeating: 7, count: length)
            #expect(harness.server.receive(forged, now: harness.now).event == nil)
        }
        let noise = harness.server.receive([UInt8](repeating: 0xAB, count: 300), now: harness.now)
        #expect(noise.event == nil)
        #expect(harness.server.isConnected)

        // The association still works: a real close_notify is understood.
        harness.record(harness.client.close(now: harness.now), from: .client)
        harness.pump()
        #expect(harness.serverEvents.contains { if case .closed = $0 { true } else { false } })
    }

    @Test func closeNotifyReachesThePeer() throws {
        let harness = try DTLSHarness()
        harness.start()
        harness.pump()

        harness.record(harness.client.close(now: harness.now), from: .client)
        harness.pump()

        #expect(harness.serverEvents.contains { if case .closed = $0 { true } else { false } })
        #expect(!harness.server.isConnected)
    }
}

import Crypto
import TestKit
import Testing
import Wire

@testable import Relay

/// A session's proven address stays its own while it keeps proving it: a connectivity
/// check signed with another session's password but sent from that address (a forged
/// source) must not take it, or the owner's media would go to the other session, across
/// channels and tenants.
@Suite struct AddressHoldTests {
    let address = PeerAddress(host: "127.0.0.1", port: 40_000)!
    let owner = Route(worker: 0, session: 1)
    let taker = Route(worker: 1, session: 2)

    @Test func anAddressProvenWithinTheHoldIsNotTakenAndAStaleOneIs() {
        let routes = RouteTable(workers: 2)
        #expect(routes.bind(address, to: owner, replacing: nil, now: 0, holdMs: 10_000))
        #expect(!routes.bind(address, to: taker, replacing: nil, now: 5_000, holdMs: 10_000))
        routes.proven(address, by: owner, now: 8_000)
        #expect(!routes.bind(address, to: taker, replacing: nil, now: 17_999, holdMs: 10_000))
        #expect(routes.withSnapshot { $0.byAddress[address] } == owner)

        #expect(routes.bind(address, to: taker, replacing: nil, now: 18_001, holdMs: 10_000))
        #expect(routes.withSnapshot { $0.byAddress[address] } == taker)
        // The owner's own proof no longer counts for an address it lost.
        routes.proven(address, by: owner, now: 18_002)
        #expect(routes.bind(address, to: taker, replacing: nil, now: 18_003, holdMs: 10_000))
    }

    @Test func aSessionMovesItsOwnAddressAtAnyTimeAndAFreedOneIsFree() {
        let routes = RouteTable(workers: 1)
        let moved = PeerAddress(host: "127.0.0.1", port: 40_001)!
        #expect(routes.bind(address, to: owner, replacing: nil, now: 0, holdMs: 10_000))
        #expect(routes.bind(address, to: owner, replacing: nil, now: 1, holdMs: 10_000))
        #expect(routes.bind(moved, to: owner, replacing: address, now: 2, holdMs: 10_000))
        #expect(routes.withSnapshot { $0.byAddress[address] } == nil)
        #expect(routes.bind(address, to: taker, replacing: nil, now: 3, holdMs: 10_000))

        routes.remove(ufrag: "x", address: moved, route: owner)
        #expect(routes.bind(moved, to: taker, replacing: address, now: 4, holdMs: 10_000))
    }

    @Test func aForgedCheckFromAnotherChannelsAddressIsRefusedAndItsVoiceStillFlows() throws {
        let harness = try RelayHarness()
        let alice = try harness.join(tenant: 1, channel: 1)
        let bob = try harness.join(tenant: 1, channel: 1)
        let mallory = try harness.join(tenant: 2, channel: 7)

        // Mallory's own credentials, but bob's source address: what a spoofed UDP source
        // delivers. Sent through bob's socket, so it really comes from his address.
        let forged = STUNMessage.bindingRequest(
            transactionID: SecureRandom.bytes(12),
            username: "\(mallory.peer.relayUfrag):\(mallory.peer.ufrag)",
            integrityKey: Array(mallory.peer.relayPassword.utf8), priority: 1 << 24,
            useCandidate: true)
        bob.peer.socket.send(forged, toPort: harness.port)
        for _ in 0..<5 { harness.pump() }
        #expect(harness.relay.counters.drops(.addressInUse) == 1)

        try speak(bob, harness, sequence: 1, timestamp: 960, level: 20)
        #expect(received(alice, harness).count == 1, "bob's voice still reaches alice")
        #expect(received(mallory, harness).isEmpty)
        #expect(harness.relay.counters.drops(.srtpAuthFailure) == 0)
    }
}

import Crypto
import TestKit
import Testing
import Wire

@testable import Relay

/// A connected session lets go of its DTLS endpoint (most of its memory) once the peer
/// cannot need it any more, and media goes on without it.
@Suite struct DTLSReleaseTests {
    @Test func theEndpointIsReleasedAtThePeersFirstMediaAndLaterRecordsAreDropped() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join()
        let listener = try harness.join()
        let counters = harness.relay.counters
        #expect(counters.dtlsEndpointsReleased.load(ordering: .relaxed) == 0)

        try speak(speaker, harness, sequence: 1, timestamp: 960, level: 20)
        // The speaker's media proves its handshake is over; the silent listener keeps its.
        #expect(counters.dtlsEndpointsReleased.load(ordering: .relaxed) == 1)
        let sessions = harness.relay.engines[0].sessions.values
        #expect(sessions.filter { $0.dtls == nil }.map(\.id) == [speaker.plan.id])

        // A DTLS record (content type 21, alert, epoch 1) after the release: dropped.
        var record: [UInt8] = [21, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 1, 0, 2, 1, 0]
        speaker.peer.socket.send(record, toPort: harness.port)
        record[0] = 22
        speaker.peer.socket.send(record, toPort: harness.port)
        harness.pump()
        #expect(counters.drops(.dtlsAfterHandshake) == 2)

        try speak(speaker, harness, sequence: 2, timestamp: 1920, level: 20)
        #expect(received(listener, harness).count == 2)
    }

    @Test func anAlertAfterTheReleaseOnlyPutsTheSessionOnProbation() throws {
        let harness = try RelayHarness()
        let speaker = try harness.join()
        _ = try harness.join()
        try speak(speaker, harness, sequence: 1, timestamp: 960, level: 20)
        let engine = harness.relay.engines[0]
        let session = try #require(engine.sessions.values.first { $0.id == speaker.plan.id })
        #expect(session.dtls == nil)

        let alert: [UInt8] = [21, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 2, 1, 0]
        // From another address: not the session's, changes nothing.
        UDPTestSocket().send(alert, toPort: harness.port)
        harness.pump()
        let before = session.lastConsentAt
        #expect(monotonicMillis() - before < 5_000)

        speaker.peer.socket.send(alert, toPort: harness.port)
        harness.pump()
        // Consent now runs out `closeProbationMs` after the alert...
        let left = RelayEngine.consentTimeoutMs - (monotonicMillis() - session.lastConsentAt)
        #expect(left <= RelayEngine.closeProbationMs && left > RelayEngine.closeProbationMs - 2_000)
        // ...unless the peer proves it is alive, as a live one does.
        speaker.peer.sendConsentCheck(relayPort: harness.port)
        harness.pump()
        #expect(monotonicMillis() - session.lastConsentAt < 1_000)
        #expect(!session.isClosed)
    }

    @Test func aQuietConnectedSessionReleasesAfterTenSecondsWithoutDTLS() throws {
        let harness = try RelayHarness()
        let member = try harness.join()
        let waiting = try harness.admit()  // never connects: still handshaking
        let engine = harness.relay.engines[0]
        let connected = try #require(engine.sessions.values.first { $0.id == member.plan.id })
        let pending = try #require(engine.sessions.values.first { $0.id == waiting.plan.id })
        let quiet = RelayEngine.dtlsQuietReleaseMs
        #expect(quiet == 10_000)

        engine.releaseDTLSIfDone(connected, peerSentMedia: false,
                                 now: connected.lastDTLSAt + quiet - 1)
        #expect(connected.dtls != nil)
        engine.releaseDTLSIfDone(connected, peerSentMedia: false,
                                 now: connected.lastDTLSAt + quiet)
        #expect(connected.dtls == nil)

        // A session whose handshake has not completed keeps its endpoint, media or not.
        engine.releaseDTLSIfDone(pending, peerSentMedia: true, now: pending.lastDTLSAt + 60_000)
        #expect(pending.dtls != nil)
        #expect(harness.relay.counters.dtlsEndpointsReleased.load(ordering: .relaxed) == 1)
    }
}

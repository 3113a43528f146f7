#if canImport(Glibc)
    import Glibc
#endif

import Crypto
import TestKit
import Testing
import Wire

/// The test peer's tools for relays that offer (Janus in LoadGen): reading a relay's SDP,
/// answering its offer, and answering its own ICE checks.
@Suite struct TestPeerAnswerTests {
    static let relayOffer = """
        v=0\r
        o=- 1 1 IN IP4 127.0.0.1\r
        s=-\r
        t=0 0\r
        a=group:BUNDLE a0 a1\r
        a=ice-ufrag:RelU\r
        a=ice-pwd:relaypasswordrelaypassword\r
        a=fingerprint:sha-256 \(Array(repeating: "AB", count: 32).joined(separator: ":"))\r
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r
        c=IN IP4 127.0.0.1\r
        a=mid:a0\r
        a=candidate:1 1 udp 2013266431 192.0.2.9 4000 typ host\r
        a=candidate:2 1 udp 2013266431 127.0.0.1 40123 typ host\r
        a=sendonly\r
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r
        a=mid:a1\r
        a=sendonly\r

        """

    @Test func aRelaysDescriptionGivesCredentialsFingerprintLoopbackPortAndMids() throws {
        let remote = try RemoteDescription(parsing: Self.relayOffer)
        #expect(remote.ufrag == "RelU" && remote.password == "relaypasswordrelaypassword")
        #expect(remote.fingerprint.bytes == [UInt8](repeating: 0xAB, count: 32))
        #expect(remote.loopbackPort == 40123)
        #expect(remote.mids == ["a0", "a1"])
        #expect(throws: TestPeerError.self) {
            try RemoteDescription(parsing: "v=0\r\na=ice-ufrag:x\r\n")
        }
    }

    @Test func theAnswerAcceptsEveryMlineReceiveOnlyAsTheDTLSClient() throws {
        let peer = try TestPeer(relayUfrag: "", relayPassword: "")
        let remote = try RemoteDescription(parsing: Self.relayOffer)
        peer.adopt(remote)
        #expect(peer.relayUfrag == "RelU")
        let answer = try SessionDescription.parse(peer.answer(to: remote))
        #expect(answer.media.map { $0.attribute("mid")?.value } == ["a0", "a1"])
        #expect(answer.media.allSatisfy { $0.formats == ["111"] && $0.kind == "audio" })
        let text = peer.answer(to: remote)
        #expect(text.components(separatedBy: "a=recvonly").count == 3)
        #expect(text.components(separatedBy: "a=setup:active").count == 3)
        #expect(text.contains("a=fingerprint:sha-256 \(peer.fingerprintSDP)"))
        #expect(text.contains("a=ice-ufrag:\(peer.ufrag)"))
    }

    @Test func aRelaysOwnCheckIsAnsweredSignedWithOurPassword() throws {
        let peer = try TestPeer(relayUfrag: "", relayPassword: "")
        let relay = UDPTestSocket()
        let transaction = SecureRandom.bytes(12)
        relay.send(STUNMessage.bindingRequest(
            transactionID: transaction, username: "\(peer.ufrag):RelU",
            integrityKey: Array(TestPeer.icePassword.utf8), priority: 1, useCandidate: false,
            controlling: true), toPort: peer.socket.port)
        relay.send([0x80, 0x6F, 0, 1], toPort: peer.socket.port)  // media after it: left
        var answered = 0
        for _ in 0..<100 where answered == 0 {
            answered = peer.answerPendingChecks()
            if answered == 0 { usleepMillis(2) }
        }
        #expect(answered == 1)
        let raw = try #require(relay.receive(timeoutMs: 1000))
        let response = try STUNMessage.parse(raw)
        #expect(response.transactionID == transaction)
        #expect(response.verifyMessageIntegrity(raw: raw, key: Array(TestPeer.icePassword.utf8)))
        #expect(peer.socket.receive(timeoutMs: 100) == [0x80, 0x6F, 0, 1])
    }
}

private func usleepMillis(_ milliseconds: UInt32) {
    usleep(milliseconds * 1_000)
}

import Testing
import Foundation
import Wire

@Suite struct SDPFixtureAnswerTests {
    @Test func chromiumOfferGetsThreeBundledOpusLines() throws {
        let session = try SDPFixtures.negotiate(SDPFixtures.text(SDPFixtures.chromium))

        #expect(session.bundleMids == ["0", "1", "2"])
        #expect(session.media.map(\.accepted) == [true, true, true])
        #expect(session.media.map(\.payloadType) == Array(repeating: PayloadType(111), count: 3))
        #expect(session.media.map(\.receivesFromPeer) == [true, false, false])
        #expect(session.media.map(\.sendsToPeer) == [true, true, true])
        #expect(session.media.map(\.localSSRC) == [SSRC(1000), SSRC(1001), SSRC(1002)])
        #expect(session.media[0].remoteSSRCs == [SSRC(1_124_356_840)])
        #expect(session.media[0].audioLevelExtensionID == 1)
        #expect(session.media[0].midExtensionID == 4)
        #expect(session.media[0].fmtp == ["minptime": "10", "useinbandfec": "1"])
        #expect(session.remoteIceUfrag == "qj9F")
        #expect(session.remoteIcePwd == "dKbcxaabmWt2NvZBdWk1unar")
        #expect(session.remoteFingerprints.map(\.hash) == [.sha256])
        #expect(session.remoteFingerprints[0].bytes.prefix(3) == [0x0F, 0x4E, 0x1A])
        #expect(session.localDTLSRole == .server)

        let answer = session.answer
        #expect(answer.contains("a=group:BUNDLE 0 1 2\r\n"))
        #expect(answer.contains("a=ice-lite\r\n"))
        #expect(answer.contains("a=setup:passive\r\n"))
        #expect(answer.contains("a=extmap-allow-mixed\r\n"))
        #expect(count("m=audio 50000 UDP/TLS/RTP/SAVPF 111\r\n", in: answer) == 3)
        #expect(count("a=sendrecv\r\n", in: answer) == 1)
        #expect(count("a=sendonly\r\n", in: answer) == 2)
        #expect(count("a=fmtp:111 minptime=10;useinbandfec=1\r\n", in: answer) == 3)
        #expect(count("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
            in: answer) == 3)
        #expect(count("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n", in: answer) == 3)
        #expect(!answer.contains("abs-send-time"))
        #expect(!answer.contains("red/48000"))
        #expect(answer.contains("a=ssrc:1001 cname:whoot\r\n"))
        // Both host candidates on each of the three bundled m-lines (aiortc needs them).
        #expect(count("a=candidate:", in: answer) == 6)
        #expect(answer.contains("a=candidate:2 1 udp 2130706175 2001:db8::7 50002 typ host\r\n"))
        #expect(count("a=end-of-candidates\r\n", in: answer) == 3)
    }

    @Test func aiortcOfferIsAnsweredOnPayloadType96() throws {
        let session = try SDPFixtures.negotiate(SDPFixtures.text(SDPFixtures.aiortc))

        #expect(session.bundleMids == ["0", "1"])
        #expect(session.media.map(\.payloadType) == [PayloadType(96), PayloadType(96)])
        #expect(session.media.map(\.receivesFromPeer) == [true, false])
        #expect(session.media[0].midExtensionID == 1)
        #expect(session.media[0].audioLevelExtensionID == 2)
        #expect(session.media[1].remoteSSRCs == [SSRC(4_208_244_275)])
        #expect(session.remoteIceUfrag == "Ber3")
        #expect(session.remoteFingerprints.map(\.hash) == [.sha256, .sha384, .sha512])

        let answer = session.answer
        #expect(count("m=audio 50000 UDP/TLS/RTP/SAVPF 96\r\n", in: answer) == 2)
        #expect(count("a=rtpmap:96 opus/48000/2\r\n", in: answer) == 2)
        #expect(!answer.contains("a=fmtp"))
        #expect(!answer.contains("extmap-allow-mixed"))
        #expect(!answer.contains("G722"))
    }

    @Test func answerParsesBackWithCRLFOnEveryLine() throws {
        for name in [SDPFixtures.chromium, SDPFixtures.aiortc] {
            let answer = try SDPFixtures.negotiate(SDPFixtures.text(name)).answer
            let lines = answer.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)

            #expect(lines.last?.isEmpty == true)
            #expect(lines.dropLast().allSatisfy { $0.last == 0x0D })
            let parsed = try SessionDescription.parse(answer)
            #expect(parsed.attribute("ice-ufrag")?.value == "wh00")
            #expect(parsed.media.allSatisfy { $0.connection == "IN IP4 198.51.100.7" })
        }
    }

    private func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }
}

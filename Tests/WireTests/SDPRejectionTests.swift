import Foundation
import Testing
import Wire

@Suite struct SDPRejectionTests {
    static let videoAndData = """
        m=video 9 UDP/TLS/RTP/SAVPF 96\r
        c=IN IP4 0.0.0.0\r
        a=mid:v\r
        a=rtcp-mux\r
        a=rtpmap:96 VP8/90000\r
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r
        c=IN IP4 0.0.0.0\r
        a=mid:d\r

        """

    @Test func videoAndDataChannelLinesAreRejectedWithPortZero() throws {
        let text = SDPFixtures.offer(bundle: false, mediaExtra: [])
            .replacingOccurrences(of: "t=0 0\r\n", with: "t=0 0\r\na=group:BUNDLE 0 v d\r\n")
            + Self.videoAndData
        let session = try SDPFixtures.negotiate(text)

        #expect(session.media.map(\.accepted) == [true, false, false])
        #expect(session.media[1].payloadType == nil)
        #expect(session.media[1].localSSRC == nil)
        #expect(session.bundleMids == ["0"])
        #expect(session.answer.contains("a=group:BUNDLE 0\r\n"))
        #expect(session.answer.contains(
            "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n"))
        #expect(session.answer.contains(
            "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
                + "a=mid:d\r\n"))
        #expect(!session.answer.contains("VP8"))
    }

    @Test func audioWithoutRtcpMuxIsRejectedAndLeavesNothing() {
        let text = SDPFixtures.offer().replacingOccurrences(of: "a=rtcp-mux\r\n", with: "")
        let error = SDPFixtures.sdpError { _ = try SDPFixtures.negotiate(text) }

        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("rtcp-mux is required") == true)
    }

    @Test func offerWithoutAudioIsUnsupported() {
        let head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        let error = SDPFixtures.sdpError {
            _ = try SDPFixtures.negotiate(head + Self.videoAndData)
        }

        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("no audio m-line with Opus") == true)
        #expect(error?.message.contains("video is not supported") == true)
    }

    @Test func audioWithoutOpusIsUnsupported() {
        let text = SDPFixtures.offer(rtpmap: "a=rtpmap:111 G722/8000")
        let error = SDPFixtures.sdpError { _ = try SDPFixtures.negotiate(text) }

        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("no opus/48000/2") == true)
    }

    @Test func secondAudioLineOutsideBundleIsRejected() throws {
        let offer = SDPFixtures.offer(mid: "a", bundle: false)
        let second = offer.components(separatedBy: "m=audio")[1]
            .replacingOccurrences(of: "a=mid:a", with: "a=mid:b")
        let session = try SDPFixtures.negotiate(offer + "m=audio" + second)

        #expect(session.media.map(\.accepted) == [true, false])
        #expect(session.bundleMids.isEmpty)
        #expect(session.answer.contains("m=audio 0 UDP/TLS/RTP/SAVPF 111 0\r\n"))
    }

    @Test func malformedOffersNameTheFault() {
        let good = SDPFixtures.offer()
        let cases: [(String, String)] = [
            ("", "empty offer"),
            ("o=- 1 1 IN IP4 0.0.0.0\r\n", "first line must be 'v=0'"),
            (good.replacingOccurrences(of: "m=audio 9 ", with: "m=audio 9x "), "bad port"),
            (good.replacingOccurrences(of: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=audio"),
                "'m=' line needs"),
            (good.replacingOccurrences(of: "a=fingerprint:sha-256 AB:", with:
                "a=fingerprint:sha-256 ZZ:"), "sha-256 fingerprint must be 32 hex bytes"),
            (good.replacingOccurrences(of: "a=ice-ufrag:Ab12\r\n", with: ""),
                "missing a=ice-ufrag"),
            (good.replacingOccurrences(of: "a=ice-pwd:0123456789abcdefghijkl", with:
                "a=ice-pwd:short"), "ice-pwd must be 22-256"),
            (good.replacingOccurrences(of: "a=rtpmap:111 opus/48000/2", with:
                "a=rtpmap:111 opus"), "rtpmap must be"),
            (good.replacingOccurrences(of: "a=group:BUNDLE 0", with: "a=group:BUNDLE 0 7"),
                "unknown mid '7'"),
            (good + "x=1\r\n", "'x=' line inside a media section"),
            (good.replacingOccurrences(of: "s=-\r\n", with: "s=\0\r\n"), "control character"),
        ]
        for (text, expected) in cases {
            let error = SDPFixtures.sdpError { _ = try SDPFixtures.negotiate(text) }
            #expect(error?.kind == .malformed, "\(expected)")
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
        }
    }

    @Test func errorsCarryTheLineNumber() {
        let text = SDPFixtures.offer(rtpmap: "a=rtpmap:300 opus/48000/2")
        let error = SDPFixtures.sdpError { _ = try SDPFixtures.negotiate(text) }

        #expect(error?.line == 11)
        #expect(error?.message.hasPrefix("line 11: rtpmap") == true)
    }

    @Test func truncatedOffersAreRefusedWithTheirFault() throws {
        let bundled = try SDPFixtures.text(SDPFixtures.chromium)
        let single = SDPFixtures.offer(mid: nil, bundle: false)
        let cuts: [(String, String, String, SDPError.Kind)] = [
            (bundled, "o=- 332060166328971110", "'o=' line needs 6 fields", .malformed),
            (bundled, "m=audio 42215 UDP/TLS/RTP/SAVP", "'m=' line needs", .malformed),
            (bundled, "a=fingerprint:sha-256 0F:4E", "unknown mid '0'", .malformed),
            (bundled, "a=rtpmap:63 red/48000", "unknown mid '1'", .malformed),
            (single, "a=fingerprint:sha-256 AB:AB", "fingerprint must be 32", .malformed),
            (single, "a=ice-ufrag:Ab12", "missing a=ice-pwd", .malformed),
            // Cut before its transport attributes: the missing ICE credentials are the
            // fault named, not the missing codec.
            (single, "a=rtpmap:111 opus/4", "missing a=ice-ufrag", .malformed),
        ]
        for (full, prefixEnd, expected, kind) in cuts {
            let end = try #require(full.range(of: prefixEnd)).upperBound
            let error = SDPFixtures.sdpError {
                _ = try SDPFixtures.negotiate(String(full[..<end]))
            }
            #expect(error?.kind == kind, "\(expected)")
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "none")")
        }
    }

    @Test func oversizedOffersAreRefusedBeforeParsing() {
        let big = SDPFixtures.offer() + String(repeating: "a=x\r\n", count: 14_000)
        let tooMany = SDPFixtures.offer() + String(
            repeating: "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n", count: 32)

        let sizeError = SDPFixtures.sdpError { _ = try SessionDescription.parse(big) }
        let countError = SDPFixtures.sdpError { _ = try SessionDescription.parse(tooMany) }

        #expect(sizeError?.message.contains("limit of 65536") == true)
        #expect(countError?.message.contains("more than 32 m-lines") == true)
    }
}

import Testing
import Foundation
import Wire

/// The SDP cases from /work/shared/fixtures/interop-cases.md.
@Suite struct SDPInteropTests {
    @Test func extmapAllowMixedIsEchoedFromSessionLevel() throws {
        let session = try SDPFixtures.negotiate(
            SDPFixtures.offer(sessionExtra: ["a=extmap-allow-mixed"]))

        #expect(session.answer.contains("a=extmap-allow-mixed\r\n"))
    }

    @Test func extmapAllowMixedIsEchoedFromMediaLevel() throws {
        let session = try SDPFixtures.negotiate(
            SDPFixtures.offer(mediaExtra: ["a=extmap-allow-mixed"]))

        #expect(session.answer.contains("a=extmap-allow-mixed\r\n"))
    }

    @Test func extmapAllowMixedIsNotInventedWhenAbsent() throws {
        let session = try SDPFixtures.negotiate(SDPFixtures.offer())

        #expect(!session.answer.contains("extmap-allow-mixed"))
    }

    @Test func offerWithoutMidOrBundleIsAnsweredWithoutMid() throws {
        let session = try SDPFixtures.negotiate(SDPFixtures.offer(mid: nil, bundle: false))

        #expect(session.media.count == 1)
        #expect(session.media[0].accepted)
        #expect(session.media[0].mid == nil)
        #expect(session.bundleMids.isEmpty)
        #expect(!session.answer.contains("a=mid"))
        #expect(!session.answer.contains("a=group"))
    }

    @Test func upperCaseOpusIsNegotiated() throws {
        let session = try SDPFixtures.negotiate(
            SDPFixtures.offer(rtpmap: "a=rtpmap:111 OPUS/48000/2"))

        #expect(session.media[0].payloadType == PayloadType(111))
        #expect(session.answer.contains("a=rtpmap:111 opus/48000/2\r\n"))
    }

    @Test func fmtpParametersAreSplitAndTrimmed() throws {
        let session = try SDPFixtures.negotiate(
            SDPFixtures.offer(fmtp: "a=fmtp:111 minptime=10; useinbandfec=1;usedtx=1 "))

        #expect(session.media[0].fmtp == ["minptime": "10", "useinbandfec": "1", "usedtx": "1"])
        #expect(session.answer.contains("a=fmtp:111 minptime=10;useinbandfec=1\r\n"))
    }

    @Test func lineEndingsAndTrailingBlankLinesDoNotMatter() throws {
        let crlf = SDPFixtures.offer()
        let lf = crlf.replacingOccurrences(of: "\r\n", with: "\n")
        var mixed = ""
        for (index, line) in lf.split(separator: "\n").enumerated() {
            mixed += line + (index % 2 == 0 ? "\r\n" : "\n")
        }
        let reference = try SDPFixtures.negotiate(crlf)

        for text in [lf, mixed, crlf + "\r\n", lf + "\n\n"] {
            let session = try SDPFixtures.negotiate(text)
            #expect(session.media == reference.media)
            #expect(session.answer == reference.answer)
        }
        #expect(!reference.answer.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func sha384AndSha512FingerprintsInMixedCaseAreParsed() throws {
        let sha384 = (0..<48).map { i in i % 2 == 0 ? "aB" : "Cd" }.joined(separator: ":")
        let sha512 = (0..<64).map { _ in "fF" }.joined(separator: ":")
        let session = try SDPFixtures.negotiate(SDPFixtures.offer(fingerprints: [
            "a=fingerprint:SHA-384 \(sha384)", "a=fingerprint:sha-512 \(sha512)",
        ]))

        #expect(session.remoteFingerprints.map(\.hash) == [.sha384, .sha512])
        #expect(session.remoteFingerprints[0].bytes.prefix(2) == [0xAB, 0xCD])
        #expect(session.remoteFingerprints[0].bytes.count == 48)
        #expect(session.remoteFingerprints[1].bytes == Array(repeating: 0xFF, count: 64))
    }

    @Test func onlyUncheckableFingerprintsAreUnsupported() {
        let md5 = (0..<16).map { _ in "00" }.joined(separator: ":")
        let error = SDPFixtures.sdpError {
            _ = try SDPFixtures.negotiate(
                SDPFixtures.offer(fingerprints: ["a=fingerprint:md5 \(md5)"]))
        }

        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("fingerprint") == true)
    }

    @Test func setupActiveMakesWhootTheDTLSServer() throws {
        let session = try SDPFixtures.negotiate(SDPFixtures.offer(setup: "a=setup:active"))

        #expect(session.localDTLSRole == .server)
        #expect(session.answer.contains("a=setup:passive\r\n"))
    }

    @Test func setupPassiveMakesWhootTheDTLSClient() throws {
        let session = try SDPFixtures.negotiate(SDPFixtures.offer(setup: "a=setup:passive"))

        #expect(session.localDTLSRole == .client)
        #expect(session.answer.contains("a=setup:active\r\n"))
    }

    @Test func impossibleSetupRolesAreUnsupported() {
        for setup in ["a=setup:holdconn", "a=setup:sideways"] {
            let error = SDPFixtures.sdpError {
                _ = try SDPFixtures.negotiate(SDPFixtures.offer(setup: setup))
            }
            #expect(error?.kind == .unsupported)
            #expect(error?.message.contains("setup") == true)
            #expect(error?.line != nil)
        }
    }

    @Test func directionsAreAnsweredAsTheirMirror() throws {
        let cases: [(String, String, Bool, Bool)] = [
            ("sendrecv", "sendrecv", true, true), ("sendonly", "recvonly", true, false),
            ("recvonly", "sendonly", false, true), ("inactive", "inactive", false, false),
        ]
        for (offered, answered, receives, sends) in cases {
            let session = try SDPFixtures.negotiate(SDPFixtures.offer(direction: "a=\(offered)"))
            let media = session.media[0]

            #expect(session.answer.contains("a=\(answered)\r\n"))
            #expect(media.receivesFromPeer == receives)
            #expect(media.sendsToPeer == sends)
            #expect((media.localSSRC != nil) == sends)
            #expect(session.answer.contains("cname:whoot") == sends)
        }
    }
}

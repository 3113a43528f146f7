import Crypto
import Testing
import Foundation
import Wire

/// Shared inputs for the SDP tests.
enum SDPFixtures {
    static func text(_ name: String) throws -> String {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "sdp", subdirectory: "Fixtures"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    static let chromium = "chromium-156-audio-1sendrecv-2recvonly.offer"
    static let aiortc = "aiortc-1.16-audio-1sendrecv-1recvonly.offer"

    static let local = LocalMediaParameters(
        iceUfrag: "wh00", icePwd: "abcdefghijklmnopqrstuv",
        fingerprint: CertificateFingerprint(hash: .sha256, bytes: Array(0..<32)),
        candidates: [Candidate(ip: "198.51.100.7", port: 50000),
            Candidate(ip: "2001:db8::7", port: 50002)])

    /// Hands out 1000, 1001, ... so tests can predict local SSRCs.
    static func counter() -> () -> SSRC {
        var next: UInt32 = 1000
        return {
            defer { next += 1 }
            return SSRC(next)
        }
    }

    static func negotiate(_ text: String) throws -> NegotiatedSession {
        let offer = try SessionDescription.parse(text)
        return try NegotiatedSession.negotiate(offer: offer, local: local, makeSSRC: counter())
    }

    /// The SDPError `body` throws, or nil if it throws nothing or something else.
    static func sdpError(_ body: () throws -> Void) -> SDPError? {
        do {
            try body()
            return nil
        } catch let error as SDPError {
            return error
        } catch {
            return nil
        }
    }

    /// A small single-audio offer; each piece can be swapped to build an interop case.
    static func offer(
        sessionExtra: [String] = [], mid: String? = "0", bundle: Bool = true,
        rtpmap: String = "a=rtpmap:111 opus/48000/2",
        fmtp: String = "a=fmtp:111 minptime=10;useinbandfec=1",
        fingerprints: [String] = [
            "a=fingerprint:sha-256 " + Array(repeating: "AB", count: 32).joined(separator: ":"),
        ],
        setup: String = "a=setup:actpass", direction: String = "a=sendrecv",
        mediaExtra: [String] = []
    ) -> String {
        var lines = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
        if bundle, let mid { lines.append("a=group:BUNDLE \(mid)") }
        lines += sessionExtra
        lines += ["m=audio 9 UDP/TLS/RTP/SAVPF 111 0", "c=IN IP4 0.0.0.0"]
        if let mid { lines.append("a=mid:\(mid)") }
        lines += [direction, "a=rtcp-mux", rtpmap, fmtp, "a=rtpmap:0 PCMU/8000",
            "a=ssrc:42 cname:x", "a=ice-ufrag:Ab12", "a=ice-pwd:0123456789abcdefghijkl"]
        lines += fingerprints
        lines.append(setup)
        lines += mediaExtra
        return lines.map { $0 + "\r\n" }.joined()
    }
}

/// A small deterministic generator (SplitMix64) so random tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

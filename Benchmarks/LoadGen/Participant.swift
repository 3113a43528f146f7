import Crypto
import Foundation
import TestKit
import Wire

/// One real participant: a WHIP offer with `slots` audio m-lines (the first sendrecv),
/// then ICE, DTLS and SRTP through TestKit's peer.
final class Participant {
    let peer: TestPeer
    let ssrc = SSRC(UInt32.random(in: 1...UInt32.max))
    let port: UInt16
    var sequence: UInt16 = 0

    init(whootd: Whootd, channel: String, name: String, slots: Int) throws {
        peer = try TestPeer(relayUfrag: "", relayPassword: "")
        port = whootd.udpPort
        let token = try whootd.token(channel: channel, member: name)
        let answer = try whootd.whip(offer: offer(slots: slots), token: token)
        func value(_ prefix: String) -> String? {
            answer.split(whereSeparator: \.isNewline).first { $0.hasPrefix(prefix) }
                .map { String($0.dropFirst(prefix.count)) }
        }
        guard let ufrag = value("a=ice-ufrag:"), let password = value("a=ice-pwd:"),
            let fingerprint = value("a=fingerprint:sha-256 ")
        else { throw LoadGenError("answer without ICE credentials or fingerprint") }
        peer.relayUfrag = ufrag
        peer.relayPassword = password
        let bytes = fingerprint.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        try peer.connect(
            relayPort: whootd.udpPort,
            relayFingerprint: CertificateFingerprint(hash: .sha256, bytes: bytes),
            pump: { usleep(200) })
    }

    private func offer(slots: Int) -> String {
        var lines = [
            "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0",
            "a=group:BUNDLE " + (0..<slots).map(String.init).joined(separator: " "),
        ]
        let fingerprint = peer.fingerprint.bytes.map { String(format: "%02X", $0) }
            .joined(separator: ":")
        for mid in 0..<slots {
            lines += [
                "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 127.0.0.1",
                mid == 0 ? "a=sendrecv" : "a=recvonly",
                "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
                "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level", "a=mid:\(mid)",
                "a=rtcp-mux", "a=rtpmap:111 opus/48000/2",
                "a=ice-ufrag:\(peer.ufrag)", "a=ice-pwd:loadgenpasswordloadgen1",
                "a=fingerprint:sha-256 \(fingerprint)", "a=setup:active",
            ]
            if mid == 0 { lines.append("a=ssrc:\(ssrc.rawValue) cname:loadgen") }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// First byte of every payload: an Opus TOC byte (RFC 6716 3.1) for one 20 ms hybrid
    /// fullband mono frame, so the recording writer handles the payload as real Opus.
    static let opusTOC: UInt8 = 0x78

    /// Sends one 20 ms frame: a 60-byte payload, the TOC byte then the send time (ns).
    func speak(level: UInt8, nowNanos: UInt64) throws {
        sequence &+= 1
        guard let outbound = peer.outbound else { return }
        let writer = RTPHeaderWriter(
            payloadType: PayloadType(111), sequence: sequence,
            timestamp: UInt32(sequence) &* 960, ssrc: ssrc, audioLevel: (2, true, level))
        var packet = [UInt8](repeating: 0, count: writer.length + 60)
        packet.withUnsafeMutableBytes { raw in
            _ = writer.write(into: raw)
            raw[writer.length] = Self.opusTOC
            raw.storeBytes(of: nowNanos, toByteOffset: writer.length + 1, as: UInt64.self)
        }
        peer.socket.send(try outbound.protectRTP(packet), toPort: port)
    }
}

import Crypto
import Foundation
import TestKit
import Wire

/// One connected WebRTC endpoint of the load generator: TestKit's peer (ICE, DTLS, SRTP done)
/// and the relay's media port it talks to. A speaker sends through it; a listener's socket
/// is read by the receiver threads.
final class Participant {
    let peer: TestPeer
    let ssrc: SSRC
    /// The relay's UDP port for this endpoint, host order (whootd: one port for everyone;
    /// Janus: one port per PeerConnection).
    let relayPort: UInt16
    private var sequence: UInt16 = 0

    init(peer: TestPeer, ssrc: SSRC, relayPort: UInt16) {
        self.peer = peer
        self.ssrc = ssrc
        self.relayPort = relayPort
    }

    /// First byte of every payload: an Opus TOC byte (RFC 6716 3.1) for one 20 ms hybrid
    /// fullband mono frame, so the recording writer handles the payload as real Opus.
    static let opusTOC: UInt8 = 0x78

    /// Payload bytes per packet: the TOC byte, the send time, then padding to 60 bytes.
    static let payloadLength = 60

    /// Sends one frame: the TOC byte then `sentNanos` (CLOCK_REALTIME ns, the clock of the
    /// kernel's SO_TIMESTAMPNS stamps), with RFC 6464 level `level` (dBov, 0 is loudest).
    /// Only the sending thread may call it.
    func speak(level: UInt8, sentNanos: UInt64) throws {
        sequence &+= 1
        guard let outbound = peer.outbound else { return }
        let writer = RTPHeaderWriter(
            payloadType: PayloadType(111), sequence: sequence,
            timestamp: UInt32(sequence) &* 960, ssrc: ssrc, audioLevel: (2, true, level))
        var packet = [UInt8](repeating: 0, count: writer.length + Self.payloadLength)
        packet.withUnsafeMutableBytes { raw in
            _ = writer.write(into: raw)
            raw[writer.length] = Self.opusTOC
            raw.storeBytes(of: sentNanos, toByteOffset: writer.length + 1, as: UInt64.self)
        }
        peer.socket.send(try outbound.protectRTP(packet), toPort: relayPort)
    }

    /// Sends an RFC 7675 consent check (whootd ends sessions without one for 30 s).
    func refreshConsent() { peer.sendConsentCheck(relayPort: relayPort) }
}

/// Wall-clock time in ns (CLOCK_REALTIME), the clock SO_TIMESTAMPNS stamps use.
func realtimeNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Monotonic time in ns, for pacing and intervals.
func nanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

extension TestPeer {
    /// `connect` (ICE check, DTLS handshake), tried up to `attempts` times: on a loaded
    /// 2-core machine an answer can miss the check's 0.5 s; a relay's own STUN waiting in
    /// the socket is answered or dropped before each new try.
    func connectRetrying(
        relayPort: UInt16, relayFingerprint: CertificateFingerprint, attempts: Int = 3
    ) throws {
        for attempt in 1...attempts {
            do {
                answerPendingChecks()
                try connect(
                    relayPort: relayPort, relayFingerprint: relayFingerprint,
                    pump: { usleep(200) })
                return
            } catch where attempt < attempts {
                usleep(100_000)
            }
        }
    }
}

import Crypto
import TestKit
import Wire

#if canImport(Glibc)
    import Glibc
#endif

@testable import Relay

/// A relay on loopback whose workers the test drives by hand (`pump`), or with threads
/// (`threaded`), and helpers to admit test peers into channels.
final class RelayHarness {
    let certificate: Certificate
    let relay: Relay
    let threaded: Bool
    private var nextID = 0

    init(workers: Int = 1, threaded: Bool = false) throws {
        certificate = try .generateSelfSigned(commonName: "relay")
        relay = try Relay(
            bind: PeerAddress(host: "127.0.0.1", port: 0)!, certificate: certificate,
            workers: workers)
        self.threaded = threaded
        if threaded { relay.start() }
    }

    deinit { relay.stop() }

    var port: UInt16 { relay.localAddress.port }

    var fingerprint: CertificateFingerprint {
        CertificateFingerprint(hash: .sha256, bytes: certificate.fingerprint(.sha256))
    }

    /// Lets the relay run: one non-blocking turn of every worker, or a short sleep.
    func pump() {
        if threaded {
            usleep(1000)
        } else {
            for engine in relay.engines { engine.turn(timeoutMs: 0) }
        }
    }

    /// A participant admitted to `channel` of `tenant` with `slots` receiving slots.
    struct Member {
        let peer: TestPeer
        let plan: SessionPlan
        /// The SSRC the peer sends its audio with.
        let ssrc: SSRC
    }

    /// Admits a plan for a new test peer, without connecting it.
    func admit(tenant: Int64 = 1, channel: Int64 = 1, slots: Int = 1) throws -> Member {
        nextID += 1
        let password = SecureRandom.string(length: 24, alphabet: Array("abcdefghijkmnopqrstuvwxyz"))
        let peer = try TestPeer(relayUfrag: "r\(nextID)x\(tenant)c\(channel)",
                                relayPassword: password)
        let plan = SessionPlan(
            id: SessionID("session-\(nextID)"), tenant: TenantID(tenant),
            channel: ChannelID(channel), member: MemberID(Int64(nextID)),
            localUfrag: peer.relayUfrag, localPwd: Secret(password), remoteUfrag: peer.ufrag,
            dtlsRole: .server, remoteFingerprints: [peer.fingerprint],
            incoming: IncomingStream(payloadType: PayloadType(111), audioLevelExtensionID: 1),
            slots: (0..<slots).map { index in
                SlotPlan(ssrc: SSRC(UInt32(nextID * 100 + index)), payloadType: PayloadType(111),
                         mid: nil, midExtensionID: nil, audioLevelExtensionID: 1)
            })
        relay.admit(plan)
        pump()
        return Member(peer: peer, plan: plan, ssrc: SSRC(UInt32(nextID * 1000 + 7)))
    }

    /// Admits and connects (ICE, DTLS) a new test peer.
    func join(tenant: Int64 = 1, channel: Int64 = 1, slots: Int = 1) throws -> Member {
        let member = try admit(tenant: tenant, channel: channel, slots: slots)
        try member.peer.connect(relayPort: port, relayFingerprint: fingerprint, pump: pump)
        for _ in 0..<5 { pump() }
        return member
    }
}

/// Sends one audio packet from `member` and lets the relay forward it.
func speak(
    _ member: RelayHarness.Member, _ harness: RelayHarness, sequence: UInt16,
    timestamp: UInt32, level: UInt8, payload: UInt8 = 0
) throws {
    let packet = try member.peer.protect(
        sequence: sequence, timestamp: timestamp, ssrc: member.ssrc, level: level,
        payload: [0xF8, payload, payload])
    member.peer.socket.send(packet, toPort: harness.port)
    harness.pump()
}

/// The RTP headers of every packet waiting at `member`, after letting the relay run.
func received(_ member: RelayHarness.Member, _ harness: RelayHarness)
    -> [(header: RTPHeaderView, payload: [UInt8])]
{
    for _ in 0..<3 { harness.pump() }
    return member.peer.receiveRTP(timeoutMs: harness.threaded ? 20 : 1).compactMap { packet in
        packet.withUnsafeBytes { raw in
            guard let header = RTPHeaderView.parse(raw) else { return nil }
            return (header, Array(packet[header.headerLength...]))
        }
    }
}

func usleepMillis(_ milliseconds: UInt32) { usleep(milliseconds * 1000) }

import Crypto
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// A fake WebRTC participant for relay tests: a UDP socket on loopback that does the ICE
/// check with Wire's STUN builder, a DTLS client handshake with `Crypto.DTLSEndpoint`, and
/// SRTP with `SRTPContext`. It drives nothing by itself: the test passes `pump`, which
/// lets the relay run (a worker turn, or a short sleep when the relay has threads).
public final class TestPeer {
    public let socket = UDPTestSocket()
    public let certificate: Certificate
    /// ICE credentials: ours (the peer's) and the relay's for this session.
    public let ufrag: String
    public var relayUfrag: String
    public var relayPassword: String
    public private(set) var outbound: SRTPContext?
    public private(set) var inbound: SRTPContext?
    /// Non-media datagrams seen while waiting for media (STUN replies, RTCP).
    public private(set) var rtcp: [[UInt8]] = []

    public init(relayUfrag: String, relayPassword: String) throws {
        certificate = try .generateSelfSigned(commonName: "test-peer")
        ufrag = SecureRandom.string(length: 8, alphabet: Array("abcdefghijklmnop"))
        self.relayUfrag = relayUfrag
        self.relayPassword = relayPassword
    }

    public var fingerprint: CertificateFingerprint {
        CertificateFingerprint(hash: .sha256, bytes: certificate.fingerprint(.sha256))
    }

    public var isConnected: Bool { outbound != nil }

    /// Sends a Binding request with USE-CANDIDATE; returns the STUN class of the answer
    /// (success or error), or nil when none came.
    @discardableResult
    public func check(relayPort: UInt16, password: String? = nil, pump: () -> Void)
        -> STUNClass?
    {
        let request = STUNMessage.bindingRequest(
            transactionID: SecureRandom.bytes(12), username: "\(relayUfrag):\(ufrag)",
            integrityKey: Array((password ?? relayPassword).utf8), priority: 1 << 24,
            useCandidate: true)
        for attempt in 0..<400 {
            // Retransmitted like an ICE agent would, every 50 turns.
            if attempt % 50 == 0 { socket.send(request, toPort: relayPort) }
            pump()
            if let reply = socket.receive(timeoutMs: 1),
                let message = try? STUNMessage.parse(reply)
            {
                return message.messageClass
            }
        }
        return nil
    }

    /// Sends a consent check (RFC 7675) without waiting for the answer.
    public func sendConsentCheck(relayPort: UInt16) {
        socket.send(STUNMessage.bindingRequest(
            transactionID: SecureRandom.bytes(12), username: "\(relayUfrag):\(ufrag)",
            integrityKey: Array(relayPassword.utf8), priority: 1 << 24, useCandidate: false),
            toPort: relayPort)
    }

    /// Runs the ICE check and the DTLS handshake as the client; throws when it fails.
    public func connect(
        relayPort: UInt16, relayFingerprint: CertificateFingerprint, pump: () -> Void
    ) throws {
        guard check(relayPort: relayPort, pump: pump) == .successResponse else {
            throw TestPeerError("ICE check got no success response")
        }
        let dtls = try DTLSEndpoint(
            role: .client, certificate: certificate, remoteFingerprints: [relayFingerprint])
        var output = dtls.start(now: .milliseconds(monotonicTestMillis()))
        for _ in 0..<2000 {
            for datagram in output.datagrams { socket.send(datagram, toPort: relayPort) }
            output = DTLSOutput()
            pump()
            if let datagram = socket.receive(timeoutMs: 1) {
                output = dtls.receive(datagram, now: .milliseconds(monotonicTestMillis()))
                if case .connected(let keys) = output.event {
                    for datagram in output.datagrams { socket.send(datagram, toPort: relayPort) }
                    outbound = try SRTPContext(
                        profile: keys.profile, key: keys.localKey, salt: keys.localSalt,
                        direction: .outbound)
                    inbound = try SRTPContext(
                        profile: keys.profile, key: keys.remoteKey, salt: keys.remoteSalt,
                        direction: .inbound)
                    return
                }
                if case .failed(let reason) = output.event {
                    throw TestPeerError("DTLS failed: \(reason)")
                }
            } else if let deadline = dtls.nextTimeout(),
                deadline.milliseconds <= monotonicTestMillis()
            {
                output = dtls.handleTimeout(now: .milliseconds(monotonicTestMillis()))
            }
        }
        throw TestPeerError("DTLS handshake did not complete")
    }

    /// An SRTP packet of ours, protected (each call advances libsrtp's state).
    public func protect(
        sequence: UInt16, timestamp: UInt32, ssrc: SSRC, level: UInt8?,
        payloadType: PayloadType = PayloadType(111), payload: [UInt8] = [0xF8, 0xFF, 0xFE]
    ) throws -> [UInt8] {
        guard let outbound else { throw TestPeerError("not connected") }
        let writer = RTPHeaderWriter(
            payloadType: payloadType, sequence: sequence, timestamp: timestamp, ssrc: ssrc,
            audioLevel: level.map { (1, true, $0) })
        var packet = [UInt8](repeating: 0, count: writer.length)
        _ = packet.withUnsafeMutableBytes { writer.write(into: $0) }
        return try outbound.protectRTP(packet + payload)
    }

    public func sendRTP(
        relayPort: UInt16, sequence: UInt16, timestamp: UInt32, ssrc: SSRC, level: UInt8?
    ) throws {
        socket.send(try protect(sequence: sequence, timestamp: timestamp, ssrc: ssrc,
                                level: level), toPort: relayPort)
    }

    /// Every RTP packet waiting now, decrypted; RTCP goes to `rtcp`.
    public func receiveRTP(timeoutMs: Int32 = 0) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var wait = timeoutMs
        while let datagram = socket.receive(timeoutMs: wait) {
            wait = 0
            guard let inbound, datagram.count >= 2,
                PacketClass.classify(firstByte: datagram[0]) == .rtpOrRtcp
            else { continue }
            if PacketClass.isRTCP(secondByte: datagram[1]) {
                if let plain = try? inbound.unprotectRTCP(datagram) { rtcp.append(plain) }
                continue
            }
            if let plain = try? inbound.unprotectRTP(datagram) { packets.append(plain) }
        }
        return packets
    }
}

public struct TestPeerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Monotonic milliseconds for test peers' DTLS clocks.
public func monotonicTestMillis() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}

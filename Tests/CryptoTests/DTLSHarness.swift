import Crypto

/// Two endpoints joined by an in-memory datagram pipe, driven by a manual clock.
final class DTLSHarness {
    let clientCertificate: Certificate
    let serverCertificate: Certificate
    let client: DTLSEndpoint
    let server: DTLSEndpoint
    var now = Instant.milliseconds(1_000)
    var clientEvents: [DTLSEvent] = []
    var serverEvents: [DTLSEvent] = []
    /// Datagrams in flight towards each side, in order.
    var toServer: [[UInt8]] = []
    var toClient: [[UInt8]] = []

    typealias Expectation = (Certificate) -> [CertificateFingerprint]

    static let sha256: Expectation = { certificate in
        [CertificateFingerprint(hash: .sha256, bytes: certificate.fingerprint(.sha256))]
    }

    init(
        clientProfiles: [SRTPProfile] = SRTPProfile.preferenceOrder,
        serverProfiles: [SRTPProfile] = SRTPProfile.preferenceOrder,
        clientExpects: Expectation = DTLSHarness.sha256,
        serverExpects: Expectation = DTLSHarness.sha256,
        retransmitMilliseconds: UInt32 = 1000
    ) throws {
        clientCertificate = try .generateSelfSigned(commonName: "client")
        serverCertificate = try .generateSelfSigned(commonName: "server")
        client = try DTLSEndpoint(
            role: .client,
            context: DTLSContext(certificate: clientCertificate, profiles: clientProfiles),
            remoteFingerprints: clientExpects(serverCertificate),
            initialRetransmitTimeoutMilliseconds: retransmitMilliseconds)
        server = try DTLSEndpoint(
            role: .server,
            context: DTLSContext(certificate: serverCertificate, profiles: serverProfiles),
            remoteFingerprints: serverExpects(clientCertificate),
            initialRetransmitTimeoutMilliseconds: retransmitMilliseconds)
    }

    func start() {
        record(client.start(now: now), from: .client)
        record(server.start(now: now), from: .server)
    }

    /// Delivers queued datagrams both ways until none are left. `drop` sees the
    /// destination and the datagram's running number (from 1) and may discard it.
    func pump(drop: (DTLSRole, Int) -> Bool = { _, _ in false }) {
        var delivered = 0
        while !toServer.isEmpty || !toClient.isEmpty {
            if !toServer.isEmpty {
                let datagram = toServer.removeFirst()
                delivered += 1
                if !drop(.server, delivered) {
                    record(server.receive(datagram, now: now), from: .server)
                }
            }
            if !toClient.isEmpty {
                let datagram = toClient.removeFirst()
                delivered += 1
                if !drop(.client, delivered) {
                    record(client.receive(datagram, now: now), from: .client)
                }
            }
        }
    }

    func record(_ output: DTLSOutput, from role: DTLSRole) {
        switch role {
        case .client:
            toServer += output.datagrams
            if let event = output.event { clientEvents.append(event) }
        case .server:
            toClient += output.datagrams
            if let event = output.event { serverEvents.append(event) }
        }
    }

    var clientMaterial: SRTPKeyingMaterial? { Self.material(clientEvents) }
    var serverMaterial: SRTPKeyingMaterial? { Self.material(serverEvents) }

    static func material(_ events: [DTLSEvent]) -> SRTPKeyingMaterial? {
        for case .connected(let material) in events { return material }
        return nil
    }

    static func failure(_ events: [DTLSEvent]) -> String? {
        for case .failed(let reason) in events { return reason }
        return nil
    }

    /// Keying material from both ends of a real in-memory handshake, for SRTP tests.
    static func connected(profiles: [SRTPProfile]) throws
        -> (client: SRTPKeyingMaterial, server: SRTPKeyingMaterial)
    {
        let harness = try DTLSHarness(clientProfiles: profiles, serverProfiles: profiles)
        harness.start()
        harness.pump()
        guard let client = harness.clientMaterial, let server = harness.serverMaterial else {
            throw HarnessError.notConnected(
                "client \(harness.clientEvents), server \(harness.serverEvents)")
        }
        return (client, server)
    }
}

enum HarnessError: Error {
    case notConnected(String)
}

import Crypto
import FuzzSupport
import Wire

/// The DTLS side of the ICE port: RFC 7983 demultiplexing by first byte, then a fresh
/// server endpoint (as the relay runs one per session) fed each datagram of the input.
/// The input is a sequence of 16-bit-length-prefixed datagrams.
let certificate = try! Certificate.generateSelfSigned(commonName: "fuzz")
let context = try! DTLSContext(certificate: certificate)
let expected = [CertificateFingerprint(hash: .sha256, bytes: Array(repeating: 0xAB, count: 32))]

FuzzDriver.run { input in
    let endpoint = try! DTLSEndpoint(
        role: .server, context: context, remoteFingerprints: expected)
    var reader = FuzzInputReader(input)
    var now = Instant.milliseconds(1_000)
    _ = endpoint.start(now: now)

    while let datagram = reader.next() {
        guard let first = datagram.first,
            PacketClass.classify(firstByte: first) == .dtls
        else { continue }
        let output = endpoint.receive(datagram, now: now)
        for reply in output.datagrams { precondition(reply.count <= 1500) }
        now = now.adding(microseconds: 50_000)
        if let timeout = endpoint.nextTimeout(), timeout <= now {
            _ = endpoint.handleTimeout(now: now)
        }
    }
    _ = endpoint.close(now: now)
}

import Foundation
import Synchronization
import Testing

@testable import HTTPEdge

@Suite struct TLSTests {
    @Test func tls11HandshakeIsRefused() throws {
        try withServer { _, base in
            // SECLEVEL=0 lets the client offer TLS 1.1 at all, so a refusal is the server's.
            let result = try curl(
                base + "/", extra: ["--tlsv1.1", "--tls-max", "1.1",
                                    "--ciphers", "DEFAULT@SECLEVEL=0"])

            #expect(result.exitCode == 35)
            #expect(result.status == 0)
        }
    }

    @Test func tls12AndTls13HandshakesSucceed() throws {
        try withServer { _, base in
            let tls12 = try curl(base + "/", extra: ["--tlsv1.2", "--tls-max", "1.2"])
            let tls13 = try curl(base + "/", extra: ["--tlsv1.3", "--tls-max", "1.3"])

            #expect(tls12.status == 200)
            #expect(tls13.status == 200)
        }
    }

    @Test func serverPresentsTheConfiguredCertificate() throws {
        let other = try TestCertificate.make()
        try withServer { _, base in
            let trusted = try curl(base + "/", caFile: TestCertificate.shared.certificatePath)
            let untrusted = try curl(base + "/", caFile: other.certificatePath)

            #expect(trusted.status == 200)
            #expect(untrusted.exitCode == 60)
        }
    }

    @Test func unusableKeyIsReportedAtStart() throws {
        var configuration = testConfiguration()
        configuration.privateKeyPEM =
            "-----BEGIN " + "PRIVATE KEY-----\nAAAA\n-----END " + "PRIVATE KEY-----\n"
        let server = HTTPSServer(configuration: configuration, handler: echoHandler)

        let error = #expect(throws: HTTPSServerError.self) { try server.start() }
        #expect(error?.code == .daemonStartFailed)
        #expect(error?.message.contains("GnuTLS") == true, "\(String(describing: error))")
        #expect(error?.message.contains("AAAA") == false)
        #expect(server.boundPort == 0)
    }

    @Test func reloadedCertificateServesNewConnectionsOnTheSamePort() throws {
        let first = TestCertificate.shared
        let second = try TestCertificate.make()
        try withServer { server, base in
            let port = server.boundPort
            let before = try curl(base + "/", caFile: first.certificatePath)

            try server.reloadCertificate(
                certificatePEM: second.certificatePEM, privateKeyPEM: second.privateKeyPEM)
            let withNew = try curl(base + "/", caFile: second.certificatePath)
            let withOld = try curl(base + "/", caFile: first.certificatePath)

            #expect(before.status == 200)
            #expect(server.boundPort == port)
            #expect(withNew.status == 200)
            #expect(withOld.exitCode == 60)
        }
    }

    /// Reloads race the worker threads that are accepting: the port must stay open and the
    /// process alive. With libmicrohttpd's epoll loop, 3 of 5 runs of this test aborted
    /// ("Failed to remove listen FD from epoll set"); CI once saw it on a single SIGHUP.
    @Test func reloadsWhileClientsConnectNeverCloseThePort() throws {
        let certificates = [TestCertificate.shared, try TestCertificate.make()]
        try withServer { server, base in
            let port = server.boundPort
            let running = Mutex(true)
            let refusals = Mutex(0)
            let done = DispatchGroup()
            for _ in 0..<8 {
                DispatchQueue.global().async(group: done) {
                    let hello = Array("not a TLS record\r\n".utf8)
                    while running.withLock({ $0 }) {
                        guard let fd = try? connectLoopback(port: port) else {
                            refusals.withLock { $0 += 1 }
                            continue
                        }
                        _ = write(fd, hello, hello.count)
                        close(fd)
                    }
                }
            }
            for round in 0..<3000 {
                let next = certificates[(round + 1) % 2]
                try server.reloadCertificate(
                    certificatePEM: next.certificatePEM, privateKeyPEM: next.privateKeyPEM)
            }
            running.withLock { $0 = false }
            done.wait()
            let served = try curl(base + "/", caFile: certificates[0].certificatePath)

            #expect(refusals.withLock { $0 } == 0)
            #expect(served.status == 200)
            #expect(server.boundPort == port)
        }
    }

    @Test func rejectedReloadKeepsServingTheOldCertificate() throws {
        try withServer { server, base in
            #expect(throws: HTTPSServerError.self) {
                try server.reloadCertificate(
                    certificatePEM: "not a certificate", privateKeyPEM: "not a key")
            }
            let result = try curl(base + "/", caFile: TestCertificate.shared.certificatePath)

            #expect(result.status == 200)
        }
    }
}

import Foundation
import Testing

@testable import HTTPEdge

@Suite struct ConnectionTests {
    @Test func twentyConcurrentRequestsAreAllAnswered() throws {
        let inFlight = Counter()
        let handler: (HTTPRequest) -> HTTPResponse = { request in
            inFlight.enter()
            defer { inFlight.leave() }
            Thread.sleep(forTimeInterval: 0.1)
            return .text(200, request.path)
        }
        try withServer(handler: handler) { _, base in
            var arguments = ["-s", "-k", "--max-time", "20", "--parallel",
                             "--parallel-max", "20", "-w", "%{http_code}\n"]
            for index in 0..<20 {
                arguments += ["-o", "/dev/null", base + "/request/\(index)"]
            }
            let result = try runTool("curl", arguments)

            let statuses = result.stdout.split(separator: "\n")
            #expect(statuses.count == 20)
            #expect(statuses.allSatisfy { $0 == "200" })
            #expect(inFlight.count == 20)
            #expect(inFlight.peak >= 2)
        }
    }

    @Test func silentClientIsCutAfterTimeoutWhileOthersAreServed() throws {
        var configuration = testConfiguration()
        configuration.connectionTimeoutSeconds = 2
        try withServer(configuration) { server, base in
            let silent = try connectLoopback(port: server.boundPort)
            defer { close(silent) }
            let started = Date()

            let other = try curl(base + "/still-working")
            // The server may send a TLS alert before closing; read until end of stream.
            var buffer = [UInt8](repeating: 0, count: 256)
            var received = 0
            repeat {
                received = recv(silent, &buffer, buffer.count, 0)
            } while received > 0
            let elapsed = Date().timeIntervalSince(started)

            #expect(other.status == 200)
            #expect(received == 0)
            #expect(elapsed >= 1.5)
            #expect(elapsed < 6)
        }
    }

    @Test func stoppedServerRefusesConnectionsAndFreesThePort() throws {
        let server = HTTPSServer(configuration: testConfiguration(), handler: echoHandler)
        try server.start()
        let port = server.boundPort
        let before = try curl("https://127.0.0.1:\(port)/")

        server.stop()
        server.stop()
        let after = try curl("https://127.0.0.1:\(port)/")
        let rebound = try ListenSocket.open(host: "127.0.0.1", port: port)
        close(rebound)

        #expect(before.status == 200)
        #expect(after.exitCode == 7)
        #expect(server.boundPort == 0)
    }

    @Test func portInUseIsReportedWithHostPortAndErrno() throws {
        try withServer { running, _ in
            var configuration = testConfiguration()
            configuration.port = running.boundPort
            let second = HTTPSServer(configuration: configuration, handler: echoHandler)

            let error = #expect(throws: HTTPSServerError.self) { try second.start() }
            #expect(error?.code == .bindFailed)
            #expect(error?.errno == EADDRINUSE)
            #expect(error?.message.contains("127.0.0.1:\(running.boundPort)") == true)
            #expect(error?.message.contains("errno \(EADDRINUSE)") == true)
        }
    }

    @Test func hostThatIsNotAnAddressIsRejected() throws {
        let server = HTTPSServer(
            configuration: testConfiguration(host: "localhost"), handler: echoHandler)

        let error = #expect(throws: HTTPSServerError.self) { try server.start() }
        #expect(error?.code == .invalidConfiguration)
    }

    @Test func startingTwiceIsRefused() throws {
        try withServer { server, _ in
            let error = #expect(throws: HTTPSServerError.self) { try server.start() }
            #expect(error?.code == .alreadyRunning)
        }
    }
}

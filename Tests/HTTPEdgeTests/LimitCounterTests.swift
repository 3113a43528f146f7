import Foundation
import Testing

@testable import HTTPEdge

#if canImport(Glibc)
    import Glibc
#endif

/// Each HTTP limit, when hit, moves its counter in `HTTPLimitCounters`.
@Suite struct LimitCounterTests {
    @Test func anOversizedBodyIsCounted() throws {
        let configuration = testConfiguration()
        try withServer(configuration) { _, base in
            let refused = try curl(
                base + "/upload", method: "POST", body: [UInt8](repeating: 0x61, count: 2048))
            let accepted = try curl(base + "/upload", method: "POST", body: [0x61])

            #expect(refused.status == 413 && accepted.status == 200)
            #expect(configuration.limitCounters.bodiesTooLarge.load(ordering: .relaxed) == 1)
        }
    }

    @Test func connectionsOverThePerIPLimitAreCounted() throws {
        var configuration = testConfiguration()
        configuration.perIPConnectionLimit = 2
        try withServer(configuration) { server, _ in
            let held = try (0..<4).map { _ in try connectLoopback(port: server.boundPort) }
            defer { held.forEach { close($0) } }
            let deadline = Date().addingTimeInterval(3)
            while configuration.limitCounters.connectionLimitHits.load(ordering: .relaxed) < 2,
                Date() < deadline
            {
                usleep(20_000)
            }

            #expect(configuration.limitCounters.connectionLimitHits.load(ordering: .relaxed) == 2)
        }
    }

    @Test func fillingTheServerToItsConnectionLimitIsCounted() throws {
        var configuration = testConfiguration()
        configuration.maxConnections = 3
        configuration.threadPoolSize = 1
        try withServer(configuration) { server, _ in
            let held = try (0..<3).map { _ in try connectLoopback(port: server.boundPort) }
            defer { held.forEach { close($0) } }
            let deadline = Date().addingTimeInterval(3)
            while configuration.limitCounters.connectionLimitHits.load(ordering: .relaxed) < 1,
                Date() < deadline
            {
                usleep(20_000)
            }

            #expect(configuration.limitCounters.connectionLimitHits.load(ordering: .relaxed) == 1)
        }
    }

    @Test func aSilentClientCutByTheTimeoutIsCounted() throws {
        var configuration = testConfiguration()
        configuration.connectionTimeoutSeconds = 1
        try withServer(configuration) { server, base in
            let answered = try curl(base + "/quick")
            let silent = try connectLoopback(port: server.boundPort)
            defer { close(silent) }
            var buffer = [UInt8](repeating: 0, count: 64)
            while recv(silent, &buffer, buffer.count, 0) > 0 {}
            usleep(100_000)

            #expect(answered.status == 200)
            #expect(configuration.limitCounters.connectionTimeouts.load(ordering: .relaxed) == 1)
        }
    }

    @Test func theIdleTrackerMeasuresFromTheLastActivity() {
        let activity = ConnectionActivity()
        let connection = OpaquePointer(bitPattern: 0x1000)!
        _ = activity.opened(connection, socket: -1, now: 10)
        activity.requestStarted(connection, now: 12)

        #expect(activity.closed(connection, now: 15) == (idle: 3, cut: false))
        #expect(activity.closed(connection, now: 20) == (idle: 0, cut: false))
    }
}

import Foundation
import Synchronization

/// How often the HTTPS server's limits were hit, for /metrics. Written on
/// libmicrohttpd's threads with relaxed atomic adds; read from any thread.
public final class HTTPLimitCounters: Sendable {
    /// Times the server filled up to `maxConnections` (later clients wait in the kernel's
    /// accept queue until a connection closes), plus connections refused because their
    /// IP held `perIPConnectionLimit` or the server was full when it accepted them.
    public let connectionLimitHits = Atomic<UInt64>(0)
    /// Requests answered 413 because the body exceeded `maxBodyBytes`.
    public let bodiesTooLarge = Atomic<UInt64>(0)
    /// Connections closed after `connectionTimeoutSeconds` without activity: clients that
    /// never finished their TLS handshake or request, or kept an idle connection.
    public let connectionTimeouts = Atomic<UInt64>(0)

    public init() {}
}

/// When each open connection last made progress that the server saw (opened, or a
/// request reached the handler), so that a close can be told apart as an idle timeout.
/// libmicrohttpd gives no reason on close; a connection idle for at least the timeout is
/// one it cut. Used from libmicrohttpd's threads, hence the lock.
final class ConnectionActivity: @unchecked Sendable {
    private let lock = NSLock()
    /// Last activity per connection, monotonic seconds.
    private var lastSeen: [OpaquePointer: Double] = [:]

    /// Records activity; returns how many connections are open.
    @discardableResult
    func touch(_ connection: OpaquePointer, now: Double) -> Int {
        lock.withLock {
            lastSeen[connection] = now
            return lastSeen.count
        }
    }

    /// Forgets `connection`; returns its idle time in seconds.
    func closed(_ connection: OpaquePointer, now: Double) -> Double {
        lock.withLock { lastSeen.removeValue(forKey: connection).map { now - $0 } ?? 0 }
    }

    static func now() -> Double { ProcessInfo.processInfo.systemUptime }
}

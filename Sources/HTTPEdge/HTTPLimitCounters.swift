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

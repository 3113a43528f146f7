import Foundation

/// What the server knows of each open connection: when it last made progress it saw, and
/// since when it has owed the server input: a request head (from the moment it opened or
/// its previous request finished), then the body (from the moment the head was complete).
///
/// libmicrohttpd's own timeout restarts with every byte, so a client sending its head, a
/// chunk-size line or a trailer a byte at a time would hold a connection forever;
/// `cutStalled` closes a connection that has owed its head, or its body, for longer than the
/// timeout. While the handler runs and the answer goes out, nothing is owed.
/// libmicrohttpd gives no reason on close; a connection cut here, or idle for at least the
/// timeout, counts as a timeout.
/// Used from libmicrohttpd's threads and the server's sweeper, hence the lock.
final class ConnectionActivity: @unchecked Sendable {
    private struct Entry {
        /// Monotonic seconds of the last progress seen (opened, request head complete).
        var lastSeen: Double
        /// Since when the connection owes a request head or body; nil while a complete
        /// request is handled and answered.
        var owingSince: Double?
        /// The connection's socket, -1 if unknown.
        var socket: Int32
        /// True once `cutStalled` shut the socket down.
        var cut = false
    }

    private let lock = NSLock()
    private var entries: [OpaquePointer: Entry] = [:]

    /// Records a new connection; returns how many connections are open.
    func opened(_ connection: OpaquePointer, socket: Int32, now: Double) -> Int {
        lock.withLock {
            entries[connection] = Entry(lastSeen: now, owingSince: now, socket: socket)
            return entries.count
        }
    }

    /// The head of a request arrived: its body must come within the timeout from now.
    func requestStarted(_ connection: OpaquePointer, now: Double) {
        lock.withLock {
            entries[connection]?.lastSeen = now
            entries[connection]?.owingSince = now
        }
    }

    /// The whole body arrived: the connection owes nothing until `requestFinished`.
    func bodyReceived(_ connection: OpaquePointer) {
        lock.withLock { entries[connection]?.owingSince = nil }
    }

    /// A request was answered (or aborted): the next head must come within the timeout.
    func requestFinished(_ connection: OpaquePointer, now: Double) {
        lock.withLock { entries[connection]?.owingSince = now }
    }

    /// Forgets `connection`; returns its idle time in seconds and whether it was cut.
    func closed(_ connection: OpaquePointer, now: Double) -> (idle: Double, cut: Bool) {
        lock.withLock {
            guard let entry = entries.removeValue(forKey: connection) else { return (0, false) }
            return (now - entry.lastSeen, entry.cut)
        }
    }

    /// Shuts down the socket of every connection that has owed a head or a body for more
    /// than `timeout` seconds; libmicrohttpd then sees the end of the stream and closes
    /// it. Returns how many were cut.
    ///
    /// The shutdown happens under the lock, and libmicrohttpd reports a connection closed
    /// (`closed`, which takes the lock) before it closes the socket, so the number shut
    /// down is still that connection's socket.
    @discardableResult
    func cutStalled(now: Double, timeout: Double) -> Int {
        lock.withLock {
            var cut = 0
            for (connection, entry) in entries where !entry.cut && entry.socket >= 0 {
                guard let since = entry.owingSince, now - since > timeout else { continue }
                _ = shutdown(entry.socket, Int32(SHUT_RDWR))
                entries[connection]?.cut = true
                cut += 1
            }
            return cut
        }
    }

    static func now() -> Double { ProcessInfo.processInfo.systemUptime }
}

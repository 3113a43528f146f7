import CPostgres
import Crypto
import Foundation

/// Receives PostgreSQL notifications (LISTEN) on a connection of its own, for messages
/// between whootd nodes that share a database. Sent with `WriteTransaction.notifyNodes`.
///
/// Threading: one thread calls `wait`; `listen` is called before that thread starts.
public final class PostgresListener {
    private let connection: PostgresConnection

    /// Connects with `conninfo` (the application's role: LISTEN needs no privilege).
    public init(postgres conninfo: Secret<String>) throws {
        connection = try PostgresConnection(conninfo: conninfo.reveal)
    }

    /// Subscribes to `channel`, a plain lower-case identifier.
    public func listen(_ channel: String) throws {
        guard !channel.isEmpty, channel.allSatisfy({ $0.isLetter || $0 == "_" }) else {
            throw StoreError("listen", message: "bad channel name")
        }
        try connection.exec("LISTEN \(channel)")
    }

    /// Waits up to `timeoutMs` for notifications and returns those that arrived
    /// (channel, payload), possibly none. Throws when the connection is lost.
    public func wait(timeoutMs: Int32) throws -> [(channel: String, payload: String)] {
        try connection.notifications(timeoutMs: timeoutMs)
    }
}

extension PostgresConnection {
    /// Notifications received so far, after waiting up to `timeoutMs` for the socket.
    func notifications(timeoutMs: Int32) throws -> [(channel: String, payload: String)] {
        var received = drainNotifications()
        guard received.isEmpty else { return received }

        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMs)
        guard ready >= 0 || errno == EINTR else {
            throw StoreError("listen", message: "poll failed: errno \(errno)")
        }
        guard PQconsumeInput(handle) == 1 else {
            throw StoreError("listen", message: String(cString: PQerrorMessage(handle)))
        }
        received = drainNotifications()
        return received
    }

    private func drainNotifications() -> [(channel: String, payload: String)] {
        var result: [(channel: String, payload: String)] = []
        while let notice = PQnotifies(handle) {
            result.append((String(cString: notice.pointee.relname),
                           String(cString: notice.pointee.extra)))
            PQfreemem(notice)
        }
        return result
    }
}

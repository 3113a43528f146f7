import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The systemd notification protocol (sd_notify(3)): datagrams such as `READY=1` sent to
/// the Unix socket named by `$NOTIFY_SOCKET` (a path, or `@name` in the abstract
/// namespace). Without the variable every call does nothing, so whootd runs the same
/// outside systemd.
final class SystemdNotifier: @unchecked Sendable {
    private let socketPath: String?
    /// The watchdog interval systemd asked for (`$WATCHDOG_USEC`), in microseconds.
    let watchdogMicroseconds: UInt64?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"]
        socketPath = (path?.isEmpty ?? true) ? nil : path
        if let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0,
            environment["WATCHDOG_PID"].map({ $0 == String(getpid()) }) ?? true
        {
            watchdogMicroseconds = usec
        } else {
            watchdogMicroseconds = nil
        }
    }

    var isEnabled: Bool { socketPath != nil }

    /// Sends one notification, e.g. "READY=1\nSTATUS=serving". Failures are ignored, as
    /// sd_notify does: the service must not die because its manager went away.
    func send(_ state: String) {
        guard let path = socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count
            + (bytes.first == 0 ? 0 : 1))
        let message = Array(state.utf8)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), $0, length)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Creates the listening TCP socket for the daemon.
///
/// The server binds the socket itself and hands it to libmicrohttpd with
/// `.LISTEN_SOCKET`, so that a bind failure reports the real errno, and so that
/// a certificate reload can pass the same socket to the next daemon.
enum ListenSocket {
    /// Opens a non-blocking, close-on-exec socket bound to `host`:`port` and listening.
    /// `::` is made dual-stack; other IPv6 addresses are IPv6-only. Returns the descriptor,
    /// which the caller must hand to a daemon or close.
    static func open(host: String, port: UInt16) throws -> Int32 {
        let label = display(host: host, port: port)
        var storage = sockaddr_storage()
        let length = try socketAddress(host: host, port: port, into: &storage)
        let family = Int32(storage.ss_family)
        let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue)

        let fd = socket(family, kind, 0)
        guard fd >= 0 else { throw failure("socket", label) }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, label)
            if family == AF_INET6 {
                try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, host == "::" ? 0 : 1, label)
            }
            let bound = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            guard bound == 0 else { throw failure("bind", label) }
            guard listen(fd, SOMAXCONN) == 0 else { throw failure("listen", label) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Closes `fd` unless it is already closed. Used after libmicrohttpd failed to start
    /// with the socket, since its failure path does not say whether it closed it.
    static func closeIfOpen(_ fd: Int32) {
        if fcntl(fd, F_GETFD) != -1 {
            close(fd)
        }
    }

    /// The local port `fd` is bound to, or 0 if the kernel will not say.
    static func localPort(_ fd: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard status == 0 else { return 0 }
        return SocketAddressText.port(of: &storage)
    }

    /// `127.0.0.1:8443` or `[::1]:8443`, for error messages.
    static func display(host: String, port: UInt16) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func socketAddress(
        host: String, port: UInt16, into storage: inout sockaddr_storage
    ) throws -> socklen_t {
        let bare = host.hasPrefix("[") && host.hasSuffix("]")
            ? String(host.dropFirst().dropLast()) : host
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, bare, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee = v4 }
            }
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, bare, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee = v6 }
            }
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
        throw HTTPSServerError(
            .invalidConfiguration, "listen host '\(host)' is not an IPv4 or IPv6 literal")
    }

    private static func setOption(
        _ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ label: String
    ) throws {
        var value = value
        let size = socklen_t(MemoryLayout<Int32>.size)
        guard setsockopt(fd, level, name, &value, size) == 0 else {
            throw failure("setsockopt", label)
        }
    }

    private static func failure(_ call: String, _ label: String) -> HTTPSServerError {
        let code = errno
        let reason = String(cString: strerror(code))
        return HTTPSServerError(
            .bindFailed, "\(call) for \(label) failed: \(reason) (errno \(code))", errno: code)
    }
}

/// Renders socket addresses as text.
enum SocketAddressText {
    /// The IP address in `address` as text; IPv4-mapped IPv6 addresses become plain IPv4.
    /// Returns "" for families other than IPv4 and IPv6.
    static func host(of address: UnsafePointer<sockaddr>) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let capacity = socklen_t(buffer.count)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            var v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            guard inet_ntop(AF_INET, &v4.sin_addr, &buffer, capacity) != nil else { return "" }
        case AF_INET6:
            var v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                $0.pointee
            }
            guard inet_ntop(AF_INET6, &v6.sin6_addr, &buffer, capacity) != nil else {
                return ""
            }
        default:
            return ""
        }
        let text = String(cString: buffer)
        let mapped = "::ffff:"
        if text.hasPrefix(mapped), text.dropFirst(mapped.count).contains(".") {
            return String(text.dropFirst(mapped.count))
        }
        return text
    }

    /// The port in `storage` (host byte order), or 0 for other families.
    static func port(of storage: inout sockaddr_storage) -> UInt16 {
        withUnsafePointer(to: &storage) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    UInt16(bigEndian: $0.pointee.sin_port)
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    UInt16(bigEndian: $0.pointee.sin6_port)
                }
            default:
                return 0
            }
        }
    }
}

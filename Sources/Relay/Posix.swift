#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which call, and errno.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let call: String
    public let errno: Int32

    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The outcome of a non-blocking call: done with a value, or it would block.
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// Every system call goes through here: EINTR is retried, EAGAIN becomes `.wouldBlock`,
/// and any other failure throws a `SystemError` naming the call.
@inline(__always)
func syscall<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let code = Glibc.errno
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
        throw SystemError(call: name, errno: code)
    }
}

/// A socket address of an IPv4 or IPv6 peer, hashable without allocation so that it can
/// key the routing table (the remote half of the 5-tuple; the local half is the one port).
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// AF_INET or AF_INET6.
    public let family: Int32
    /// The port in host byte order.
    public let port: UInt16
    /// The address bytes: IPv4 in the low 4 bytes of `high`, IPv6 across both words.
    let high: UInt64
    let low: UInt64

    public init?(storage: sockaddr_storage) {
        var copy = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sin = withUnsafeBytes(of: &copy) { $0.load(as: sockaddr_in.self) }
            family = AF_INET
            port = UInt16(bigEndian: sin.sin_port)
            high = UInt64(UInt32(bigEndian: sin.sin_addr.s_addr))
            low = 0
        case AF_INET6:
            let sin6 = withUnsafeBytes(of: &copy) { $0.load(as: sockaddr_in6.self) }
            family = AF_INET6
            port = UInt16(bigEndian: sin6.sin6_port)
            var addr = sin6.sin6_addr
            let words = withUnsafeBytes(of: &addr) { raw in
                (raw.load(fromByteOffset: 0, as: UInt64.self),
                    raw.load(fromByteOffset: 8, as: UInt64.self))
            }
            high = UInt64(bigEndian: words.0)
            low = UInt64(bigEndian: words.1)
        default:
            return nil
        }
    }

    /// Parses "1.2.3.4", "::1" or "[::1]" with a port.
    public init?(host: String, port: UInt16) {
        var storage = sockaddr_storage()
        let text = host.hasPrefix("[") && host.hasSuffix("]")
            ? String(host.dropFirst().dropLast()) : host
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = v4
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin, as: sockaddr_in.self) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = v6
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin6, as: sockaddr_in6.self) }
        } else {
            return nil
        }
        self.init(storage: storage)
    }

    /// The address bytes in network order: 4 for IPv4, 16 for IPv6.
    public var addressBytes: [UInt8] {
        if family == AF_INET {
            return withUnsafeBytes(of: UInt32(truncatingIfNeeded: high).bigEndian) { Array($0) }
        }
        return withUnsafeBytes(of: high.bigEndian) { Array($0) }
            + withUnsafeBytes(of: low.bigEndian) { Array($0) }
    }

    public var host: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var bytes = addressBytes
        _ = inet_ntop(family, &bytes, &buffer, socklen_t(buffer.count))
        return String(cString: buffer)
    }

    public var description: String {
        family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Writes this address into `storage` and returns its length, for sendto.
    public func write(to storage: inout sockaddr_storage) -> socklen_t {
        if family == AF_INET {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = UInt32(truncatingIfNeeded: high).bigEndian
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin, as: sockaddr_in.self) }
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        sin6.sin6_port = port.bigEndian
        withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
            raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin6, as: sockaddr_in6.self) }
        return socklen_t(MemoryLayout<sockaddr_in6>.size)
    }
}

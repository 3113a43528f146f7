import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A non-blocking UDP socket bound to one local address. The owner closes it explicitly.
///
/// Thread use: the forwarding thread that owns it calls receive and send.
public final class UDPSocket {
    public let fd: Int32
    public let localAddress: PeerAddress
    private var closed = false

    /// Binds a UDP socket to `address` (port 0 picks a free port).
    /// With `reusePort`, several sockets may bind the same address (SO_REUSEPORT) and the
    /// kernel spreads peers over them by a hash of the 4-tuple.
    public init(
        bind address: PeerAddress, receiveBufferBytes: Int32 = 4 << 20, reusePort: Bool = false
    ) throws {
        let fd = socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError(call: "socket", errno: errno) }
        var size = receiveBufferBytes
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        if reusePort && whoot_set_reuseport(fd) != 0 {
            let code = errno
            Glibc.close(fd)
            throw SystemError(call: "setsockopt SO_REUSEPORT", errno: code)
        }
        var storage = sockaddr_storage()
        let length = address.write(to: &storage)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SystemError(call: "bind \(address)", errno: code)
        }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &actualLength)
            }
        }
        self.fd = fd
        self.localAddress = PeerAddress(storage: actual) ?? address
    }

    /// Receives one datagram into `buffer`; returns its length and sender.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws
        -> IOResult<(Int, PeerAddress)>
    {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try syscall("recvfrom") {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, buffer.baseAddress, buffer.count, 0, $0, &length)
                }
            }
        }
        switch result {
        case .wouldBlock:
            return .wouldBlock
        case .done(let count):
            guard let peer = PeerAddress(storage: storage) else { return .wouldBlock }
            return .done((count, peer))
        }
    }

    /// Sends one datagram. A full send buffer drops the datagram (returns `.wouldBlock`):
    /// real-time audio is better lost than late.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to peer: PeerAddress) throws
        -> IOResult<Int>
    {
        var storage = sockaddr_storage()
        let length = peer.write(to: &storage)
        return try syscall("sendto") {
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, length)
                }
            }
        }
    }

    /// Waits up to `timeoutMs` for the socket to become readable.
    public func waitReadable(timeoutMs: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, timeoutMs) > 0
    }

    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    deinit { close() }
}

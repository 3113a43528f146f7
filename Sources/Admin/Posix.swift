import Glibc

/// A failed system call: its name, errno, and what we were doing.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let call: String
    public let errno: Int32
    public let context: String

    public var description: String {
        "\(context): \(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The one helper through which the admin socket code makes system calls.
enum Posix {
    /// Runs `body`, retrying on EINTR; throws `SystemError` when it returns -1.
    @discardableResult
    static func call<T: BinaryInteger>(
        _ name: String, _ context: @autoclosure () -> String, _ body: () -> T
    ) throws -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemError(call: name, errno: code, context: context())
        }
    }

    /// Writes all of `bytes` to a socket; never raises SIGPIPE.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = try bytes.withUnsafeBytes { raw in
                try call("send", "admin socket write") {
                    send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                }
            }
            offset += sent
        }
    }

    /// Reads up to `capacity` bytes; an empty array means the peer closed.
    static func receive(_ fd: Int32, capacity: Int = 4_096) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let count = try buffer.withUnsafeMutableBytes { raw in
            try call("recv", "admin socket read") { recv(fd, raw.baseAddress, raw.count, 0) }
        }
        return Array(buffer[0..<count])
    }
}

/// Unix-domain stream sockets by path.
enum UnixSocket {
    /// Longest socket path the kernel accepts (sun_path minus its terminating NUL).
    static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    static func address(_ path: String) throws -> sockaddr_un {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maxPathBytes, !bytes.contains(0) else {
            throw AdminError.badRequest(
                "socket path must be 1 to \(maxPathBytes) bytes: \(path)")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return address
    }

    static func makeSocket(context: String) throws -> Int32 {
        try Posix.call("socket", context) {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    /// A socket connected to `path`.
    static func connect(path: String) throws -> Int32 {
        var address = try address(path)
        let fd = try makeSocket(context: "connect to \(path)")
        do {
            try Posix.call("connect", "connect to \(path)") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// A listening socket bound at `path`.
    static func listen(path: String, backlog: Int32) throws -> Int32 {
        var address = try address(path)
        let fd = try makeSocket(context: "listen on \(path)")
        do {
            try Posix.call("bind", "bind \(path)") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }
            try Posix.call("listen", "listen on \(path)") { Glibc.listen(fd, backlog) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }
}

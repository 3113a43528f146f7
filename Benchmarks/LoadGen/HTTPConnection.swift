import Foundation

/// A blocking HTTP/1.1 client on one keep-alive TCP connection to 127.0.0.1:`port`, enough
/// for Janus's REST transport (Content-Length or chunked bodies). One thread at a time.
final class HTTPConnection {
    private let port: UInt16
    private var fd: Int32 = -1
    private var pending: [UInt8] = []

    init(port: UInt16) { self.port = port }

    deinit { if fd >= 0 { close(fd) } }

    /// Sends a request and returns the response body; throws on a status other than 2xx.
    func request(_ method: String, _ path: String, body: [UInt8] = []) throws -> [UInt8] {
        if fd < 0 { try connect() }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        do {
            try write(Array(head.utf8) + body)
            return try readResponse()
        } catch {
            // The server may have closed a kept-alive connection: retry once on a new one.
            close(fd)
            fd = -1
            pending = []
            try connect()
            try write(Array(head.utf8) + body)
            return try readResponse()
        }
    }

    private func connect() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoadGenError("socket failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            fd = -1
            throw LoadGenError("connect to 127.0.0.1:\(port) failed: errno \(code)")
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw LoadGenError("HTTP send failed: errno \(errno)") }
            offset += written
        }
    }

    /// More bytes from the socket into `pending`; throws at end of stream.
    private func fill() throws {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 && errno == EINTR { return }
        guard count > 0 else { throw LoadGenError("HTTP connection closed (errno \(errno))") }
        pending += buffer[0..<count]
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while pending.count < count { try fill() }
        let bytes = Array(pending[0..<count])
        pending.removeFirst(count)
        return bytes
    }

    private func line() throws -> String {
        while true {
            if let end = pending.indices.dropLast().first(where: {
                pending[$0] == 13 && pending[$0 + 1] == 10
            }) {
                let text = String(decoding: pending[0..<end], as: UTF8.self)
                pending.removeFirst(end + 2)
                return text
            }
            try fill()
        }
    }

    private func readResponse() throws -> [UInt8] {
        let status = try line()
        let code = status.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var length: Int?
        var chunked = false
        while true {
            let header = try line()
            if header.isEmpty { break }
            let lower = header.lowercased()
            if lower.hasPrefix("content-length:") {
                length = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces))
            }
            if lower.hasPrefix("transfer-encoding:") && lower.contains("chunked") {
                chunked = true
            }
        }
        var body: [UInt8] = []
        if chunked {
            while true {
                let size = Int(try line().split(separator: ";")[0], radix: 16) ?? 0
                if size == 0 {
                    _ = try line()
                    break
                }
                body += try take(size)
                _ = try line()
            }
        } else {
            body = try take(length ?? 0)
        }
        guard (200..<300).contains(code) else {
            throw LoadGenError("HTTP \(code): \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        return body
    }
}

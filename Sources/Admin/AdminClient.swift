import Glibc

/// Why an admin call failed: the daemon refused it (`daemon`), or we could not talk to it.
public enum AdminClientError: Error, Equatable, CustomStringConvertible {
    /// The daemon's one-line error, and its status-like code when it gave one.
    case daemon(message: String, status: Int?)
    case transport(String)
    case badResponse(String)

    public var description: String {
        switch self {
        case .daemon(let message, _): return message
        case .transport(let message): return message
        case .badResponse(let message): return "unexpected response from whootd: \(message)"
        }
    }
}

/// The client side of the admin protocol: one connection, one request at a time.
/// Not thread-safe; use one client per thread.
public final class AdminClient {
    public let socketPath: String
    private let fd: Int32
    private var reader = LineReader(limit: 16 * 1_048_576)
    private var nextID: Int64 = 1

    /// Connects to the daemon's admin socket at `socketPath`.
    public init(socketPath: String) throws {
        self.socketPath = socketPath
        do {
            fd = try UnixSocket.connect(path: socketPath)
        } catch let error as SystemError {
            throw AdminClientError.transport(
                "cannot reach whootd at \(socketPath): \(String(cString: strerror(error.errno)))")
        }
    }

    deinit { close(fd) }

    /// Runs `command` and returns its `result`; throws `.daemon` with the daemon's error.
    public func call(_ command: String, _ args: [String: JSONValue] = [:]) throws -> JSONValue {
        let id = nextID
        nextID += 1
        let request: JSONValue = ["id": .int(id), "command": .string(command),
                                  "args": .object(args)]
        let response = try exchange(request.encoded())

        // A refusal sent before the daemon read our line (too many connections, not
        // permitted) carries a null id; it still answers this request.
        let refusal = response["id"] == .null && response["ok"] == .bool(false)
        guard response["id"] == .int(id) || refusal else {
            throw AdminClientError.badResponse("response id does not match request \(id)")
        }
        switch response["ok"] {
        case .bool(true)?:
            return response["result"] ?? .null
        case .bool(false)?:
            let message = response["error"]?.stringValue ?? "request failed"
            throw AdminClientError.daemon(
                message: message, status: response["status"]?.intValue.map { Int($0) })
        default:
            throw AdminClientError.badResponse("no \"ok\" field")
        }
    }

    /// Sends one raw line (a newline is appended) and returns the whole response object.
    /// For tests and debugging.
    public func exchange(_ line: [UInt8]) throws -> JSONValue {
        do {
            do {
                try Posix.sendAll(fd, line + [0x0A])
            } catch {
                // The daemon may have refused the connection (too many, not permitted)
                // and closed it before reading: its one reason line is still waiting.
                if let refusal = try? Posix.receive(fd, capacity: 65_536),
                    case .line(let reason)? = reader.feed(refusal).first,
                    let parsed = try? JSONValue.parse(reason)
                {
                    return parsed
                }
                throw error
            }
            while true {
                let bytes = try Posix.receive(fd, capacity: 65_536)
                guard !bytes.isEmpty else {
                    throw AdminClientError.transport("whootd closed the admin connection")
                }
                for event in reader.feed(bytes) {
                    guard case .line(let responseLine) = event else {
                        throw AdminClientError.badResponse("response line too long")
                    }
                    return try JSONValue.parse(responseLine)
                }
            }
        } catch let error as SystemError {
            throw AdminClientError.transport("admin socket \(socketPath): \(error)")
        } catch is AdminError {
            throw AdminClientError.badResponse("response is not JSON")
        }
    }
}

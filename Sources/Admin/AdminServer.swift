import CLinux
import Control
import Crypto
import Foundation
import Glibc

/// The admin socket: a Unix stream socket speaking JSON lines, one request and one response
/// per line (see `AdminRequest`). The peer's uid is checked with SO_PEERCRED on connect.
///
/// Threading: one thread accepts; each accepted connection is served by its own thread
/// (at most `maxConnections`). `register` may be called from any thread, before or after
/// `start`. Handlers run on connection threads and must be thread-safe.
public final class AdminServer {
    public struct Configuration: Sendable {
        /// Where the socket lives; its directory is created with mode 0750 if missing.
        public var socketPath: String
        /// A group whose members may connect, besides root and the daemon's user.
        public var adminGroup: UInt32?
        /// Longest request line, in bytes.
        public var maxLineBytes: Int
        /// Connections served at once; more are answered with an error and closed.
        public var maxConnections: Int
        /// A connection that sends nothing, or reads none of its answers, for this long is
        /// closed, so idle or stuck clients cannot hold every connection slot (seconds).
        public var idleTimeoutSeconds: Int

        public init(
            socketPath: String, adminGroup: UInt32? = nil, maxLineBytes: Int = 65_536,
            maxConnections: Int = 16, idleTimeoutSeconds: Int = 60
        ) {
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.socketPath = socketPath
            self.adminGroup = adminGroup
            self.maxLineBytes = maxLineBytes
            self.maxConnections = maxConnections
        }
    }

    public typealias Handler = (AdminRequest) throws -> JSONValue

    public let configuration: Configuration
    let control: ControlPlane
    private let policy: PeerPolicy

    private let lock = NSLock()
    private var handlers: [String: Handler] = [:]
    private var connections: Set<Int32> = []
    private var lastConnectionID: UInt64 = 0
    private var closeHandlers: [@Sendable (UInt64) -> Void] = []
    private var listener: Int32 = -1
    private var wakePipe: (read: Int32, write: Int32) = (-1, -1)
    private var acceptThread: Thread?
    private let acceptExited = DispatchSemaphore(value: 0)

    public init(configuration: Configuration, control: ControlPlane) {
        self.configuration = configuration
        self.control = control
        self.policy = PeerPolicy(daemonUID: getuid(), adminGroup: configuration.adminGroup)
        registerBuiltInCommands()
    }

    deinit { stop() }

    /// Adds or replaces a command. The handler's result becomes the response's `result`;
    /// what it throws becomes the response's `error` line.
    public func register(_ command: String, handler: @escaping Handler) {
        lock.lock()
        handlers[command] = handler
        lock.unlock()
    }

    /// Adds a handler called with a connection's id (`AdminRequest.connection`) after the
    /// connection closed, on its thread; for state a connection holds between requests.
    public func onConnectionClosed(_ handler: @escaping @Sendable (UInt64) -> Void) {
        lock.lock()
        closeHandlers.append(handler)
        lock.unlock()
    }

    /// The registered command names, sorted.
    public var commands: [String] {
        lock.lock()
        defer { lock.unlock() }
        return handlers.keys.sorted()
    }

    /// Creates the socket (replacing a stale one) and starts the accepting thread.
    public func start() throws {
        let path = configuration.socketPath
        try SocketFile.prepare(path: path)
        let fd = try UnixSocket.listen(path: path, backlog: 16)
        do {
            try SocketFile.restrict(path: path, group: configuration.adminGroup)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }

        var pipeFDs: [Int32] = [0, 0]
        try Posix.call("pipe2", "admin socket wake pipe") { whoot_pipe_cloexec(&pipeFDs) }
        let wakeRead = pipeFDs[0]
        lock.lock()
        listener = fd
        wakePipe = (pipeFDs[0], pipeFDs[1])
        lock.unlock()

        let thread = Thread { [unowned self] in
            self.acceptLoop(listener: fd, wake: wakeRead)
            self.acceptExited.signal()
        }
        thread.name = "whoot-admin-accept"
        acceptThread = thread
        thread.start()
    }

    /// Stops accepting, closes open connections and removes the socket file. Idempotent.
    public func stop() {
        lock.lock()
        let fd = listener
        let wake = wakePipe
        listener = -1
        wakePipe = (-1, -1)
        for connection in connections { shutdown(connection, Int32(SHUT_RDWR)) }
        lock.unlock()
        guard fd >= 0 else { return }

        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        acceptExited.wait()
        close(fd)
        close(wake.read)
        close(wake.write)
        unlink(configuration.socketPath)
    }

    private func acceptLoop(listener: Int32, wake: Int32) {
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            guard (try? Posix.call("poll", "admin accept") { poll(&fds, 2, -1) }) != nil else {
                return
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            guard let fd = try? Posix.call("accept4", "admin accept", {
                whoot_accept_cloexec(listener)
            }) else { continue }
            admit(fd)
        }
    }

    private func admit(_ fd: Int32) {
        let peer: PeerCredentials
        do {
            peer = try PeerPolicy.credentials(of: fd)
        } catch {
            close(fd)
            return
        }
        guard policy.allows(peer) else {
            refuse(fd, AdminError.permissionDenied(uid: peer.uid))
            return
        }

        lock.lock()
        let full = connections.count >= configuration.maxConnections
        if !full { connections.insert(fd) }
        lastConnectionID += 1
        let id = lastConnectionID
        lock.unlock()
        guard !full else {
            refuse(fd, AdminError.badRequest("too many admin connections; try again"))
            return
        }

        // Reading waits at most the idle timeout for a request, and writing at most as
        // long for room in a client's buffer: a client that never reads its answers is
        // closed too.
        var timeout = timeval(tv_sec: configuration.idleTimeoutSeconds, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            _ = setsockopt(fd, SOL_SOCKET, option, &timeout,
                           socklen_t(MemoryLayout<timeval>.size))
        }
        let thread = Thread { [self] in
            serve(fd, peer: peer, connection: id)
            lock.lock()
            connections.remove(fd)
            let handlers = closeHandlers
            lock.unlock()
            close(fd)
            for handler in handlers { handler(id) }
        }
        thread.name = "whoot-admin-conn"
        thread.start()
    }

    private func refuse(_ fd: Int32, _ error: Error) {
        try? Posix.sendAll(fd, AdminResponse.failure(id: .null, error: error))
        close(fd)
    }

    private func serve(_ fd: Int32, peer: PeerCredentials, connection: UInt64) {
        var reader = LineReader(limit: configuration.maxLineBytes)
        while true {
            guard let bytes = try? Posix.receive(fd), !bytes.isEmpty else { return }
            for event in reader.feed(bytes) {
                let response: [UInt8]
                switch event {
                case .line(let line):
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    response = respond(to: line, peer: peer, connection: connection)
                case .tooLong:
                    let limit = configuration.maxLineBytes
                    response = AdminResponse.failure(
                        id: .null,
                        error: AdminError.badRequest("request line longer than \(limit) bytes"))
                }
                guard (try? Posix.sendAll(fd, response)) != nil else { return }
            }
        }
    }

    /// Parses and runs one request line; always returns one response line.
    func respond(to line: [UInt8], peer: PeerCredentials, connection: UInt64 = 0) -> [UInt8] {
        let requestID = "adm-" + Hex.encode(SecureRandom.bytes(6))
        let request: AdminRequest
        do {
            request = try AdminRequest(
                line: line, peer: peer, requestID: requestID, connection: connection)
        } catch {
            return AdminResponse.failure(id: Self.salvageID(line), error: error)
        }

        lock.lock()
        let handler = handlers[request.command]
        lock.unlock()
        do {
            guard let handler else { throw AdminError.unknownCommand(request.command) }
            return AdminResponse.success(id: request.id, result: try handler(request))
        } catch {
            return AdminResponse.failure(id: request.id, error: error)
        }
    }

    /// The id of a request that failed validation, if the line was a JSON object with one.
    private static func salvageID(_ line: [UInt8]) -> JSONValue {
        (try? JSONValue.parse(line))?["id"] ?? .null
    }
}

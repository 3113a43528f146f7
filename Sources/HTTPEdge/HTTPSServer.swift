import Foundation

/// The HTTPS listener of whootd, built on libmicrohttpd with GnuTLS (TLS 1.2 and 1.3).
///
/// The handler runs on libmicrohttpd's worker threads, several requests at once, so it must
/// be thread-safe; it should answer quickly (it holds a worker while it runs). The server
/// owns its daemon: `stop()` and deinit stop it and close the listening socket.
public final class HTTPSServer: @unchecked Sendable {
    private let configuration: HTTPSConfiguration
    private let context: CallbackContext
    private let lock = NSLock()
    private var daemon: MHDDaemon?
    /// Daemons replaced by a certificate reload, finishing their open connections.
    private var retiring: [ObjectIdentifier: MHDDaemon] = [:]
    private var port: UInt16 = 0
    /// Cuts connections whose request head is overdue (see `ConnectionActivity`).
    private var sweeper: DispatchSourceTimer?

    public init(
        configuration: HTTPSConfiguration,
        handler: @escaping (HTTPRequest) -> HTTPResponse
    ) {
        self.configuration = configuration
        context = CallbackContext(
            handler: handler,
            maxBodyBytes: configuration.maxBodyBytes,
            diagnostics: configuration.diagnostics,
            connectionTimeoutSeconds: configuration.connectionTimeoutSeconds,
            maxConnections: configuration.maxConnections,
            limitCounters: configuration.limitCounters)
    }

    deinit {
        stop()
    }

    /// The port the server listens on (the kernel's choice when configured with 0); 0 while
    /// the server is not running.
    public var boundPort: UInt16 {
        lock.withLock { daemon == nil ? 0 : port }
    }

    /// Binds the listening socket and starts the worker threads. Throws
    /// `HTTPSServerError` naming host:port and errno when binding fails, or libmicrohttpd's
    /// reason when the certificate, key or TLS priorities are rejected.
    public func start() throws {
        try lock.withLock {
            guard daemon == nil else {
                throw HTTPSServerError(.alreadyRunning, "HTTPS server is already running")
            }
            try Self.check(configuration)
            try MHDDaemon.validate(
                certificatePEM: configuration.certificatePEM,
                privateKeyPEM: configuration.privateKeyPEM,
                priorities: configuration.tlsPriorities)

            let fd = try ListenSocket.open(host: configuration.host, port: configuration.port)
            let started: MHDDaemon
            do {
                started = try MHDDaemon(
                    listenSocket: fd, configuration: configuration,
                    certificatePEM: configuration.certificatePEM,
                    privateKeyPEM: configuration.privateKeyPEM, context: context)
            } catch {
                ListenSocket.closeIfOpen(fd)
                throw error
            }
            let reported = started.port
            port = reported != 0 ? reported : ListenSocket.localPort(fd)
            daemon = started
            sweeper = startSweeper()
        }
    }

    /// A timer that, four times a second, shuts down connections that have waited longer
    /// than the connection timeout for a request head. None when the timeout is off.
    private func startSweeper() -> DispatchSourceTimer? {
        let timeout = Double(configuration.connectionTimeoutSeconds)
        guard timeout > 0 else { return nil }
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        let activity = context.activity
        timer.setEventHandler {
            activity.cutStalled(now: ConnectionActivity.now(), timeout: timeout)
        }
        timer.schedule(deadline: .now() + 0.25, repeating: 0.25, leeway: .milliseconds(50))
        timer.resume()
        return timer
    }

    /// Stops accepting, drops open connections, joins the worker threads and closes the
    /// listening socket. When it returns the handler is no longer running. Idempotent.
    public func stop() {
        let (current, old) = lock.withLock {
            defer {
                daemon = nil
                retiring = [:]
                sweeper?.cancel()
                sweeper = nil
            }
            return (daemon, Array(retiring.values))
        }
        for draining in old {
            draining.stop()
        }
        current?.stop()
    }

    /// Serves new connections with another certificate without closing the port.
    ///
    /// The new pair is checked first; a rejected pair throws and leaves the server as it
    /// was. Then the running daemon stops accepting (`MHD_quiesce_daemon`), a new daemon
    /// takes over the same listening socket, and the old one finishes its open connections
    /// (under the old certificate) for up to `connectionTimeoutSeconds` + 1 s before it is
    /// stopped in the background.
    public func reloadCertificate(certificatePEM: String, privateKeyPEM: String) throws {
        try MHDDaemon.validate(
            certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM,
            priorities: configuration.tlsPriorities)

        try lock.withLock {
            guard let old = daemon else {
                throw HTTPSServerError(.notRunning, "HTTPS server is not running")
            }
            guard let fd = old.quiesce() else {
                throw HTTPSServerError(
                    .daemonStartFailed, "could not take over the listening socket to reload")
            }
            do {
                daemon = try MHDDaemon(
                    listenSocket: fd, configuration: configuration,
                    certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM,
                    context: context)
            } catch {
                // The old daemon no longer accepts; without a successor the port is dead.
                ListenSocket.closeIfOpen(fd)
                daemon = nil
                old.stop()
                throw error
            }
            retire(old)
        }
    }

    /// Lets `old` finish its connections on a background thread, then stops it.
    /// Called with `lock` held.
    private func retire(_ old: MHDDaemon) {
        let key = ObjectIdentifier(old)
        retiring[key] = old
        let grace = TimeInterval(configuration.connectionTimeoutSeconds + 1)

        Thread.detachNewThread { [weak self] in
            let deadline = Date().addingTimeInterval(grace)
            while old.connectionCount > 0, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
            }
            old.stop()
            self?.lock.withLock { _ = self?.retiring.removeValue(forKey: key) }
        }
    }

    private static func check(_ configuration: HTTPSConfiguration) throws {
        let problem: String?
        if configuration.maxBodyBytes < 0 {
            problem = "maxBodyBytes must not be negative"
        } else if configuration.threadPoolSize < 1 {
            problem = "threadPoolSize must be at least 1"
        } else if configuration.maxConnections < configuration.threadPoolSize {
            problem = "maxConnections must be at least threadPoolSize"
        } else if configuration.perIPConnectionLimit < 0 {
            problem = "perIPConnectionLimit must not be negative"
        } else if !(1...86_400).contains(configuration.connectionTimeoutSeconds) {
            problem = "connectionTimeoutSeconds must be between 1 and 86400"
        } else {
            problem = nil
        }
        if let problem {
            throw HTTPSServerError(.invalidConfiguration, "HTTPS configuration: " + problem)
        }
    }
}

/// Settings of an `HTTPSServer`, fixed when the server is created.
public struct HTTPSConfiguration {
    /// The address to listen on: an IPv4 or IPv6 literal (`0.0.0.0`, `::`, `127.0.0.1`).
    /// `::` listens dual-stack, accepting IPv4 peers too.
    public var host: String

    /// The TCP port; 0 asks the kernel for a free one (read it back from `boundPort`).
    public var port: UInt16

    /// The server certificate chain, PEM, leaf first.
    public var certificatePEM: String

    /// The private key matching `certificatePEM`, PEM. Copied into memory owned by the
    /// daemon and wiped when the daemon stops; never logged.
    public var privateKeyPEM: String

    /// The largest request body accepted, bytes. Larger bodies are answered 413.
    public var maxBodyBytes: Int

    /// The most connections held open at once across all worker threads.
    public var maxConnections: Int

    /// The most connections one client IP address may hold open at once; 0 means no limit.
    public var perIPConnectionLimit: Int

    /// Seconds a connection may stay idle (including a client that never finishes its TLS
    /// handshake or request) before it is closed.
    public var connectionTimeoutSeconds: Int

    /// Worker threads that run TLS, parsing and the handler.
    public var threadPoolSize: Int

    /// GnuTLS priority string: TLS 1.3 and 1.2 only.
    public var tlsPriorities: String

    /// Receives libmicrohttpd's diagnostic messages (TLS handshake failures, resource
    /// limits), on its worker threads. Messages carry no key material. Nil drops them.
    public var diagnostics: (@Sendable (String) -> Void)?

    /// Counts the times each limit above was hit.
    public var limitCounters: HTTPLimitCounters

    public init(
        host: String,
        port: UInt16,
        certificatePEM: String,
        privateKeyPEM: String,
        maxBodyBytes: Int = 64 * 1024,
        maxConnections: Int = 1000,
        perIPConnectionLimit: Int = 100,
        connectionTimeoutSeconds: Int = 30,
        threadPoolSize: Int = 4,
        tlsPriorities: String = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
        diagnostics: (@Sendable (String) -> Void)? = nil,
        limitCounters: HTTPLimitCounters = HTTPLimitCounters()
    ) {
        self.host = host
        self.port = port
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.perIPConnectionLimit = perIPConnectionLimit
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.threadPoolSize = threadPoolSize
        self.tlsPriorities = tlsPriorities
        self.diagnostics = diagnostics
        self.limitCounters = limitCounters
    }
}

/// Why an `HTTPSServer` operation failed. `description` is one line fit for an operator.
public struct HTTPSServerError: Error, CustomStringConvertible, Equatable {
    public enum Code: Equatable, Sendable {
        /// A configuration value is out of range (host not an IP literal, zero limits).
        case invalidConfiguration
        /// Creating, binding or listening on the socket failed; `errno` says why.
        case bindFailed
        /// libmicrohttpd refused to start (bad certificate or key, bad TLS priorities).
        case daemonStartFailed
        /// The server is not running (never started, or stopped).
        case notRunning
        /// `start()` was called on a server that is already running.
        case alreadyRunning
    }

    public var code: Code
    public var message: String
    /// The errno of the failed system call, if one failed.
    public var errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { message }
}

/// Printing or dumping a configuration never shows the certificate or the key.
extension HTTPSConfiguration: CustomStringConvertible, CustomReflectable {
    public var description: String {
        "HTTPSConfiguration(\(ListenSocket.display(host: host, port: port)), "
            + "maxBodyBytes: \(maxBodyBytes), maxConnections: \(maxConnections), "
            + "perIPConnectionLimit: \(perIPConnectionLimit), "
            + "connectionTimeoutSeconds: \(connectionTimeoutSeconds), "
            + "threadPoolSize: \(threadPoolSize), privateKeyPEM: <redacted>)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description])
    }
}

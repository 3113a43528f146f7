import CMicroHTTPD
import Foundation

/// Owns one running `MHD_Daemon` and the C copies of the certificate, key and TLS
/// priorities it was started with.
///
/// `stop()` (or deinit) stops the daemon, which closes its listening socket unless the
/// daemon was quiesced, then wipes and frees the string copies. Safe to call from any
/// thread; stopping twice does nothing.
final class MHDDaemon: @unchecked Sendable {
    private let lock = NSLock()
    private var handle: OpaquePointer?
    private var strings: [UnsafeMutablePointer<CChar>]
    /// Retained so that callbacks stay valid until the daemon has stopped.
    let context: CallbackContext

    /// Starts a TLS daemon serving `listenSocket`, which it owns from then on. If the start
    /// fails, libmicrohttpd may or may not have closed the socket; see
    /// `ListenSocket.closeIfOpen`.
    init(
        listenSocket: Int32, configuration: HTTPSConfiguration,
        certificatePEM: String, privateKeyPEM: String, context: CallbackContext
    ) throws {
        self.context = context
        let certificate = strdup(certificatePEM)!
        let key = strdup(privateKeyPEM)!
        let priorities = strdup(configuration.tlsPriorities)!
        strings = [certificate, key, priorities]

        // poll(2), not epoll: libmicrohttpd 0.9.75 aborts the process when a reload's
        // MHD_quiesce_daemon and a worker's epoll loop both take the listening socket out
        // of the epoll set (daemon.c, "Failed to remove listen FD from epoll set"). The
        // poll loop only reads the quiesced flag. TLSTests reloads under load to show it.
        let flags = MHD_USE_ERROR_LOG.rawValue | MHD_USE_INTERNAL_POLLING_THREAD.rawValue
            | MHD_USE_POLL.rawValue | MHD_USE_TLS.rawValue | MHD_USE_ITC.rawValue
        var options = Self.commonOptions(context, certificate, key, priorities)
        options += [
            Self.item(.LISTEN_SOCKET, Int(listenSocket)),
            Self.item(.CONNECTION_LIMIT, configuration.maxConnections),
            Self.item(.PER_IP_CONNECTION_LIMIT, configuration.perIPConnectionLimit),
            Self.item(.CONNECTION_TIMEOUT, configuration.connectionTimeoutSeconds),
            Self.item(
                .NOTIFY_COMPLETED,
                unsafeBitCast(MHDCallbacks.completed, to: Int.self), context.opaque),
            Self.item(
                .NOTIFY_CONNECTION,
                unsafeBitCast(MHDCallbacks.connection, to: Int.self), context.opaque),
        ]
        if configuration.threadPoolSize > 1 {
            options.append(Self.item(.THREAD_POOL_SIZE, configuration.threadPoolSize))
        }
        options.append(Self.item(.END, 0))

        _ = context.takeRecentMessages()
        handle = whoot_mhd_start(flags, MHDCallbacks.access, context.opaque, options)
        guard handle != nil else {
            Self.wipe(strings)
            strings = []
            throw HTTPSServerError(
                .daemonStartFailed,
                "libmicrohttpd did not start: "
                    + (context.takeRecentMessages() ?? "no reason given"))
        }
    }

    deinit {
        stop()
    }

    /// The port the daemon listens on, as libmicrohttpd reports it; 0 once stopped.
    var port: UInt16 {
        lock.withLock { handle.map(whoot_mhd_bind_port) ?? 0 }
    }

    /// Open connections, summed over the worker threads; 0 once stopped.
    var connectionCount: Int {
        lock.withLock { handle.map { Int(whoot_mhd_current_connections($0)) } ?? 0 }
    }

    /// Stops accepting new connections while existing ones continue, and returns the
    /// listening socket, which the caller then owns (it must outlive this daemon's
    /// threads, so hand it to a new daemon rather than closing it before `stop()`).
    func quiesce() -> Int32? {
        lock.withLock {
            guard let handle else { return nil }
            let fd = MHD_quiesce_daemon(handle)
            return fd >= 0 ? fd : nil
        }
    }

    /// Stops the daemon: joins its threads and drops every connection it still holds.
    /// A second caller waits until the first has finished stopping.
    func stop() {
        lock.withLock {
            guard let stopping = handle else { return }
            MHD_stop_daemon(stopping)
            handle = nil
            Self.wipe(strings)
            strings = []
        }
    }

    /// Checks that GnuTLS accepts the certificate, key and priorities by starting (and at
    /// once stopping) a daemon that has no socket and no threads.
    static func validate(
        certificatePEM: String, privateKeyPEM: String, priorities: String
    ) throws {
        let context = CallbackContext(
            handler: { _ in .error(500, "unused") }, maxBodyBytes: 0, diagnostics: nil)
        let copies = [strdup(certificatePEM)!, strdup(privateKeyPEM)!, strdup(priorities)!]
        defer { wipe(copies) }

        var options = commonOptions(context, copies[0], copies[1], copies[2])
        options.append(item(.END, 0))
        let flags = MHD_USE_ERROR_LOG.rawValue | MHD_USE_TLS.rawValue
            | MHD_USE_NO_LISTEN_SOCKET.rawValue
        let daemon = withExtendedLifetime(context) {
            whoot_mhd_start(flags, MHDCallbacks.access, context.opaque, options)
        }
        guard let daemon else {
            throw HTTPSServerError(
                .daemonStartFailed,
                "TLS certificate, key or priorities rejected: "
                    + (context.takeRecentMessages() ?? "no reason given"))
        }
        MHD_stop_daemon(daemon)
    }

    /// Logger first, so that problems with the later options are reported through it.
    private static func commonOptions(
        _ context: CallbackContext,
        _ certificate: UnsafeMutablePointer<CChar>,
        _ key: UnsafeMutablePointer<CChar>,
        _ priorities: UnsafeMutablePointer<CChar>
    ) -> [MHD_OptionItem] {
        [
            item(
                .EXTERNAL_LOGGER,
                unsafeBitCast(MHDCallbacks.log, to: Int.self), context.opaque),
            item(.HTTPS_MEM_CERT, 0, UnsafeMutableRawPointer(certificate)),
            item(.HTTPS_MEM_KEY, 0, UnsafeMutableRawPointer(key)),
            item(.HTTPS_PRIORITIES, 0, UnsafeMutableRawPointer(priorities)),
            // Strict parsing: 400 for whitespace in a header name (RFC 9112 section 5.1),
            // for spaces in the request target and for HTTP/1.1 without Host.
            item(.STRICT_FOR_CLIENT, 1),
        ]
    }

    private static func item(
        _ option: MHD_OPTION, _ value: Int, _ pointer: UnsafeMutableRawPointer? = nil
    ) -> MHD_OptionItem {
        MHD_OptionItem(option: option, value: value, ptr_value: pointer)
    }

    /// Overwrites each string (the key among them) with zeros before freeing it.
    private static func wipe(_ strings: [UnsafeMutablePointer<CChar>]) {
        for pointer in strings {
            explicit_bzero(pointer, strlen(pointer))
            free(pointer)
        }
    }
}

import COpenSSL

/// One DTLS 1.2 association (RFC 6347) carrying DTLS-SRTP keys (RFC 5764), sans-IO:
/// datagrams go in through `receive`, datagrams to send come back out, and the caller
/// passes `now`.
///
/// Not thread-safe: one owner thread calls every method. Owns an `SSL` (and through it
/// both BIOs); `deinit` frees it.
///
/// Timing caveat: OpenSSL 3.0 keeps its retransmission timer on the wall clock
/// (gettimeofday), which cannot be injected. `nextTimeout()` reports that timer relative
/// to the last `now` seen, and `handleTimeout(now:)` retransmits only once OpenSSL's own
/// timer has expired. With `now` from a monotonic clock the two agree to within a tick.
public final class DTLSEndpoint {
    /// The lifecycle; every change goes through `transition(to:)`.
    enum State: Equatable {
        case idle
        case handshaking
        case connected
        case failed(String)
        case closed
    }

    public let role: DTLSRole
    public let context: DTLSContext
    let ssl: OpaquePointer
    private let incoming: OpaquePointer
    private let link: DTLSLink
    private(set) var state: State = .idle
    private var lastNow = Instant(nanoseconds: 0)

    /// Path MTU assumed for handshake flights, in bytes of DTLS record (no IP/UDP header).
    public static let mtu = 1200

    /// - Parameters:
    ///   - role: client sends the ClientHello; server waits for it.
    ///   - context: the shared `SSL_CTX` for the local certificate.
    ///   - remoteFingerprints: from the remote SDP; the peer certificate must match one.
    ///   - initialRetransmitTimeoutMilliseconds: first handshake retransmission timeout,
    ///     doubled per expiry up to 60 s (RFC 6347 4.2.4.1 suggests 1000).
    public init(
        role: DTLSRole, context: DTLSContext, remoteFingerprints: [CertificateFingerprint],
        initialRetransmitTimeoutMilliseconds: UInt32 = 1000
    ) throws {
        guard !remoteFingerprints.isEmpty else {
            throw CryptoError("creating DTLS endpoint", reason: "no remote fingerprint given")
        }
        guard let ssl = SSL_new(context.context) else { throw CryptoError("SSL_new") }
        guard let incoming = BIO_new(BIO_s_mem()),
            let outgoing = BIO_new(datagramSinkMethod)
        else {
            SSL_free(ssl)
            throw CryptoError("creating DTLS BIOs")
        }
        self.role = role
        self.context = context
        self.ssl = ssl
        self.incoming = incoming
        self.link = DTLSLink(
            expected: remoteFingerprints,
            initialTimeoutMicroseconds: initialRetransmitTimeoutMilliseconds * 1000)

        // An empty read BIO means "try again later", not end of file.
        _ = whoot_BIO_set_mem_eof_return(incoming, -1)
        BIO_set_data(outgoing, Unmanaged.passUnretained(link).toOpaque())
        SSL_set_bio(ssl, incoming, outgoing)
        _ = SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(link).toOpaque())
        DTLS_set_timer_cb(ssl, dtlsTimerCallback)
        _ = whoot_SSL_set_mtu(ssl, DTLSEndpoint.mtu)
        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
    }

    /// Builds a private `DTLSContext`; prefer sharing one context among many endpoints.
    public convenience init(
        role: DTLSRole, certificate: Certificate, remoteFingerprints: [CertificateFingerprint],
        profiles: [SRTPProfile] = SRTPProfile.preferenceOrder
    ) throws {
        let context = try DTLSContext(certificate: certificate, profiles: profiles)
        try self.init(role: role, context: context, remoteFingerprints: remoteFingerprints)
    }

    deinit { SSL_free(ssl) }

    /// True once the handshake finished and the fingerprint matched.
    public var isConnected: Bool { state == .connected }

    /// Starts the handshake: a client returns its ClientHello flight; a server returns
    /// nothing and waits. Calling it again does nothing.
    public func start(now: Instant) -> DTLSOutput {
        lastNow = now
        guard state == .idle else { return DTLSOutput() }

        transition(to: .handshaking)
        guard role == .client else { return DTLSOutput() }
        let event = advanceHandshake()
        return DTLSOutput(datagrams: takeOutgoing(), event: event)
    }

    /// Feeds one received datagram (a whole UDP payload demultiplexed as DTLS, first byte
    /// 20...63 per RFC 7983). Anything else, and records OpenSSL discards, are ignored.
    public func receive(_ datagram: [UInt8], now: Instant) -> DTLSOutput {
        lastNow = now
        guard let first = datagram.first, (20...63).contains(first),
            DTLSEndpoint.recordsAreWellFormed(datagram)
        else { return DTLSOutput() }
        switch state {
        case .failed, .closed: return DTLSOutput()
        case .idle: transition(to: .handshaking)
        case .handshaking, .connected: break
        }

        _ = whoot_BIO_reset(incoming)
        _ = datagram.withUnsafeBytes { BIO_write(incoming, $0.baseAddress, Int32($0.count)) }
        var event: DTLSEvent?
        if state == .handshaking { event = advanceHandshake() }
        if state == .connected, event == nil { event = drainRecords() }
        _ = whoot_BIO_reset(incoming)

        return DTLSOutput(datagrams: takeOutgoing(), event: event)
    }

    /// False if any encrypted record (epoch > 0) is shorter than an AES-GCM explicit nonce
    /// plus tag (8 + 16 bytes, RFC 5288 3). No peer sends such records, and OpenSSL 3.0
    /// leaves the association broken after one (SSL_ERROR_SYSCALL with nothing queued,
    /// then an internal_error alert), so they are dropped before OpenSSL sees them.
    /// Relies on `DTLSContext` offering AES-GCM suites only. Headers: RFC 6347 4.1.
    static func recordsAreWellFormed(_ datagram: [UInt8]) -> Bool {
        let headerLength = 13
        var offset = 0
        while offset + headerLength <= datagram.count {
            let epoch = UInt16(datagram[offset + 3]) << 8 | UInt16(datagram[offset + 4])
            let length = Int(datagram[offset + 11]) << 8 | Int(datagram[offset + 12])
            if epoch != 0 && length < 24 { return false }
            offset += headerLength + length
        }
        return true
    }

    /// When `handleTimeout` should next be called, or nil if no retransmission is pending.
    public func nextTimeout() -> Instant? {
        guard state == .handshaking || state == .connected else { return nil }
        var remaining = timeval()
        guard whoot_DTLSv1_get_timeout(ssl, &remaining) == 1 else { return nil }
        let microseconds = UInt64(remaining.tv_sec) * 1_000_000 + UInt64(remaining.tv_usec)
        return lastNow.adding(microseconds: microseconds)
    }

    /// Retransmits the last flight if its timer has expired. Fails the association once
    /// OpenSSL gives up (after 12 expiries of the doubling timer).
    public func handleTimeout(now: Instant) -> DTLSOutput {
        lastNow = now
        guard state == .handshaking || state == .connected else { return DTLSOutput() }

        ERR_clear_error()
        var event: DTLSEvent?
        if whoot_DTLSv1_handle_timeout(ssl) < 0 {
            event = fail("DTLS handshake timed out: no answer to repeated retransmissions")
        }
        return DTLSOutput(datagrams: takeOutgoing(), event: event)
    }

    /// Sends close_notify and ends the association; later input is ignored.
    public func close(now: Instant) -> DTLSOutput {
        lastNow = now
        guard state == .handshaking || state == .connected else { return DTLSOutput() }

        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
        transition(to: .closed)
        return DTLSOutput(datagrams: takeOutgoing())
    }

    private func advanceHandshake() -> DTLSEvent? {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return completeHandshake() }
        return handleFailure(result, during: "DTLS handshake")
    }

    /// Reads records after the handshake so OpenSSL can answer retransmitted Finished
    /// flights and alerts. WebRTC audio sends no DTLS application data; any is discarded.
    private func drainRecords() -> DTLSEvent? {
        var scratch = [UInt8](repeating: 0, count: 2048)
        while true {
            ERR_clear_error()
            let count = SSL_read(ssl, &scratch, Int32(scratch.count))
            if count > 0 { continue }
            return handleFailure(count, during: "DTLS read")
        }
    }

    /// Maps an OpenSSL result <= 0 to nothing (needs more input), closed or failed.
    private func handleFailure(_ result: Int32, during operation: String) -> DTLSEvent? {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            ERR_clear_error()
            return nil
        case SSL_ERROR_ZERO_RETURN:
            ERR_clear_error()
            transition(to: .closed)
            return .closed
        default:
            if link.fingerprintRejected {
                ERR_clear_error()
                return fail(DTLSEndpoint.fingerprintMismatch)
            }
            var detail = CryptoError.drainOpenSSLQueue()
            if detail == "unknown error" { detail = "fatal error with nothing queued" }
            return fail("\(operation) failed: \(detail)")
        }
    }

    static let fingerprintMismatch = "peer certificate fingerprint does not match the SDP"

    private func completeHandshake() -> DTLSEvent {
        guard let peer = SSL_get1_peer_certificate(ssl) else {
            return fail("DTLS peer presented no certificate")
        }
        defer { X509_free(peer) }
        guard link.matches(peer) else {
            _ = SSL_shutdown(ssl)
            return fail(DTLSEndpoint.fingerprintMismatch)
        }

        do {
            let material = try exportKeyingMaterial()
            transition(to: .connected)
            return .connected(material)
        } catch {
            _ = SSL_shutdown(ssl)
            return fail("\(error)")
        }
    }

    private func fail(_ reason: String) -> DTLSEvent {
        transition(to: .failed(reason))
        return .failed(reason)
    }

    private func takeOutgoing() -> [[UInt8]] {
        let datagrams = link.outgoing
        link.outgoing.removeAll()
        return datagrams
    }

    /// The single place the lifecycle changes. Terminal states are never left.
    private func transition(to next: State) {
        switch state {
        case .failed, .closed: return
        default: state = next
        }
    }
}

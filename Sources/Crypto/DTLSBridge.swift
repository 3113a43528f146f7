import COpenSSL

/// Per-endpoint state that OpenSSL's C callbacks reach through `SSL_get_ex_data(ssl, 0)`
/// and `BIO_get_data`. Owned by the `DTLSEndpoint`; OpenSSL holds it unretained, and the
/// endpoint frees the `SSL` (and with it the BIO) before the link goes away.
final class DTLSLink {
    /// Datagrams OpenSSL wrote since the endpoint last collected them; one write is one
    /// datagram, as on a UDP socket.
    var outgoing: [[UInt8]] = []
    /// The fingerprints from the remote SDP; the peer's leaf certificate must match one.
    let expected: [CertificateFingerprint]
    /// Set when the verify callback rejected the peer certificate for its fingerprint.
    var fingerprintRejected = false
    /// First retransmission timeout in microseconds; doubled on each expiry (RFC 6347
    /// 4.2.4.1) up to `maximumTimeoutMicroseconds`.
    let initialTimeoutMicroseconds: UInt32
    static let maximumTimeoutMicroseconds: UInt32 = 60_000_000

    init(expected: [CertificateFingerprint], initialTimeoutMicroseconds: UInt32) {
        self.expected = expected
        self.initialTimeoutMicroseconds = initialTimeoutMicroseconds
    }

    /// True if `x509`'s digest under any listed hash equals the listed value.
    func matches(_ x509: OpaquePointer) -> Bool {
        expected.contains { fingerprint in
            let actual = Certificate.fingerprint(of: x509, fingerprint.hash)
            return !actual.isEmpty && Digest.constantTimeEqual(actual, fingerprint.bytes)
        }
    }

    static func from(ssl: OpaquePointer?) -> DTLSLink? {
        guard let ssl, let raw = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<DTLSLink>.fromOpaque(raw).takeUnretainedValue()
    }
}

/// A BIO method whose writes are appended, one datagram each, to the link's `outgoing`.
let datagramSinkMethod: OpaquePointer = {
    let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
    guard let method = BIO_meth_new(type, "whoot datagram sink") else {
        fatalError("BIO_meth_new failed: \(CryptoError.drainOpenSSLQueue())")
    }
    _ = BIO_meth_set_create(method) { bio in
        BIO_set_init(bio, 1)
        return 1
    }
    _ = BIO_meth_set_write(method) { bio, data, length in
        guard let raw = BIO_get_data(bio), let data, length >= 0 else { return -1 }
        let link = Unmanaged<DTLSLink>.fromOpaque(raw).takeUnretainedValue()
        let bytes = UnsafeRawBufferPointer(start: data, count: Int(length))
        link.outgoing.append(Array(bytes))
        return length
    }
    _ = BIO_meth_set_ctrl(method) { _, command, _, _ in
        // Flush must succeed or the handshake stalls; every datagram query (MTU, peer,
        // pending bytes) has no answer here, which OpenSSL reads as "unknown".
        command == BIO_CTRL_FLUSH ? 1 : 0
    }
    return method
}()

/// Accepts any chain (WebRTC certificates are self-signed) but requires the leaf to match
/// the SDP fingerprint; a mismatch makes OpenSSL fail the handshake with bad_certificate.
let dtlsVerifyCallback: @convention(c) (Int32, OpaquePointer?) -> Int32 = { _, store in
    guard let store else { return 0 }
    guard X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }

    let index = SSL_get_ex_data_X509_STORE_CTX_idx()
    guard let ssl = X509_STORE_CTX_get_ex_data(store, index),
        let link = DTLSLink.from(ssl: OpaquePointer(ssl)),
        let leaf = X509_STORE_CTX_get_current_cert(store)
    else { return 0 }

    if link.matches(leaf) { return 1 }
    link.fingerprintRejected = true
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
    return 0
}

/// OpenSSL asks this for the next retransmission timeout, in microseconds, given the last
/// one (0 when a new flight starts).
let dtlsTimerCallback: @convention(c) (OpaquePointer?, UInt32) -> UInt32 = { ssl, previous in
    let initial = DTLSLink.from(ssl: ssl)?.initialTimeoutMicroseconds ?? 1_000_000
    guard previous > 0 else { return initial }
    let maximum = DTLSLink.maximumTimeoutMicroseconds
    return previous >= maximum / 2 ? maximum : previous * 2
}

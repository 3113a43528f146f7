import COpenSSL

/// The shared DTLS configuration for one local certificate: an `SSL_CTX` set up for
/// DTLS 1.2 only, ECDHE-ECDSA suites, DTLS-SRTP, and a mandatory peer certificate that is
/// checked against the SDP fingerprint instead of a CA.
///
/// Owns the `SSL_CTX`; `deinit` frees it (endpoints hold their own reference inside
/// OpenSSL, so they outlive it safely). Not modified after `init`, so many endpoints on
/// any threads may share one.
public final class DTLSContext: @unchecked Sendable {
    let context: OpaquePointer
    /// The local identity every endpoint of this context presents.
    public let certificate: Certificate
    /// The SRTP profiles offered (client) or accepted (server), most preferred first.
    public let profiles: [SRTPProfile]

    /// ECDHE with ECDSA and AES-GCM only; every browser offers these for DTLS 1.2.
    /// `DTLSEndpoint.recordsAreWellFormed` relies on every suite being AES-GCM.
    static let cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"

    public init(
        certificate: Certificate, profiles: [SRTPProfile] = SRTPProfile.preferenceOrder
    ) throws {
        guard !profiles.isEmpty else {
            throw CryptoError("creating DTLS context", reason: "no SRTP profile given")
        }
        guard let context = SSL_CTX_new(DTLS_method()) else {
            throw CryptoError("SSL_CTX_new(DTLS_method)")
        }
        self.context = context
        self.certificate = certificate
        self.profiles = profiles

        try configure(profiles)
    }

    deinit { SSL_CTX_free(context) }

    private func configure(_ profiles: [SRTPProfile]) throws {
        let version = whoot_DTLS_VERSION()
        try Certificate.check(
            whoot_SSL_CTX_set_min_proto_version(context, version), "setting DTLS 1.2 minimum")
        try Certificate.check(
            whoot_SSL_CTX_set_max_proto_version(context, version), "setting DTLS 1.2 maximum")
        _ = whoot_SSL_CTX_set_options(
            context, whoot_SSL_OP_NO_QUERY_MTU() | whoot_SSL_OP_NO_TICKET())
        // Read and write buffers (about 34 KiB a connection) are freed while idle: after
        // the handshake a session's DTLS carries almost nothing.
        _ = SSL_CTX_ctrl(context, SSL_CTRL_MODE, Int(SSL_MODE_RELEASE_BUFFERS), nil)
        try Certificate.check(
            SSL_CTX_set_cipher_list(context, DTLSContext.cipherList), "setting cipher list")

        try Certificate.check(
            SSL_CTX_use_certificate(context, certificate.x509), "SSL_CTX_use_certificate")
        try Certificate.check(
            SSL_CTX_use_PrivateKey(context, certificate.key), "SSL_CTX_use_PrivateKey")
        try Certificate.check(SSL_CTX_check_private_key(context), "SSL_CTX_check_private_key")

        // OpenSSL returns 0 on success here, unlike its neighbours.
        let names = profiles.map(\.openSSLName).joined(separator: ":")
        guard SSL_CTX_set_tlsext_use_srtp(context, names) == 0 else {
            throw CryptoError("SSL_CTX_set_tlsext_use_srtp(\(names))")
        }
        SSL_CTX_set_verify(
            context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dtlsVerifyCallback)
    }
}

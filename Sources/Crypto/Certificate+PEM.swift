import COpenSSL

extension Certificate {
    /// Reads a certificate and its private key from one PEM text (blocks in any order).
    ///
    /// Encrypted private keys are refused rather than prompting for a passphrase.
    public convenience init(pem: String) throws {
        let bytes = Array(pem.utf8)
        let x509: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let x509 else {
            throw CryptoError("reading certificate PEM", reason: "no CERTIFICATE block")
        }
        let key: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, refusePassphrase, nil)
        }
        guard let key else {
            X509_free(x509)
            ERR_clear_error()
            throw CryptoError(
                "reading certificate PEM",
                reason: "no unencrypted PRIVATE KEY block")
        }

        self.init(key: key, x509: x509)
        guard X509_check_private_key(x509, key) == 1 else {
            throw CryptoError(
                "reading certificate PEM", reason: "the private key does not match the certificate")
        }
    }

    /// The certificate followed by the private key, both PEM; keep it like a password.
    public var pem: Secret<String> {
        Secret(certificatePEM + privateKeyPEM.reveal)
    }

    /// The certificate alone, PEM ("BEGIN CERTIFICATE").
    public var certificatePEM: String {
        Certificate.writePEM(secure: false) { bio in PEM_write_bio_X509(bio, x509) }
    }

    /// The private key alone, PKCS #8 PEM ("BEGIN PRIVATE KEY"), unencrypted.
    public var privateKeyPEM: Secret<String> {
        Secret(
            Certificate.writePEM(secure: true) { bio in
                PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil)
            })
    }

    /// Runs `write` against a memory BIO and returns what it wrote. The secure variant keeps
    /// the bytes on OpenSSL's secure heap, which is wiped when freed.
    private static func writePEM(secure: Bool, _ write: (OpaquePointer) -> Int32) -> String {
        guard let bio = BIO_new(secure ? BIO_s_secmem() : BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return "" }

        let length = Int(whoot_BIO_ctrl_pending(bio))
        var buffer = [UInt8](repeating: 0, count: length)
        let read = BIO_read(bio, &buffer, Int32(length))
        let text = String(decoding: buffer[0..<max(0, Int(read))], as: UTF8.self)
        for index in buffer.indices { buffer[index] = 0 }
        return text
    }
}

/// A passphrase callback that supplies none, so OpenSSL never prompts on a terminal.
private let refusePassphrase: @convention(c) (
    UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?
) -> Int32 = { _, _, _, _ in -1 }

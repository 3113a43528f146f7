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
            return PEM_read_bio_PrivateKey(bio, nil, PEMText.noPassphrase, nil)
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
        PEMText.write(secure: false) { bio in PEM_write_bio_X509(bio, x509) }
    }

    /// The private key alone, as unencrypted PKCS #8 PEM.
    public var privateKeyPEM: Secret<String> {
        Secret(
            PEMText.write(secure: true) { bio in
                PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil)
            })
    }
}


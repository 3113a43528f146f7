import COpenSSL

/// Ed25519 signatures (RFC 8032) through OpenSSL's EVP interface, for signing audit
/// checkpoints. Keys travel as PEM: PKCS #8 for the private key, SubjectPublicKeyInfo
/// ("BEGIN PUBLIC KEY") for the public key.
public enum Ed25519 {
    /// Signature length in bytes.
    public static let signatureLength = 64
    /// Raw public key length in bytes.
    public static let publicKeyLength = 32

    /// A private signing key; the only owner of its `EVP_PKEY`. Thread-safe: signing
    /// creates a fresh digest context per call.
    public final class PrivateKey: @unchecked Sendable {
        let key: OpaquePointer

        init(key: OpaquePointer) { self.key = key }

        deinit { EVP_PKEY_free(key) }

        /// A fresh random key.
        public static func generate() throws -> PrivateKey {
            guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
                throw CryptoError("EVP_PKEY_CTX_new_id(ED25519)")
            }
            defer { EVP_PKEY_CTX_free(context) }
            var key: OpaquePointer?
            guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &key) == 1,
                let key
            else { throw CryptoError("generating an Ed25519 key") }
            return PrivateKey(key: key)
        }

        /// A key from its 32-byte seed (RFC 8032 "secret key").
        public convenience init(seed: Secret<[UInt8]>) throws {
            let bytes = seed.reveal
            guard bytes.count == 32,
                let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, bytes, bytes.count)
            else { throw CryptoError("reading Ed25519 seed", reason: "not 32 valid bytes") }
            self.init(key: key)
        }

        /// Reads an unencrypted PKCS #8 PEM private key; refuses keys of other types.
        public convenience init(pem: Secret<String>) throws {
            let bytes = Array(pem.reveal.utf8)
            let key: OpaquePointer? = bytes.withUnsafeBytes { raw in
                guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                    return nil
                }
                defer { BIO_free(bio) }
                return PEM_read_bio_PrivateKey(bio, nil, PEMText.noPassphrase, nil)
            }
            guard let key else {
                ERR_clear_error()
                throw CryptoError("reading Ed25519 key PEM", reason: "no unencrypted PRIVATE KEY")
            }
            guard EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 else {
                EVP_PKEY_free(key)
                throw CryptoError("reading Ed25519 key PEM", reason: "the key is not Ed25519")
            }
            self.init(key: key)
        }

        /// The key as PKCS #8 PEM; keep it like a password.
        public var pem: Secret<String> {
            Secret(PEMText.write(secure: true) {
                PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil)
            })
        }

        /// The matching public key.
        public var publicKey: PublicKey {
            get throws {
                var raw = [UInt8](repeating: 0, count: Ed25519.publicKeyLength)
                var length = raw.count
                guard EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1 else {
                    throw CryptoError("EVP_PKEY_get_raw_public_key")
                }
                return try PublicKey(raw: raw)
            }
        }

        /// The 64-byte signature of `message`.
        public func sign(_ message: [UInt8]) throws -> [UInt8] {
            guard let context = EVP_MD_CTX_new() else { throw CryptoError("EVP_MD_CTX_new") }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1 else {
                throw CryptoError("EVP_DigestSignInit(Ed25519)")
            }
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureLength)
            var length = signature.count
            let ok = message.withUnsafeBufferPointer {
                EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count)
            }
            guard ok == 1, length == Ed25519.signatureLength else {
                throw CryptoError("EVP_DigestSign(Ed25519)")
            }
            return signature
        }
    }

    /// A public verification key; the only owner of its `EVP_PKEY`.
    public final class PublicKey: @unchecked Sendable {
        let key: OpaquePointer
        /// The 32 raw key bytes (RFC 8032 encoding).
        public let raw: [UInt8]

        /// A key from its 32 raw bytes.
        public init(raw: [UInt8]) throws {
            guard raw.count == Ed25519.publicKeyLength,
                let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, raw, raw.count)
            else { throw CryptoError("reading Ed25519 public key", reason: "not 32 valid bytes") }
            self.key = key
            self.raw = raw
        }

        /// A key from SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY").
        public convenience init(pem: String) throws {
            let bytes = Array(pem.utf8)
            let parsed: OpaquePointer? = bytes.withUnsafeBytes { raw in
                guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                    return nil
                }
                defer { BIO_free(bio) }
                return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
            }
            guard let parsed else {
                ERR_clear_error()
                throw CryptoError("reading public key PEM", reason: "no PUBLIC KEY block")
            }
            defer { EVP_PKEY_free(parsed) }
            var raw = [UInt8](repeating: 0, count: Ed25519.publicKeyLength)
            var length = raw.count
            guard EVP_PKEY_get_id(parsed) == EVP_PKEY_ED25519,
                EVP_PKEY_get_raw_public_key(parsed, &raw, &length) == 1
            else { throw CryptoError("reading public key PEM", reason: "the key is not Ed25519") }
            try self.init(raw: raw)
        }

        deinit { EVP_PKEY_free(key) }

        /// The key as SubjectPublicKeyInfo PEM.
        public var pem: String {
            PEMText.write(secure: false) { PEM_write_bio_PUBKEY($0, key) }
        }

        /// A short id for the key: the first 8 bytes of SHA-256 over the raw key, in hex.
        public var keyID: String { Hex.encode(Array(Digest.sha256(raw).prefix(8))) }

        /// Whether `signature` is a valid signature of `message` under this key.
        public func verify(_ signature: [UInt8], of message: [UInt8]) -> Bool {
            guard signature.count == Ed25519.signatureLength,
                let context = EVP_MD_CTX_new()
            else { return false }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else {
                ERR_clear_error()
                return false
            }
            let ok = message.withUnsafeBufferPointer {
                EVP_DigestVerify(context, signature, signature.count, $0.baseAddress, $0.count)
            }
            ERR_clear_error()
            return ok == 1
        }
    }
}


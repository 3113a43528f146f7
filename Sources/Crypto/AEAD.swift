import COpenSSL

/// AES-256-GCM (NIST SP 800-38D) through OpenSSL's EVP interface: 32-byte keys, 12-byte
/// nonces, 16-byte tags appended to the ciphertext. Each call is independent and
/// thread-safe; a nonce must never repeat under one key.
public enum AES256GCM {
    public static let keyBytes = 32
    public static let nonceBytes = 12
    public static let tagBytes = 16

    /// Encrypts `plaintext` and returns ciphertext followed by the 16-byte tag, which also
    /// authenticates `associatedData`.
    public static func seal(
        _ plaintext: [UInt8], key: Secret<[UInt8]>, nonce: [UInt8], associatedData: [UInt8] = []
    ) throws -> [UInt8] {
        let context = try CipherContext(key: key.reveal, nonce: nonce, encrypt: true)
        try context.addAssociatedData(associatedData)
        var out = try context.update(plaintext)
        out += try context.finish()
        var tag = [UInt8](repeating: 0, count: tagBytes)
        guard EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(tagBytes), &tag)
            == 1
        else { throw CryptoError("AES-256-GCM get tag") }
        return out + tag
    }

    /// Decrypts `sealed` (ciphertext followed by the tag). Throws `AEADError.authentication`
    /// when the tag does not verify: wrong key, wrong nonce, or any byte of the ciphertext,
    /// tag or associated data changed. Nothing is returned for a failed tag.
    public static func open(
        _ sealed: [UInt8], key: Secret<[UInt8]>, nonce: [UInt8], associatedData: [UInt8] = []
    ) throws -> [UInt8] {
        guard sealed.count >= tagBytes else { throw AEADError.tooShort(sealed.count) }
        let context = try CipherContext(key: key.reveal, nonce: nonce, encrypt: false)
        try context.addAssociatedData(associatedData)
        let body = Array(sealed[..<(sealed.count - tagBytes)])
        var tag = Array(sealed[(sealed.count - tagBytes)...])
        let out = try context.update(body)
        guard EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(tagBytes), &tag)
            == 1
        else { throw CryptoError("AES-256-GCM set tag") }
        guard (try? context.finish()) != nil else {
            _ = CryptoError.drainOpenSSLQueue()
            throw AEADError.authentication
        }
        return out
    }
}

/// Why an AEAD open failed.
public enum AEADError: Error, Equatable, CustomStringConvertible {
    /// The tag did not verify: the data, its associated data, the nonce or the key differ
    /// from what was sealed.
    case authentication
    /// Fewer bytes than a tag.
    case tooShort(Int)

    public var description: String {
        switch self {
        case .authentication:
            return "authentication failed (data altered, reordered or wrong key)"
        case .tooShort(let count):
            return "sealed data of \(count) bytes is shorter than a 16-byte tag"
        }
    }
}

/// One EVP_CIPHER_CTX, freed on deinit.
private final class CipherContext {
    let pointer: OpaquePointer
    let encrypt: Bool

    init(key: [UInt8], nonce: [UInt8], encrypt: Bool) throws {
        guard key.count == AES256GCM.keyBytes else {
            throw CryptoError("AES-256-GCM", reason: "key is \(key.count) bytes, want 32")
        }
        guard nonce.count == AES256GCM.nonceBytes else {
            throw CryptoError("AES-256-GCM", reason: "nonce is \(nonce.count) bytes, want 12")
        }
        guard let pointer = EVP_CIPHER_CTX_new() else { throw CryptoError("EVP_CIPHER_CTX_new") }
        self.pointer = pointer
        self.encrypt = encrypt
        let ok = encrypt
            ? EVP_EncryptInit_ex(pointer, EVP_aes_256_gcm(), nil, key, nonce)
            : EVP_DecryptInit_ex(pointer, EVP_aes_256_gcm(), nil, key, nonce)
        guard ok == 1 else { throw CryptoError("AES-256-GCM init") }
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }

    func addAssociatedData(_ data: [UInt8]) throws {
        guard !data.isEmpty else { return }
        var written: Int32 = 0
        let ok = encrypt
            ? EVP_EncryptUpdate(pointer, nil, &written, data, Int32(data.count))
            : EVP_DecryptUpdate(pointer, nil, &written, data, Int32(data.count))
        guard ok == 1 else { throw CryptoError("AES-256-GCM associated data") }
    }

    func update(_ input: [UInt8]) throws -> [UInt8] {
        guard !input.isEmpty else { return [] }
        var out = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0
        let ok = encrypt
            ? EVP_EncryptUpdate(pointer, &out, &written, input, Int32(input.count))
            : EVP_DecryptUpdate(pointer, &out, &written, input, Int32(input.count))
        guard ok == 1 else { throw CryptoError("AES-256-GCM update") }
        return Array(out[..<Int(written)])
    }

    func finish() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var written: Int32 = 0
        let ok = encrypt
            ? EVP_EncryptFinal_ex(pointer, &out, &written)
            : EVP_DecryptFinal_ex(pointer, &out, &written)
        guard ok == 1 else { throw CryptoError("AES-256-GCM final") }
        return Array(out[..<Int(written)])
    }
}

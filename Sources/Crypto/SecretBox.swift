import COpenSSL

/// Authenticated encryption of small secrets at rest (TOTP seeds) with AES-256-GCM through
/// OpenSSL's EVP interface. A sealed box is `nonce (12 bytes) || ciphertext || tag (16
/// bytes)`; a fresh random nonce per seal. The associated data binds a box to its place
/// (e.g. tenant and member), so a box copied to another row does not open.
///
/// Thread use: a `SecretBox` is immutable and may be shared; each call makes its own
/// cipher context.
public struct SecretBox: Sendable {
    public static let keyBytes = 32
    static let nonceBytes = 12
    static let tagBytes = 16

    private let key: Secret<[UInt8]>

    /// - Parameter key: exactly 32 bytes.
    public init(key: Secret<[UInt8]>) throws {
        guard key.reveal.count == Self.keyBytes else {
            throw CryptoError(
                "SecretBox key", reason: "expected \(Self.keyBytes) bytes, got \(key.reveal.count)")
        }
        self.key = key
    }

    /// Encrypts `plaintext`, authenticating `associatedData` with it.
    public func seal(_ plaintext: Secret<[UInt8]>, associatedData: [UInt8]) throws -> [UInt8] {
        let nonce = SecureRandom.bytes(Self.nonceBytes)
        let context = try CipherContext()
        try context.begin(encrypt: true, key: key.reveal, nonce: nonce)
        try context.authenticate(associatedData)

        var output = nonce
        output += try context.update(plaintext.reveal)
        try context.finish()
        output += try context.tag()
        return output
    }

    /// Decrypts a box made by `seal` with the same key and associated data; throws when it
    /// was altered, is truncated, or belongs elsewhere.
    public func open(_ box: [UInt8], associatedData: [UInt8]) throws -> Secret<[UInt8]> {
        guard box.count >= Self.nonceBytes + Self.tagBytes else {
            throw CryptoError("SecretBox open", reason: "box of \(box.count) bytes is too short")
        }
        let nonce = Array(box[..<Self.nonceBytes])
        let body = Array(box[Self.nonceBytes..<(box.count - Self.tagBytes)])
        let tag = Array(box[(box.count - Self.tagBytes)...])

        let context = try CipherContext()
        try context.begin(encrypt: false, key: key.reveal, nonce: nonce)
        try context.authenticate(associatedData)
        let plaintext = try context.update(body)
        try context.setTag(tag)
        do {
            try context.finish()
        } catch {
            throw CryptoError("SecretBox open", reason: "authentication failed")
        }
        return Secret(plaintext)
    }
}

/// One EVP_CIPHER_CTX for AES-256-GCM; freed when this goes away.
private final class CipherContext {
    let pointer: OpaquePointer
    private var encrypting = true

    init() throws {
        guard let pointer = EVP_CIPHER_CTX_new() else { throw CryptoError("EVP_CIPHER_CTX_new") }
        self.pointer = pointer
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }

    func begin(encrypt: Bool, key: [UInt8], nonce: [UInt8]) throws {
        encrypting = encrypt
        let rc = encrypt
            ? EVP_EncryptInit_ex(pointer, EVP_aes_256_gcm(), nil, key, nonce)
            : EVP_DecryptInit_ex(pointer, EVP_aes_256_gcm(), nil, key, nonce)
        guard rc == 1 else { throw CryptoError("EVP_CipherInit_ex(aes-256-gcm)") }
    }

    func authenticate(_ data: [UInt8]) throws {
        guard !data.isEmpty else { return }
        var length: Int32 = 0
        let rc = encrypting
            ? EVP_EncryptUpdate(pointer, nil, &length, data, Int32(data.count))
            : EVP_DecryptUpdate(pointer, nil, &length, data, Int32(data.count))
        guard rc == 1 else { throw CryptoError("EVP_CipherUpdate(aad)") }
    }

    func update(_ data: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: data.count + 16)
        var length: Int32 = 0
        guard !data.isEmpty else { return [] }
        let rc = encrypting
            ? EVP_EncryptUpdate(pointer, &out, &length, data, Int32(data.count))
            : EVP_DecryptUpdate(pointer, &out, &length, data, Int32(data.count))
        guard rc == 1 else { throw CryptoError("EVP_CipherUpdate") }
        return Array(out[..<Int(length)])
    }

    func finish() throws {
        var out = [UInt8](repeating: 0, count: 16)
        var length: Int32 = 0
        let rc = encrypting
            ? EVP_EncryptFinal_ex(pointer, &out, &length)
            : EVP_DecryptFinal_ex(pointer, &out, &length)
        guard rc == 1 else { throw CryptoError("EVP_CipherFinal_ex") }
    }

    func tag() throws -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: SecretBox.tagBytes)
        guard EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_GCM_GET_TAG, Int32(tag.count), &tag) == 1
        else { throw CryptoError("EVP_CTRL_GCM_GET_TAG") }
        return tag
    }

    func setTag(_ tag: [UInt8]) throws {
        var tag = tag
        guard EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_GCM_SET_TAG, Int32(tag.count), &tag) == 1
        else { throw CryptoError("EVP_CTRL_GCM_SET_TAG") }
    }
}

import COpenSSL

/// AES-128 in counter mode (RFC 3711 4.1.1) under one session key. The EVP context is keyed
/// once; each packet sets only its 16-byte IV, so no call allocates. Owns the context and
/// frees it (OpenSSL wipes the key schedule) in `deinit`. One thread at a time.
final class AESCounterCipher {
    private let context: OpaquePointer

    init(key: [UInt8]) throws(SRTPError) {
        guard key.count == 16 else { throw .badParam }
        guard let context = EVP_CIPHER_CTX_new() else {
            throw .cryptoFailure("EVP_CIPHER_CTX_new")
        }
        guard EVP_EncryptInit_ex(context, EVP_aes_128_ctr(), nil, key, nil) == 1 else {
            EVP_CIPHER_CTX_free(context)
            throw .cryptoFailure("EVP_EncryptInit_ex(aes-128-ctr)")
        }
        self.context = context
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// XORs `count` bytes at `data` in place with the keystream that starts at `iv`.
    func apply(iv: UnsafePointer<UInt8>, _ data: UnsafeMutablePointer<UInt8>, count: Int)
        -> Bool
    {
        var written: Int32 = 0
        guard EVP_CipherInit_ex(context, nil, nil, nil, iv, 1) == 1 else { return false }
        guard count > 0 else { return true }
        return EVP_EncryptUpdate(context, data, &written, data, Int32(count)) == 1
    }
}

/// AES-128-GCM (NIST SP 800-38D, 12-byte IV, 16-byte tag) under one session key, keyed once
/// like `AESCounterCipher`. A packet is `begin`, any `authenticate` (associated data),
/// `transform` (in place), then `seal` or `open`. Owns its EVP context.
final class AESGCMCipher {
    static let tagLength = 16
    private let context: OpaquePointer

    init(key: [UInt8]) throws(SRTPError) {
        guard key.count == 16 else { throw .badParam }
        guard let context = EVP_CIPHER_CTX_new() else {
            throw .cryptoFailure("EVP_CIPHER_CTX_new")
        }
        guard EVP_EncryptInit_ex(context, EVP_aes_128_gcm(), nil, key, nil) == 1 else {
            EVP_CIPHER_CTX_free(context)
            throw .cryptoFailure("EVP_EncryptInit_ex(aes-128-gcm)")
        }
        self.context = context
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Starts a packet under the 12-byte `iv`, to encrypt (`true`) or decrypt.
    func begin(iv: UnsafePointer<UInt8>, encrypt: Bool) -> Bool {
        EVP_CipherInit_ex(context, nil, nil, nil, iv, encrypt ? 1 : 0) == 1
    }

    /// Adds `count` bytes of associated data (authenticated, not encrypted).
    func authenticate(_ data: UnsafePointer<UInt8>, count: Int) -> Bool {
        var written: Int32 = 0
        return EVP_CipherUpdate(context, nil, &written, data, Int32(count)) == 1
    }

    /// Encrypts or decrypts `count` bytes in place.
    func transform(_ data: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        var written: Int32 = 0
        guard count > 0 else { return true }
        return EVP_CipherUpdate(context, data, &written, data, Int32(count)) == 1
    }

    /// Finishes an encryption and writes the 16-byte tag to `tag`.
    func seal(tag: UnsafeMutablePointer<UInt8>) -> Bool {
        var written: Int32 = 0
        guard EVP_CipherFinal_ex(context, tag, &written) == 1 else { return false }
        return EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagLength), tag)
            == 1
    }

    /// Finishes a decryption; true only if the 16-byte `tag` verifies (OpenSSL compares
    /// in constant time).
    func open(tag: UnsafeMutablePointer<UInt8>) -> Bool {
        var written: Int32 = 0
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagLength), tag)
            == 1
        else { return false }
        let verified = EVP_CipherFinal_ex(context, tag, &written) == 1
        if !verified { ERR_clear_error() }
        return verified
    }
}

/// HMAC-SHA1 (RFC 2104) under one session authentication key, for the 80-bit tags of
/// SRTP_AES128_CM_HMAC_SHA1_80. The SHA-1 states after the inner and outer key blocks are
/// computed once; a packet copies them (plain structs) and hashes only its own bytes.
///
/// OpenSSL 3.0's EVP_MAC and EVP_MD_CTX_copy_ex allocate on every use, so this keeps the
/// low-level SHA1 functions, which OpenSSL 3.0 marks deprecated but still ships.
/// TODO: move to EVP once an OpenSSL release can reinitialise a digest context without
/// allocating (re-measure with Tests/CAllocCounter), then drop the deprecated calls.
final class HMACSHA1 {
    static let digestLength = 20
    /// inner, outer, and the working state of the packet in progress.
    private let states: UnsafeMutablePointer<SHA_CTX>
    private let digest: UnsafeMutablePointer<UInt8>

    init(key: [UInt8]) {
        precondition(key.count <= 64, "HMAC-SHA1 keys longer than a block are not used here")
        states = .allocate(capacity: 3)
        states.initialize(repeating: SHA_CTX(), count: 3)
        digest = .allocate(capacity: Self.digestLength)
        var block = [UInt8](repeating: 0, count: 64)
        for (pad, state) in [(UInt8(0x36), states), (UInt8(0x5C), states + 1)] {
            for index in 0..<64 { block[index] = (index < key.count ? key[index] : 0) ^ pad }
            SHA1.start(state)
            SHA1.update(state, block, 64)
        }
        OPENSSL_cleanse(&block, 64)
    }

    deinit {
        OPENSSL_cleanse(states, 3 * MemoryLayout<SHA_CTX>.stride)
        states.deallocate()
        OPENSSL_cleanse(digest, Self.digestLength)
        digest.deallocate()
    }

    /// Starts a new message.
    func begin() { states[2] = states[0] }

    /// Hashes `count` more bytes of the message.
    func update(_ data: UnsafeRawPointer, count: Int) { SHA1.update(states + 2, data, count) }

    /// Ends the message and writes the first `count` bytes of the MAC to `tag`.
    func finish(into tag: UnsafeMutablePointer<UInt8>, count: Int) {
        outerDigest()
        tag.update(from: digest, count: count)
    }

    /// Ends the message and compares the first `count` bytes of the MAC with `tag` in time
    /// that does not depend on where they differ.
    func verify(_ tag: UnsafePointer<UInt8>, count: Int) -> Bool {
        outerDigest()
        var difference: UInt8 = 0
        for index in 0..<count { difference |= digest[index] ^ tag[index] }
        return difference == 0
    }

    /// Finishes the inner hash into `digest`, then replaces it with the outer hash.
    private func outerDigest() {
        SHA1.finish(digest, states + 2)
        states[2] = states[1]
        SHA1.update(states + 2, digest, Self.digestLength)
        SHA1.finish(digest, states + 2)
    }
}

/// The three low-level SHA-1 calls HMACSHA1 needs, in one place (deprecated in OpenSSL 3.0,
/// see HMACSHA1).
private enum SHA1 {
    static func start(_ state: UnsafeMutablePointer<SHA_CTX>) { whoot_SHA1_Init(state) }

    static func update(
        _ state: UnsafeMutablePointer<SHA_CTX>, _ data: UnsafeRawPointer, _ count: Int
    ) {
        whoot_SHA1_Update(state, data, count)
    }

    static func finish(
        _ out: UnsafeMutablePointer<UInt8>, _ state: UnsafeMutablePointer<SHA_CTX>
    ) {
        whoot_SHA1_Final(out, state)
    }
}

/// Wraps a key under a key-encryption key with AES-256-GCM: a random 12-byte nonce, the
/// sealed key and its tag, with a context string bound as associated data so a wrapped
/// key moved to another purpose, tenant or file fails to unwrap.
///
/// Layout of a wrapped key: version (1 byte, 1) || nonce (12) || ciphertext || tag (16).
public enum KeyWrap {
    static let version: UInt8 = 1

    /// `key` sealed under `kek`, bound to `context`.
    public static func wrap(
        _ key: Secret<[UInt8]>, with kek: Secret<[UInt8]>, context: String
    ) throws -> [UInt8] {
        let nonce = SecureRandom.bytes(AES256GCM.nonceBytes)
        let sealed = try AES256GCM.seal(
            key.reveal, key: kek, nonce: nonce, associatedData: Array(context.utf8))
        return [version] + nonce + sealed
    }

    /// The key inside `wrapped`, or `KeyWrapError` when it was not wrapped by `kek` for
    /// `context` or was altered.
    public static func unwrap(
        _ wrapped: [UInt8], with kek: Secret<[UInt8]>, context: String
    ) throws -> Secret<[UInt8]> {
        let minimum = 1 + AES256GCM.nonceBytes + AES256GCM.tagBytes
        guard wrapped.count >= minimum, wrapped[0] == version else {
            throw KeyWrapError.malformed(bytes: wrapped.count)
        }
        let nonce = Array(wrapped[1..<(1 + AES256GCM.nonceBytes)])
        let sealed = Array(wrapped[(1 + AES256GCM.nonceBytes)...])
        do {
            return Secret(try AES256GCM.open(
                sealed, key: kek, nonce: nonce, associatedData: Array(context.utf8)))
        } catch {
            throw KeyWrapError.unwrapFailed(context: context)
        }
    }

    /// A fresh random 256-bit key.
    public static func generateKey() -> Secret<[UInt8]> {
        Secret(SecureRandom.bytes(AES256GCM.keyBytes))
    }
}

/// Why a wrapped key could not be opened.
public enum KeyWrapError: Error, Equatable, CustomStringConvertible {
    case malformed(bytes: Int)
    case unwrapFailed(context: String)

    public var description: String {
        switch self {
        case .malformed(let bytes):
            return "wrapped key of \(bytes) bytes is malformed or of an unknown version"
        case .unwrapFailed(let context):
            return "wrapped key for \(context) does not open under this key-encryption key "
                + "(wrong master or tenant key, or the wrapped key was altered)"
        }
    }
}

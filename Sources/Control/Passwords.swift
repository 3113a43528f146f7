import CArgon2
import Crypto

/// Argon2id password hashing (RFC 9106) with libargon2, stored as the PHC encoded string
/// (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`), which carries its own parameters so
/// they can be raised later without breaking stored hashes.
public enum Passwords {
    /// OWASP's minimum for Argon2id: 19 MiB of memory, 2 passes, 1 lane.
    public static let memoryKiB: UInt32 = 19_456
    public static let iterations: UInt32 = 2
    public static let parallelism: UInt32 = 1
    static let saltBytes = 16
    static let hashBytes = 32

    /// Accepted password lengths, in characters.
    public static let lengthRange = 10...256

    /// Hashes `password` with a fresh random salt.
    public static func hash(_ password: Secret<String>) throws -> String {
        let salt = SecureRandom.bytes(saltBytes)
        let bytes = Array(password.reveal.utf8)
        let length = argon2_encodedlen(
            iterations, memoryKiB, parallelism, UInt32(saltBytes), UInt32(hashBytes),
            Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        let rc = argon2id_hash_encoded(
            iterations, memoryKiB, parallelism, bytes, bytes.count, salt, salt.count,
            hashBytes, &encoded, length)
        guard rc == ARGON2_OK.rawValue else {
            throw CryptoError(
                "argon2id_hash_encoded", reason: String(cString: argon2_error_message(rc)))
        }
        return String(cString: encoded)
    }

    /// Whether `password` matches the encoded hash; false on any malformed hash.
    public static func verify(_ password: Secret<String>, encoded: String) -> Bool {
        let bytes = Array(password.reveal.utf8)
        return argon2id_verify(encoded, bytes, bytes.count) == ARGON2_OK.rawValue
    }

    /// A hash of nothing in particular, verified against when the account does not exist,
    /// so that a login for an unknown handle takes as long as one for a known handle.
    static let decoy: String = (try? hash(Secret(Base64URL.encode(SecureRandom.bytes(16)))))
        ?? ""
}

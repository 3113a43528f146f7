import COpenSSL

/// Hash functions used across whoot. Each call is independent and thread-safe.
public enum HashFunction: String, Sendable, CaseIterable {
    case sha1 = "sha-1"
    case sha256 = "sha-256"
    case sha384 = "sha-384"
    case sha512 = "sha-512"

    var evp: OpaquePointer {
        switch self {
        case .sha1: return EVP_sha1()
        case .sha256: return EVP_sha256()
        case .sha384: return EVP_sha384()
        case .sha512: return EVP_sha512()
        }
    }

    /// Digest length in bytes.
    public var length: Int {
        switch self {
        case .sha1: return 20
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }
}

public enum Digest {
    /// The digest of `data` under `hash`.
    public static func hash(_ hash: HashFunction, _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: hash.length)
        var length: UInt32 = 0
        data.withUnsafeBytes { input in
            _ = EVP_Digest(input.baseAddress, input.count, &out, &length, hash.evp, nil)
        }
        return out
    }

    public static func sha256(_ data: [UInt8]) -> [UInt8] { hash(.sha256, data) }

    public static func sha256(_ text: String) -> [UInt8] { hash(.sha256, Array(text.utf8)) }

    /// HMAC of `data` under `key`.
    public static func hmac(_ hash: HashFunction, key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: hash.length)
        var length: UInt32 = 0
        key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                _ = HMAC(
                    hash.evp, k.baseAddress, Int32(k.count),
                    d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count,
                    &out, &length)
            }
        }
        return out
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        precondition(RAND_bytes(&out, Int32(count)) == 1, "RAND_bytes failed")
        return out
    }

    /// A random string of `byteCount` bytes, base64url without padding.
    public static func token(byteCount: Int = 32) -> String {
        Base64URL.encode(bytes(byteCount))
    }

    /// A random string over `alphabet`, for ICE ufrag and pwd (RFC 8839 5.4).
    public static func string(length: Int, alphabet: [Character]) -> String {
        var result = ""
        // Rejection sampling keeps the distribution uniform.
        let limit = 256 - (256 % alphabet.count)
        while result.count < length {
            for byte in bytes(length * 2) where Int(byte) < limit && result.count < length {
                result.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return result
    }
}

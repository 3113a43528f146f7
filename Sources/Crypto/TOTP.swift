/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as Google Authenticator,
/// Authy and 1Password compute them: HMAC-SHA1 (or SHA-256, SHA-512) of the 30 s time step
/// counter, dynamically truncated to 6 digits.
///
/// Sans-IO: every call takes `now` (Unix time in ms); nothing here reads a clock or keeps
/// state. Replay protection is the caller's: it stores the step `verify` returns and passes
/// it back as `lastUsedStep`.
public struct TOTP: Sendable {
    /// The HMAC hash (RFC 6238 section 1.2: SHA-1, SHA-256 or SHA-512).
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1 = "SHA1"
        case sha256 = "SHA256"
        case sha512 = "SHA512"

        var hash: HashFunction {
            switch self {
            case .sha1: return .sha1
            case .sha256: return .sha256
            case .sha512: return .sha512
            }
        }

        /// The secret length RFC 4226 section 4 and RFC 6238 appendix B use, in bytes.
        public var secretBytes: Int { hash.length }
    }

    public let secret: Secret<[UInt8]>
    public let algorithm: Algorithm
    /// Digits in a code, 6 to 8.
    public let digits: Int
    /// Length of one time step, in seconds.
    public let periodSeconds: Int64

    public init(
        secret: Secret<[UInt8]>, algorithm: Algorithm = .sha1, digits: Int = 6,
        periodSeconds: Int64 = 30
    ) {
        precondition((6...8).contains(digits), "TOTP digits must be 6 to 8")
        precondition(periodSeconds > 0, "TOTP period must be positive")
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
        self.periodSeconds = periodSeconds
    }

    /// The time step counter T at `now` (RFC 6238 section 4.2, T0 = 0).
    public func step(at now: Int64) -> Int64 {
        let periodMs = periodSeconds * 1_000
        return now >= 0 ? now / periodMs : -((-now + periodMs - 1) / periodMs)
    }

    /// The code for time step `step`, zero-padded to `digits`.
    public func code(step: Int64) -> String {
        let value = UInt64(bitPattern: step)
        let counter = (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * $0)) }
        let mac = Digest.hmac(algorithm.hash, key: secret.reveal, counter)

        // Dynamic truncation, RFC 4226 section 5.3.
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = UInt32(mac[offset] & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16
            | UInt32(mac[offset + 2]) << 8 | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(binary % modulus)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// The code at `now`.
    public func code(at now: Int64) -> String { code(step: step(at: now)) }

    /// Whether `candidate` is well formed: exactly `digits` ASCII digits.
    public func isWellFormed(_ candidate: String) -> Bool {
        candidate.utf8.count == digits
            && candidate.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The step `candidate` is valid for at `now`, trying the current step and `skew`
    /// steps either side, but only steps after `lastUsedStep` (so no code is accepted
    /// twice); nil when it matches none. Every allowed step is compared in constant time.
    public func verify(_ candidate: String, at now: Int64, lastUsedStep: Int64?, skew: Int64 = 1)
        -> Int64?
    {
        guard isWellFormed(candidate) else { return nil }
        let current = step(at: now)
        var matched: Int64? = nil
        for step in (current - skew)...(current + skew) where step >= 0 {
            if let lastUsedStep, step <= lastUsedStep { continue }
            let expected = Array(code(step: step).utf8)
            let equal = Digest.constantTimeEqual(expected, Array(candidate.utf8))
            if equal && matched == nil { matched = step }
        }
        return matched
    }
}

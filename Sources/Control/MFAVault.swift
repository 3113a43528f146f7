import Crypto
import Foundation
import Wire

/// The MFA key's two uses, and the per-member throttle on second-factor attempts.
///
/// TOTP secrets are sealed with AES-256-GCM under the key, bound to their tenant and
/// member; recovery codes are stored as HMAC-SHA256 under a key derived from it, so a copy
/// of the database alone neither reveals a secret nor lets anyone test guesses offline.
/// Thread use: any thread; the throttle has its own lock.
final class MFAVault {
    private let box: SecretBox?
    private let recoveryKey: Secret<[UInt8]>?
    private let lock = NSLock()
    /// Second-factor attempts refused because the member's throttle was closed.
    private(set) var throttleRefusals: UInt64 = 0
    private var throttle = LoginThrottle(limit: MFAVault.attemptLimit, windowMs: 15 * 60_000)

    /// Wrong codes allowed per member in 15 minutes before further attempts are refused.
    static let attemptLimit = 5

    /// - Parameter key: 32 bytes (a wrong length is a programming error and traps); nil
    ///   leaves MFA unavailable, and enrolment is refused.
    init(key: Secret<[UInt8]>?) {
        box = key.map { key in
            guard let box = try? SecretBox(key: key) else {
                preconditionFailure("the MFA key must be \(SecretBox.keyBytes) bytes")
            }
            return box
        }
        recoveryKey = key.map {
            Secret(Digest.hmac(.sha256, key: $0.reveal, Array("whoot recovery codes v1".utf8)))
        }
    }

    private func requireKey() throws -> (SecretBox, Secret<[UInt8]>) {
        guard let box, let recoveryKey else {
            throw ControlError.forbidden("MFA is not available: whootd runs without an MFA key")
        }
        return (box, recoveryKey)
    }

    static func binding(_ tenant: TenantID, _ member: MemberID) -> [UInt8] {
        Array("whoot mfa secret v1 tenant:\(tenant.rawValue) member:\(member.rawValue)".utf8)
    }

    func seal(_ secret: Secret<[UInt8]>, tenant: TenantID, member: MemberID) throws -> [UInt8] {
        try requireKey().0.seal(secret, associatedData: Self.binding(tenant, member))
    }

    func open(_ sealed: [UInt8], tenant: TenantID, member: MemberID) throws -> Secret<[UInt8]> {
        try requireKey().0.open(sealed, associatedData: Self.binding(tenant, member))
    }

    /// The stored form of a recovery code, after `RecoveryCodes.normalize`.
    func recoveryHash(_ normalized: String) throws -> [UInt8] {
        Digest.hmac(.sha256, key: try requireKey().1.reveal, Array(normalized.utf8))
    }

    // MARK: - Throttle

    static func throttleKey(_ tenant: TenantID, _ member: MemberID) -> String {
        "\(tenant.rawValue)/\(member.rawValue)"
    }

    /// Throws `.tooManyRequests` while the member is blocked; otherwise counts the attempt
    /// as failed until `succeeded` says otherwise, so codes tried side by side cannot all
    /// pass the limit.
    func checkThrottle(_ tenant: TenantID, _ member: MemberID, now: Int64) throws {
        lock.lock()
        let seconds = throttle.take(Self.throttleKey(tenant, member), now: now)
        if seconds != nil { throttleRefusals += 1 }
        lock.unlock()
        if let seconds { throw ControlError.tooManyRequests(retryAfterSeconds: seconds) }
    }

    var throttleRefusalCount: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return throttleRefusals
    }

    /// Undoes the count of a try that turned out not to be a guess.
    func giveBack(_ tenant: TenantID, _ member: MemberID, now: Int64) {
        lock.lock()
        throttle.giveBack(Self.throttleKey(tenant, member), now: now)
        lock.unlock()
    }

    func succeeded(_ tenant: TenantID, _ member: MemberID) {
        lock.lock()
        throttle.reset(Self.throttleKey(tenant, member))
        lock.unlock()
    }
}

/// One-time recovery codes: ten per enrolment, 10 base32 characters (50 bits) shown as
/// `xxxxx-xxxxx`, each usable once.
enum RecoveryCodes {
    static let count = 10
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")

    static func generate() -> [String] {
        (0..<count).map { _ in
            let raw = SecureRandom.string(length: 10, alphabet: alphabet)
            return String(raw.prefix(5)) + "-" + String(raw.suffix(5))
        }
    }

    /// Lower case without dashes or spaces; nil unless 10 characters of the alphabet.
    static func normalize(_ text: String) -> String? {
        let kept = text.lowercased().filter { $0 != "-" && $0 != " " }
        guard kept.count == 10, kept.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return kept
    }
}

/// The otpauth:// URI TOTP apps read from a QR code (Google Authenticator's Key URI
/// format): `otpauth://totp/whoot:<handle>@<tenant>?secret=...&issuer=whoot&...`.
enum OTPAuthURI {
    static let issuer = "whoot"

    static func make(account: String, secret: Secret<[UInt8]>, totp: TOTP) -> Secret<String> {
        let label = escape(issuer) + ":" + escape(account)
        return Secret(
            "otpauth://totp/\(label)?secret=\(Base32.encode(secret.reveal))&issuer=\(issuer)"
                + "&algorithm=\(totp.algorithm.rawValue)&digits=\(totp.digits)"
                + "&period=\(totp.periodSeconds)")
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
                out.append(c)
            } else {
                out += "%" + Hex.encode([byte], upper: true)
            }
        }
        return out
    }
}

import Crypto
import Store
import Wire

/// The first step of a login: a session, or a challenge that a second factor completes.
public enum LoginOutcome: Sendable {
    case signedIn(LoginResult)
    /// The member has MFA on: present `challenge` with a code to `completeLogin`.
    case secondFactorRequired(challenge: Secret<String>, expiresAtMs: Int64)
}

/// Logins with a second factor. The challenge is "wmc_" + 32 random bytes in base64url,
/// stored only as its SHA-256, valid for `mfaChallengeLifetimeMs` and used once.
extension ControlPlane {
    /// How long a login challenge may be completed, in ms.
    public static let mfaChallengeLifetimeMs: Int64 = 5 * 60_000

    /// Checks the password; for a member with MFA on, answers a challenge instead of a
    /// session (audited as `login.mfa_challenge`).
    public func beginLogin(
        tenant slug: String, handle: String, password: Secret<String>, ip: String?, now: Int64,
        requestID: String? = nil
    ) throws -> LoginOutcome {
        let member = try checkPassword(
            tenant: slug, handle: handle, password: password, ip: ip, now: now,
            requestID: requestID)
        let actor = Actor(.member(member.tenant, member.id), ip: ip, requestID: requestID)
        guard try needsSecondFactor(member) else {
            return .signedIn(try store.write { transaction in
                try openSession(transaction, member, actor: actor, now: now)
            })
        }

        let challenge = "wmc_" + Base64URL.encode(SecureRandom.bytes(32))
        let expires = now + Self.mfaChallengeLifetimeMs
        try store.write { transaction in
            let scope = TenantScope(member.tenant)
            try transaction.insertCredential(
                .mfaChallenge, scope, hash: Digest.sha256(challenge), member: member.id,
                nowMs: now, expiresAtMs: expires)
            try audit(
                transaction, scope, actor, .loginMFAChallenge,
                target: "member:\(member.id.rawValue)", at: now)
        }
        return .secondFactorRequired(challenge: Secret(challenge), expiresAtMs: expires)
    }

    /// Completes a login with a TOTP `code` or a `recoveryCode` (exactly one). A wrong or
    /// replayed code answers `.unauthorized` and counts against the member; after
    /// `MFAVault.attemptLimit` in 15 minutes, `.tooManyRequests`. A malformed code is
    /// `.badRequest` and not counted. The challenge is spent on success.
    public func completeLogin(
        challenge: String, code: Secret<String>?, recoveryCode: Secret<String>?, ip: String?,
        now: Int64, requestID: String? = nil
    ) throws -> LoginResult {
        guard (code == nil) != (recoveryCode == nil) else {
            throw ControlError.badRequest("give either code or recovery_code")
        }
        let refused = ControlError.unauthorized("login challenge is not valid; log in again")
        guard challenge.hasPrefix("wmc_"), challenge.utf8.count == 47 else { throw refused }
        let hash = Digest.sha256(challenge)

        let found = try store.read { transaction -> (MemberRecord, MFASecretRecord)? in
            guard let record = try transaction.credential(.mfaChallenge, hash: hash),
                now < record.expiresAtMs,
                let member = try transaction.member(TenantScope(record.tenant), id: record.member),
                let secret = try transaction.mfaSecret(
                    TenantScope(record.tenant), member: member.id)
            else { return nil }
            return (member, secret)
        }
        guard let (member, secret) = found, member.status == .active,
            secret.confirmedAtMs != nil
        else { throw refused }
        let (tenant, scope) = (member.tenant, TenantScope(member.tenant))
        let actor = Actor(.member(tenant, member.id), ip: ip, requestID: requestID)
        let method = code == nil ? "recovery_code" : "totp"
        let totp = try self.totp(secret, tenant: tenant)
        // A malformed code is a typing error, answered before the throttle counts a try.
        if let code, !totp.isWellFormed(code.reveal) {
            throw ControlError.badRequest("code must be \(totp.digits) digits")
        }
        let normalized = recoveryCode.flatMap { RecoveryCodes.normalize($0.reveal) }
        if code == nil, recoveryCode != nil, normalized == nil {
            throw ControlError.badRequest("recovery code must look like xxxxx-xxxxx")
        }
        try mfa.checkThrottle(tenant, member.id, now: now)

        var step: Int64? = nil
        var recoveryHash: [UInt8] = []
        if let code {
            step = totp.verify(
                code.reveal, at: now, lastUsedStep: secret.lastStep, skew: Self.totpSkewSteps)
        } else if let normalized {
            recoveryHash = try mfa.recoveryHash(normalized)
        }

        let result = try store.write { transaction -> LoginResult? in
            let accepted = try step.map {
                try transaction.advanceMFAStep(scope, member: member.id, to: $0)
            } ?? (!recoveryHash.isEmpty && transaction.useRecoveryCode(
                scope, member: member.id, hash: recoveryHash, nowMs: now))
            guard accepted, try transaction.deleteCredential(.mfaChallenge, scope, hash: hash)
            else { return nil }
            return try openSession(
                transaction, member, actor: actor, now: now, secondFactor: method)
        }
        guard let result else {
            try failedSecondFactor(
                tenant: tenant, member: member.id, actor: actor, method: method, stage: "login",
                now: now)
        }
        mfa.succeeded(tenant, member.id)
        return result
    }
}

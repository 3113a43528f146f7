import Crypto
import Store
import Wire

/// A fresh TOTP enrolment, shown once: the otpauth:// URI (it holds the secret) and the
/// same URI as a QR code. It takes effect once confirmed with a code from the app.
public struct MFAEnrolment: Sendable {
    public let uri: Secret<String>
    public let qrCode: QRCode
    public let algorithm: TOTP.Algorithm
    public let digits: Int
    public let periodSeconds: Int64
}

/// Where a member stands with MFA.
public struct MFAStatus: Sendable, Equatable {
    public let policy: MFAPolicy
    /// A confirmed TOTP enrolment exists.
    public let enrolled: Bool
    /// An enrolment waits for its first code.
    public let pending: Bool
    public let recoveryCodesLeft: Int
}

/// Per-tenant MFA with TOTP (RFC 6238): the policy, enrolment and its confirmation, and
/// an admin's reset. Every change and every failed code is an audit event (`mfa.*`).
extension ControlPlane {
    /// TOTP codes are accepted this many steps either side of now (30 s each).
    public static let totpSkewSteps: Int64 = 1

    // MARK: - Policy

    /// Sets the caller's tenant's MFA policy (owners and admins).
    public func setMFAPolicy(_ caller: Caller, _ policy: MFAPolicy, now: Int64) throws -> Bool {
        try caller.require(.manageSecurity)
        return try setMFAPolicy(tenant: caller.tenant, policy, actor: caller.actor, now: now)
    }

    /// Sets a tenant's MFA policy; false when it already was `policy`.
    public func setMFAPolicy(tenant: TenantID, _ policy: MFAPolicy, actor: Actor, now: Int64)
        throws -> Bool
    {
        let scope = TenantScope(tenant)
        return try store.write { transaction in
            let before = try transaction.mfaPolicy(scope)
            guard try transaction.setMFAPolicy(scope, policy, nowMs: now) else { return false }
            try audit(
                transaction, scope, actor, .mfaPolicyChange, target: "tenant:\(tenant.rawValue)",
                at: now, metadata: ["from": before.rawValue, "to": policy.rawValue])
            return true
        }
    }

    public func mfaStatus(tenant: TenantID, member: MemberID) throws -> MFAStatus {
        let scope = TenantScope(tenant)
        return try store.read { transaction in
            let secret = try transaction.mfaSecret(scope, member: member)
            return MFAStatus(
                policy: try transaction.mfaPolicy(scope),
                enrolled: secret?.confirmedAtMs != nil,
                pending: secret != nil && secret?.confirmedAtMs == nil,
                recoveryCodesLeft: try transaction.unusedRecoveryCodes(scope, member: member))
        }
    }

    /// Whether a login by `member` must give a second factor: the tenant does not disable
    /// MFA and the member has a confirmed enrolment.
    func needsSecondFactor(_ member: MemberRecord) throws -> Bool {
        let scope = TenantScope(member.tenant)
        return try store.read { transaction in
            try transaction.mfaPolicy(scope) != .disabled
                && transaction.mfaSecret(scope, member: member.id)?.confirmedAtMs != nil
        }
    }

    /// Whether the tenant enforces MFA and `member` has no confirmed enrolment.
    static func mustEnrol(_ transaction: ReadTransaction, _ scope: TenantScope, _ member: MemberID)
        throws -> Bool
    {
        try transaction.mfaPolicy(scope) == .enforced
            && transaction.mfaSecret(scope, member: member)?.confirmedAtMs == nil
    }

    // MARK: - Enrolment

    /// Starts the caller's own enrolment.
    public func enrolMFA(_ caller: Caller, algorithm: TOTP.Algorithm = .sha1, now: Int64)
        throws -> MFAEnrolment
    {
        try enrolMFA(
            tenant: caller.tenant, member: caller.member, algorithm: algorithm,
            actor: caller.actor, now: now)
    }

    /// Starts an enrolment for `member` with a fresh random secret, replacing one that was
    /// never confirmed. Refused when the tenant disables MFA, and `.conflict` when the
    /// member already has MFA on (an admin must reset it first, so a stolen session cannot
    /// swap the factor).
    public func enrolMFA(
        tenant: TenantID, member: MemberID, algorithm: TOTP.Algorithm = .sha1, actor: Actor,
        now: Int64
    ) throws -> MFAEnrolment {
        let scope = TenantScope(tenant)
        let secret = Secret(SecureRandom.bytes(algorithm.secretBytes))
        let totp = TOTP(secret: secret, algorithm: algorithm)
        let sealed = try mfa.seal(secret, tenant: tenant, member: member)

        let account = try store.write { transaction -> String in
            guard let record = try transaction.member(scope, id: member),
                record.status != .removed, let tenantRecord = try transaction.tenant(id: tenant)
            else { throw ControlError.notFound("member \(member.rawValue) not found") }
            guard try transaction.mfaPolicy(scope) != .disabled else {
                throw ControlError.forbidden("MFA is disabled for this tenant")
            }
            if try transaction.mfaSecret(scope, member: member)?.confirmedAtMs != nil {
                throw ControlError.conflict("MFA is already on; an admin must reset it first")
            }
            try transaction.putPendingMFASecret(
                scope, member: member, sealedSecret: sealed, algorithm: algorithm.rawValue,
                digits: totp.digits, periodSeconds: totp.periodSeconds, nowMs: now)
            try audit(
                transaction, scope, actor, .mfaEnroll, target: "member:\(member.rawValue)",
                at: now, metadata: ["algorithm": algorithm.rawValue])
            return record.handle + "@" + tenantRecord.slug
        }

        let uri = OTPAuthURI.make(account: account, secret: secret, totp: totp)
        return MFAEnrolment(
            uri: uri, qrCode: try QRCode(encoding: uri.reveal), algorithm: algorithm,
            digits: totp.digits, periodSeconds: totp.periodSeconds)
    }

    /// Turns on the caller's pending enrolment with a code from their app, and returns ten
    /// recovery codes, shown this once (only their keyed hashes are stored).
    public func confirmMFA(_ caller: Caller, code: Secret<String>, now: Int64) throws
        -> [Secret<String>]
    {
        let (tenant, member) = (caller.tenant, caller.member)
        try mfa.checkThrottle(tenant, member, now: now)
        let codes = RecoveryCodes.generate()
        let hashes = try codes.map { try mfa.recoveryHash(RecoveryCodes.normalize($0)!) }

        // Only a wrong code counts against the member: anything refused otherwise (no
        // enrolment waiting, a malformed code) gives the try back.
        let accepted: Bool
        do {
            accepted = try confirmEnrolment(caller, code: code, recoveryHashes: hashes, now: now)
        } catch {
            mfa.giveBack(tenant, member, now: now)
            throw error
        }
        guard accepted else {
            try failedSecondFactor(
                tenant: tenant, member: member, actor: caller.actor, method: "totp",
                stage: "confirm", now: now)
        }
        mfa.succeeded(tenant, member)
        return codes.map(Secret.init)
    }

    /// Confirms the caller's waiting enrolment if `code` is right, in one transaction with
    /// its recovery codes and audit event; false for a wrong code.
    private func confirmEnrolment(
        _ caller: Caller, code: Secret<String>, recoveryHashes hashes: [[UInt8]], now: Int64
    ) throws -> Bool {
        let (tenant, member, scope) = (caller.tenant, caller.member, caller.scope)
        return try store.write { transaction -> Bool in
            guard let record = try transaction.mfaSecret(scope, member: member),
                record.confirmedAtMs == nil
            else {
                throw ControlError.conflict("there is no MFA enrolment waiting to be confirmed")
            }
            let totp = try self.totp(record, tenant: tenant)
            guard totp.isWellFormed(code.reveal) else {
                throw ControlError.badRequest("code must be \(totp.digits) digits")
            }
            guard let step = totp.verify(
                code.reveal, at: now, lastUsedStep: nil, skew: Self.totpSkewSteps)
            else { return false }

            _ = try transaction.confirmMFASecret(scope, member: member, step: step, nowMs: now)
            try transaction.replaceRecoveryCodes(scope, member: member, hashes: hashes, nowMs: now)
            try audit(
                transaction, scope, caller.actor, .mfaConfirm,
                target: "member:\(member.rawValue)", at: now)
            return true
        }
    }

    /// An admin resets a member's MFA: the enrolment and recovery codes are deleted and the
    /// member must enrol again (at once, where the tenant enforces MFA).
    public func resetMFA(_ caller: Caller, member: MemberID, now: Int64) throws -> Bool {
        try caller.require(.manageSecurity)
        guard member != caller.member else {
            throw ControlError.forbidden("you cannot reset your own MFA; ask another admin")
        }
        let target = try requireMember(caller, member)
        if target.role == .owner && caller.role != .owner {
            throw ControlError.forbidden("only an owner may reset an owner's MFA")
        }
        return try resetMFA(tenant: caller.tenant, member: member, actor: caller.actor, now: now)
    }

    /// Deletes `member`'s enrolment and recovery codes; false when there was none.
    public func resetMFA(tenant: TenantID, member: MemberID, actor: Actor, now: Int64) throws
        -> Bool
    {
        let scope = TenantScope(tenant)
        return try store.write { transaction in
            guard try transaction.member(scope, id: member) != nil else {
                throw ControlError.notFound("member \(member.rawValue) not found")
            }
            guard try transaction.deleteMFA(scope, member: member) else { return false }
            // Sessions signed in with the old factor end with it.
            try transaction.deleteCredentials(.session, scope, member: member)
            try audit(
                transaction, scope, actor, .mfaReset, target: "member:\(member.rawValue)",
                at: now)
            return true
        }
    }

    // MARK: - Shared

    /// The TOTP generator of a stored enrolment, its secret unsealed.
    func totp(_ record: MFASecretRecord, tenant: TenantID) throws -> TOTP {
        guard let algorithm = TOTP.Algorithm(rawValue: record.algorithm) else {
            throw ControlError.conflict("stored MFA algorithm \(record.algorithm) is unknown")
        }
        let secret = try mfa.open(record.sealedSecret, tenant: tenant, member: record.member)
        return TOTP(
            secret: secret, algorithm: algorithm, digits: record.digits,
            periodSeconds: record.periodSeconds)
    }

    /// Audits a wrong second factor as `mfa.failure` (`checkThrottle` counted it already)
    /// and throws `.unauthorized`.
    func failedSecondFactor(
        tenant: TenantID, member: MemberID, actor: Actor, method: String, stage: String,
        now: Int64
    ) throws -> Never {
        try store.write { transaction in
            try audit(
                transaction, TenantScope(tenant), actor, .mfaFailure,
                target: "member:\(member.rawValue)", at: now,
                metadata: ["method": method, "stage": stage])
        }
        throw ControlError.unauthorized("wrong or already used code")
    }
}

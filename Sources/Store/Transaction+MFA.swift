import Wire

/// A tenant's MFA policy. A tenant without a stored policy is `.optional`.
public enum MFAPolicy: String, Sendable, CaseIterable {
    /// No second factor: enrolment is refused and logins ask for none.
    case disabled
    /// Members may enrol; a member who has enrolled must use it to log in.
    case optional
    /// Every member must enrol; until then a member may do nothing but enrol.
    case enforced

    public static let `default` = MFAPolicy.optional
}

/// A member's TOTP enrolment: the secret sealed under the MFA key (never stored in clear),
/// its parameters, whether it was confirmed, and the last time step accepted.
public struct MFASecretRecord: Sendable, Equatable {
    public let member: MemberID
    /// `nonce || ciphertext || tag`, see `Crypto.SecretBox`.
    public let sealedSecret: [UInt8]
    /// "SHA1", "SHA256" or "SHA512".
    public let algorithm: String
    public let digits: Int
    public let periodSeconds: Int64
    /// Unix time in ms; nil while the enrolment waits for its first code.
    public let confirmedAtMs: Int64?
    /// The last TOTP time step accepted; codes of this step or earlier are refused.
    public let lastStep: Int64?
}

extension ReadTransaction {
    /// The tenant's MFA policy (`.optional` when none was set).
    public func mfaPolicy(_ scope: TenantScope) throws -> MFAPolicy {
        let rows = try scoped(scope, "SELECT policy FROM mfa_policies WHERE tenant_id = ?1")
        return rows.first.flatMap { MFAPolicy(rawValue: $0.text(0)) } ?? .default
    }

    public func mfaSecret(_ scope: TenantScope, member: MemberID) throws -> MFASecretRecord? {
        try scoped(
            scope, """
                SELECT member_id, sealed_secret, algorithm, digits, period_s, confirmed_at_ms,
                    last_step
                FROM mfa_secrets WHERE tenant_id = ?1 AND member_id = ?2
                """,
            [.integer(member.rawValue)]
        ).first.map { row in
            MFASecretRecord(
                member: MemberID(row.int(0)), sealedSecret: row.blob(1), algorithm: row.text(2),
                digits: Int(row.int(3)), periodSeconds: row.int(4),
                confirmedAtMs: row.optionalInt(5), lastStep: row.optionalInt(6))
        }
    }

    /// How many of the member's recovery codes are still unused.
    public func unusedRecoveryCodes(_ scope: TenantScope, member: MemberID) throws -> Int {
        let rows = try scoped(
            scope, """
                SELECT count(*) FROM mfa_recovery_codes
                WHERE tenant_id = ?1 AND member_id = ?2 AND used_at_ms IS NULL
                """,
            [.integer(member.rawValue)])
        return Int(rows.first?.int(0) ?? 0)
    }
}

extension WriteTransaction {
    /// Sets the tenant's policy; false when it already was `policy`.
    public func setMFAPolicy(_ scope: TenantScope, _ policy: MFAPolicy, nowMs: Int64) throws
        -> Bool
    {
        guard try mfaPolicy(scope) != policy else { return false }
        _ = try scoped(
            scope, """
                INSERT INTO mfa_policies (tenant_id, policy, changed_at_ms) VALUES (?1, ?2, ?3)
                ON CONFLICT (tenant_id) DO UPDATE SET policy = ?2, changed_at_ms = ?3
                """,
            [.text(policy.rawValue), .integer(nowMs)])
        return true
    }

    /// Stores a new, unconfirmed enrolment for `member`, replacing an unconfirmed one.
    /// A confirmed enrolment is never replaced here (see `deleteMFA`).
    public func putPendingMFASecret(
        _ scope: TenantScope, member: MemberID, sealedSecret: [UInt8], algorithm: String,
        digits: Int, periodSeconds: Int64, nowMs: Int64
    ) throws {
        _ = try scoped(
            scope, """
                INSERT INTO mfa_secrets (tenant_id, member_id, sealed_secret, algorithm, digits,
                    period_s, created_at_ms)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT (tenant_id, member_id) DO UPDATE SET sealed_secret = ?3,
                    algorithm = ?4, digits = ?5, period_s = ?6, created_at_ms = ?7,
                    last_step = NULL
                WHERE mfa_secrets.confirmed_at_ms IS NULL
                """,
            [.integer(member.rawValue), .blob(sealedSecret), .text(algorithm),
             .integer(Int64(digits)), .integer(periodSeconds), .integer(nowMs)])
    }

    /// Marks the enrolment confirmed at `step`; false when there was no pending one.
    public func confirmMFASecret(_ scope: TenantScope, member: MemberID, step: Int64, nowMs: Int64)
        throws -> Bool
    {
        _ = try scoped(
            scope, """
                UPDATE mfa_secrets SET confirmed_at_ms = ?3, last_step = ?4
                WHERE tenant_id = ?1 AND member_id = ?2 AND confirmed_at_ms IS NULL
                """,
            [.integer(member.rawValue), .integer(nowMs), .integer(step)])
        return changes == 1
    }

    /// Records `step` as used, only if it is later than the last used step; false when it
    /// is not (the code was already used, possibly by a concurrent request).
    public func advanceMFAStep(_ scope: TenantScope, member: MemberID, to step: Int64) throws
        -> Bool
    {
        _ = try scoped(
            scope, """
                UPDATE mfa_secrets SET last_step = ?3
                WHERE tenant_id = ?1 AND member_id = ?2 AND confirmed_at_ms IS NOT NULL
                    AND (last_step IS NULL OR last_step < ?3)
                """,
            [.integer(member.rawValue), .integer(step)])
        return changes == 1
    }

    /// Replaces the member's recovery codes with `hashes`.
    public func replaceRecoveryCodes(
        _ scope: TenantScope, member: MemberID, hashes: [[UInt8]], nowMs: Int64
    ) throws {
        _ = try scoped(
            scope, "DELETE FROM mfa_recovery_codes WHERE tenant_id = ?1 AND member_id = ?2",
            [.integer(member.rawValue)])
        for hash in hashes {
            _ = try scoped(
                scope, """
                    INSERT INTO mfa_recovery_codes (tenant_id, code_hash, member_id,
                        created_at_ms)
                    VALUES (?1, ?2, ?3, ?4)
                    """,
                [.blob(hash), .integer(member.rawValue), .integer(nowMs)])
        }
    }

    /// Marks one unused recovery code of `member` used; false when none matches.
    public func useRecoveryCode(_ scope: TenantScope, member: MemberID, hash: [UInt8], nowMs: Int64)
        throws -> Bool
    {
        _ = try scoped(
            scope, """
                UPDATE mfa_recovery_codes SET used_at_ms = ?4
                WHERE tenant_id = ?1 AND member_id = ?2 AND code_hash = ?3
                    AND used_at_ms IS NULL
                """,
            [.integer(member.rawValue), .blob(hash), .integer(nowMs)])
        return changes == 1
    }

    /// Removes the member's enrolment, recovery codes and open login challenges; false when
    /// there was no enrolment. The journal is scrubbed after the commit.
    public func deleteMFA(_ scope: TenantScope, member: MemberID) throws -> Bool {
        _ = try scoped(
            scope, "DELETE FROM mfa_secrets WHERE tenant_id = ?1 AND member_id = ?2",
            [.integer(member.rawValue)])
        let existed = changes == 1
        _ = try scoped(
            scope, "DELETE FROM mfa_recovery_codes WHERE tenant_id = ?1 AND member_id = ?2",
            [.integer(member.rawValue)])
        try deleteCredentials(.mfaChallenge, scope, member: member)
        scrubJournalAfterCommit()
        return existed
    }
}

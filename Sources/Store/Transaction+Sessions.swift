import Wire

/// A stored login session or invitation: the SHA-256 of its token, never the token.
public struct CredentialRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let member: MemberID
    /// Unix time in ms.
    public let expiresAtMs: Int64
}

/// The hashed bearer credentials that are not join tokens: login sessions, invitations and
/// MFA login challenges. Each is found by hash without a scope (the token names its
/// tenant) and removed within a scope.
public enum CredentialKind: String, Sendable {
    case session = "login_sessions"
    case invitation = "invitations"
    /// The second step of a login for a member with MFA (see migration 3).
    case mfaChallenge = "mfa_challenges"
}

extension ReadTransaction {
    public func credential(_ kind: CredentialKind, hash: [UInt8]) throws -> CredentialRecord? {
        try capability(
            hash, "SELECT tenant_id, member_id, expires_at_ms FROM \(kind.rawValue) "
                + "WHERE token_hash = ?1",
            [.blob(hash)]
        ).first.map {
            CredentialRecord(
                tenant: TenantID($0.int(0)), member: MemberID($0.int(1)), expiresAtMs: $0.int(2))
        }
    }
}

extension WriteTransaction {
    public func insertCredential(
        _ kind: CredentialKind, _ scope: TenantScope, hash: [UInt8], member: MemberID,
        nowMs: Int64, expiresAtMs: Int64
    ) throws {
        _ = try scoped(
            scope, """
                INSERT INTO \(kind.rawValue) (tenant_id, token_hash, member_id, created_at_ms,
                    expires_at_ms)
                VALUES (?1, ?2, ?3, ?4, ?5)
                """,
            [.blob(hash), .integer(member.rawValue), .integer(nowMs), .integer(expiresAtMs)])
    }

    /// Deletes one credential; false when it was not there.
    public func deleteCredential(_ kind: CredentialKind, _ scope: TenantScope, hash: [UInt8])
        throws -> Bool
    {
        _ = try scoped(
            scope, "DELETE FROM \(kind.rawValue) WHERE tenant_id = ?1 AND token_hash = ?2",
            [.blob(hash)])
        return changes == 1
    }

    /// Deletes every credential of `member`; returns how many.
    @discardableResult
    public func deleteCredentials(_ kind: CredentialKind, _ scope: TenantScope, member: MemberID)
        throws -> Int
    {
        _ = try scoped(
            scope, "DELETE FROM \(kind.rawValue) WHERE tenant_id = ?1 AND member_id = ?2",
            [.integer(member.rawValue)])
        return changes
    }
}

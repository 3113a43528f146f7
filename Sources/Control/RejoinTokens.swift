import Crypto
import Store
import Wire

/// Rejoin tokens: a join token handed to a client with each admitted media session, so the
/// client can come back by itself when its connection or its node is lost.
///
/// It is an ordinary join token (single use, hashed, bound to one member and channel, every
/// check of `redeemJoinToken` applies again), issued with a short lifetime that the node
/// serving the session keeps moving forward while the session is live. When the session
/// ends without a DELETE (the node died, the network changed) the token outlives it by that
/// grace and no longer; a DELETE withdraws it at once.
extension ControlPlane {
    /// Issues the rejoin token of a session just admitted for `admission`.
    /// - Parameters:
    ///   - graceSeconds: how long the token stays valid without an extension.
    ///   - now: Unix time in ms.
    public func issueRejoinToken(
        for admission: Admission, graceSeconds: Int, now: Int64, ip: String? = nil,
        requestID: String? = nil
    ) throws -> Secret<String> {
        try issueJoinToken(
            tenant: admission.tenant, channel: admission.channel, member: admission.member,
            ttlSeconds: graceSeconds, now: now,
            actor: Actor(.member(admission.tenant, admission.member), ip: ip,
                         requestID: requestID),
            rejoin: true)
    }

    /// Moves the expiry of each unused token (by tenant and SHA-256) to `untilMs`, in one
    /// transaction. Returns the hashes that could not be extended (used or deleted).
    public func extendJoinTokens(_ tokens: [(TenantID, [UInt8])], untilMs: Int64) throws
        -> [[UInt8]]
    {
        guard !tokens.isEmpty else { return [] }
        return try store.write { transaction in
            var gone: [[UInt8]] = []
            for (tenant, hash) in tokens {
                let kept = try transaction.extendJoinToken(
                    TenantScope(tenant), hash: hash, untilMs: untilMs)
                if !kept { gone.append(hash) }
            }
            return gone
        }
    }

    /// Spends an unused token without admitting anyone (a session's rejoin token when its
    /// client leaves with DELETE). Returns false if it was already used or is unknown.
    @discardableResult
    public func withdrawJoinToken(tenant: TenantID, hash: [UInt8], now: Int64) throws -> Bool {
        try store.write { transaction in
            try transaction.markJoinTokenUsed(TenantScope(tenant), hash: hash, nowMs: now)
        }
    }

    /// Whether `member` may still be in `channel`: not removed, a role that may join,
    /// still assigned, and not held back by an MFA policy it does not meet. Used to
    /// re-check live sessions when revocation notices may have been missed.
    public func mayStillJoin(tenant: TenantID, member: MemberID, channel: ChannelID) throws
        -> Bool
    {
        let scope = TenantScope(tenant)
        return try store.read { transaction in
            guard let record = try transaction.member(scope, id: member),
                record.status != .removed, record.role.permissions.contains(.joinChannel),
                try transaction.isAssigned(scope, member: member, channel: channel)
            else { return false }
            return try !Self.mustEnrol(transaction, scope, member)
        }
    }
}

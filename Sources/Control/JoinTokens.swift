import Crypto
import Store
import Wire

/// Why a join token was refused. Descriptions are safe to show to the client and to log:
/// they never contain the token.
public enum JoinTokenError: Error, Equatable, CustomStringConvertible {
    case malformed
    case unknown
    case expired
    case alreadyUsed
    case memberNotAllowed

    public var description: String {
        switch self {
        case .malformed:
            return "join token is malformed (expected wjt_ and 43 base64url characters)"
        case .unknown: return "join token is not known"
        case .expired: return "join token has expired"
        case .alreadyUsed: return "join token was already used"
        case .memberNotAllowed: return "member is not allowed in this channel"
        }
    }
}

/// What a redeemed join token admits: one member of one tenant into one channel.
public struct Admission: Sendable, Equatable {
    public let tenant: TenantID
    public let channel: ChannelID
    public let member: MemberID
    public let tenantSlug: String
    public let channelName: String
    public let memberHandle: String
}

/// Join tokens: "wjt_" + 32 random bytes in base64url, single use, short-lived, bound to a
/// tenant, a channel and a member. Only the token's SHA-256 is stored.
extension ControlPlane {
    static let joinTokenPrefix = "wjt_"
    /// Bounds of a join token's lifetime, in seconds.
    public static let joinTokenTTLRange = 1...3_600

    /// Issues a join token for `member` (handle) to enter `channel` (name) of `tenant`
    /// (slug). The member must exist, not be removed, and be assigned to the channel.
    /// - Parameters:
    ///   - ttlSeconds: lifetime, within `joinTokenTTLRange`.
    ///   - now: Unix time in ms.
    public func issueJoinToken(
        tenant: String, channel: String, member: String, ttlSeconds: Int = 300, now: Int64,
        actor: Actor
    ) throws -> Secret<String> {
        let tenantID = try tenantID(slug: tenant)
        let channelID = try channelID(tenant: tenantID, name: channel)
        let memberID = try memberID(tenant: tenantID, handle: member)
        return try issueJoinToken(
            tenant: tenantID, channel: channelID, member: memberID, ttlSeconds: ttlSeconds,
            now: now, actor: actor)
    }

    /// Issues a join token by ids; see `issueJoinToken(tenant:channel:member:...)`.
    /// `rejoin` marks, in the audit entry, the token handed out with an admitted session.
    public func issueJoinToken(
        tenant: TenantID, channel: ChannelID, member: MemberID, ttlSeconds: Int = 300,
        now: Int64, actor: Actor, rejoin: Bool = false
    ) throws -> Secret<String> {
        guard Self.joinTokenTTLRange.contains(ttlSeconds) else {
            throw ControlError.badRequest(
                "join token lifetime must be \(Self.joinTokenTTLRange.lowerBound) to "
                    + "\(Self.joinTokenTTLRange.upperBound) seconds")
        }
        let token = Self.joinTokenPrefix + Base64URL.encode(SecureRandom.bytes(32))
        let hash = Digest.sha256(token)
        let scope = TenantScope(tenant)
        let expires = now + Int64(ttlSeconds) * 1_000

        try store.write { transaction in
            let (memberRecord, _) = try requireMemberAndChannel(
                transaction, scope, member: member, channel: channel)
            guard memberRecord.status != .removed,
                memberRecord.role.permissions.contains(.joinChannel),
                try transaction.isAssigned(scope, member: member, channel: channel)
            else { throw JoinTokenError.memberNotAllowed }
            if try Self.mustEnrol(transaction, scope, member) {
                throw ControlError.forbidden(
                    "this tenant requires MFA and the member has not enrolled")
            }

            try transaction.insertJoinToken(
                scope, hash: hash, channel: channel, member: member, nowMs: now,
                expiresAtMs: expires)
            try audit(
                transaction, scope, actor, .joinTokenIssue, target: "member:\(member.rawValue)",
                at: now,
                metadata: ["channel": channel.rawValue, "expires_at_ms": expires]
                    .merging(rejoin ? ["rejoin": true] : [:]) { first, _ in first })
        }
        return Secret(token)
    }

    /// Redeems a join token once: checks its form, that it exists, is unused and unexpired,
    /// and that its member is still allowed in its channel; then marks it used in the same
    /// transaction. - Parameter now: Unix time in ms.
    /// `ip` and `requestID` come from the HTTP request and go into the audit event.
    public func redeemJoinToken(
        _ token: String, now: Int64, ip: String? = nil, requestID: String? = nil
    ) throws -> Admission {
        guard Self.isWellFormedJoinToken(token) else { throw JoinTokenError.malformed }
        let hash = Digest.sha256(token)

        return try store.write { transaction in
            guard let record = try transaction.joinToken(hash: hash) else {
                throw JoinTokenError.unknown
            }
            guard record.usedAtMs == nil else { throw JoinTokenError.alreadyUsed }
            guard now < record.expiresAtMs else { throw JoinTokenError.expired }

            let scope = TenantScope(record.tenant)
            guard let tenant = try transaction.tenant(id: record.tenant),
                let channel = try transaction.channel(scope, id: record.channel),
                let member = try transaction.member(scope, id: record.member),
                member.status != .removed,
                // The role is checked again: a member demoted to auditor since the token
                // was issued (a rejoin token, say) does not come back.
                member.role.permissions.contains(.joinChannel),
                try transaction.isAssigned(scope, member: member.id, channel: channel.id)
            else { throw JoinTokenError.memberNotAllowed }
            // A token minted before the tenant began enforcing MFA does not outlive it.
            guard try !Self.mustEnrol(transaction, scope, member.id) else {
                throw JoinTokenError.memberNotAllowed
            }

            guard try transaction.markJoinTokenUsed(scope, hash: hash, nowMs: now) else {
                throw JoinTokenError.alreadyUsed
            }
            let actor = Actor(.member(tenant.id, member.id), ip: ip, requestID: requestID)
            try audit(
                transaction, scope, actor, .joinTokenRedeem,
                target: "channel:\(channel.id.rawValue)", at: now,
                metadata: ["member": member.id.rawValue])
            return Admission(
                tenant: tenant.id, channel: channel.id, member: member.id,
                tenantSlug: tenant.slug, channelName: channel.name, memberHandle: member.handle)
        }
    }

    /// The record of a join token that could still be redeemed at `now` (well formed,
    /// known, unused, unexpired), without spending it; for routing a join to its node.
    public func usableJoinToken(_ token: String, now: Int64) throws -> JoinTokenRecord {
        guard Self.isWellFormedJoinToken(token) else { throw JoinTokenError.malformed }
        guard let record = try store.read({ try $0.joinToken(hash: Digest.sha256(token)) })
        else { throw JoinTokenError.unknown }
        guard record.usedAtMs == nil else { throw JoinTokenError.alreadyUsed }
        guard now < record.expiresAtMs else { throw JoinTokenError.expired }
        return record
    }

    public static func isWellFormedJoinToken(_ token: String) -> Bool {
        guard token.utf8.count == joinTokenPrefix.utf8.count + 43,
            token.hasPrefix(joinTokenPrefix)
        else { return false }
        let body = String(token.dropFirst(joinTokenPrefix.count))
        return Base64URL.decode(body)?.count == 32
    }
}

import Crypto
import Foundation
import Store
import Wire

/// A signed-in member, as established by `authenticate`. Only the control plane makes
/// these, so holding one means a valid session was presented.
public struct Caller: Sendable, Equatable {
    public let tenant: TenantID
    public let member: MemberID
    public let handle: String
    public let role: MemberRole
    /// The client's IP and request id, for audit.
    public let actor: Actor
    /// True when the tenant enforces MFA and this member has not enrolled yet: until they
    /// do, every permission is refused and only enrolment is open to them.
    public internal(set) var mustEnrolMFA = false

    var scope: TenantScope { TenantScope(tenant) }

    /// Throws `.forbidden` unless the caller's role grants `permission` (and, where the
    /// tenant enforces MFA, the caller has enrolled).
    public func require(_ permission: Permission) throws {
        guard !mustEnrolMFA else {
            throw ControlError.forbidden(
                "this tenant requires MFA: enrol at POST /v1/mfa/enroll and confirm first")
        }
        guard role.permissions.contains(permission) else {
            throw ControlError.forbidden("role \(role.rawValue) may not \(permission.rawValue)")
        }
    }
}

/// A successful login: the session token (shown once) and when it expires.
public struct LoginResult: Sendable {
    public let token: Secret<String>
    /// Unix time in ms.
    public let expiresAtMs: Int64
    public let tenant: TenantID
    public let member: MemberID
    public let role: MemberRole
    /// True when the tenant enforces MFA and the member must enrol before anything else.
    public internal(set) var mustEnrolMFA = false
}

/// Failed-login counters, shared by every thread that logs people in.
final class LoginThrottles {
    private let lock = NSLock()
    private var accounts = LoginThrottle(limit: 5, windowMs: 15 * 60_000)
    private var addresses = LoginThrottle(limit: 50, windowMs: 15 * 60_000)
    /// Login attempts refused because a throttle was closed.
    private(set) var refusals: UInt64 = 0

    /// Takes an attempt from the account's and the address's allowance before the
    /// password is checked (so guesses sent side by side cannot all pass), or returns the
    /// seconds to wait when either is used up.
    func begin(account: String, ip: String?, now: Int64) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let byIP = ip.flatMap { addresses.retryAfter($0, now: now) }
        if let wait = [accounts.retryAfter(account, now: now), byIP].compactMap({ $0 }).max() {
            refusals += 1
            return wait
        }
        accounts.recordFailure(account, now: now)
        if let ip { addresses.recordFailure(ip, now: now) }
        return nil
    }

    var refusalCount: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return refusals
    }

    /// The password was right: the account starts over, the address gets its attempt back.
    func succeeded(account: String, ip: String?, now: Int64) {
        lock.lock()
        accounts.reset(account)
        if let ip { addresses.giveBack(ip, now: now) }
        lock.unlock()
    }
}

/// Login, sessions and invitations. Session tokens are "wst_" and invitation tokens
/// "wit_" + 32 random bytes in base64url; only their SHA-256 is stored.
extension ControlPlane {
    /// How long a login session lasts, in ms.
    public static let sessionLifetimeMs: Int64 = 12 * 3_600_000
    /// How long an invitation can be accepted, in ms.
    public static let invitationLifetimeMs: Int64 = 7 * 24 * 3_600_000

    /// Logs a member in with their password alone. A member who must give a second factor
    /// is refused with `.unauthorized`; the HTTPS API uses `beginLogin` instead. Wrong
    /// tenant, handle or password all answer `.unauthorized` with the same message; too
    /// many failures answer `.tooManyRequests`.
    public func login(
        tenant slug: String, handle: String, password: Secret<String>, ip: String?, now: Int64,
        requestID: String? = nil
    ) throws -> LoginResult {
        let member = try checkPassword(
            tenant: slug, handle: handle, password: password, ip: ip, now: now,
            requestID: requestID)
        guard try !needsSecondFactor(member) else {
            throw ControlError.unauthorized("this member logs in with a second factor")
        }
        let actor = Actor(.member(member.tenant, member.id), ip: ip, requestID: requestID)
        return try store.write { transaction in
            try openSession(transaction, member, actor: actor, now: now)
        }
    }

    /// The member whose password this is, or `.unauthorized` (audited as `login.failure`
    /// when the member exists); throttled per account and per IP, each attempt counted
    /// before its (slow) check.
    func checkPassword(
        tenant slug: String, handle: String, password: Secret<String>, ip: String?, now: Int64,
        requestID: String?
    ) throws -> MemberRecord {
        let account = "\(slug)/\(handle)"
        if let seconds = loginThrottles.begin(account: account, ip: ip, now: now) {
            throw ControlError.tooManyRequests(retryAfterSeconds: seconds)
        }
        let refused = ControlError.unauthorized("wrong tenant, handle or password")

        let found = try store.read { transaction -> (MemberRecord, String?)? in
            guard let tenant = try transaction.tenant(slug: slug),
                let member = try transaction.member(TenantScope(tenant.id), handle: handle)
            else { return nil }
            return (member, try transaction.passwordHash(TenantScope(tenant.id), member: member.id))
        }
        guard let (member, hash) = found, let hash, member.status == .active,
            Passwords.verify(password, encoded: hash)
        else {
            if found == nil { _ = Passwords.verify(password, encoded: Passwords.decoy) }
            if let member = found?.0 {
                let actor = Actor(.member(member.tenant, member.id), ip: ip, requestID: requestID)
                try store.write { transaction in
                    try audit(
                        transaction, TenantScope(member.tenant), actor, .loginFailure,
                        target: "member:\(member.id.rawValue)", at: now)
                }
            } else if let tenant = try store.read({ try $0.tenant(slug: slug) }) {
                // A guessed handle leaves a trace too (password spraying), under the
                // tenant it aimed at; the handle is kept as given, cut to 64 characters.
                let actor = Actor(.system, ip: ip, requestID: requestID)
                try store.write { transaction in
                    try audit(
                        transaction, TenantScope(tenant.id), actor, .loginFailure,
                        target: "handle:unknown", at: now,
                        metadata: ["handle": String(handle.prefix(64))])
                }
            }
            throw refused
        }
        loginThrottles.succeeded(account: account, ip: ip, now: now)
        return member
    }

    /// Starts a session for `member` in `transaction` and audits the login.
    /// - Parameter secondFactor: how the second factor was given, if one was.
    func openSession(
        _ transaction: WriteTransaction, _ member: MemberRecord, actor: Actor, now: Int64,
        secondFactor: String? = nil
    ) throws -> LoginResult {
        let token = "wst_" + Base64URL.encode(SecureRandom.bytes(32))
        let expires = now + Self.sessionLifetimeMs
        let scope = TenantScope(member.tenant)
        try transaction.insertCredential(
            .session, scope, hash: Digest.sha256(token), member: member.id, nowMs: now,
            expiresAtMs: expires)
        try audit(
            transaction, scope, actor, .login, target: "member:\(member.id.rawValue)", at: now,
            metadata: secondFactor.map { ["second_factor": $0] } ?? [:])

        var result = LoginResult(
            token: Secret(token), expiresAtMs: expires, tenant: member.tenant, member: member.id,
            role: member.role)
        result.mustEnrolMFA = try Self.mustEnrol(transaction, scope, member.id)
        return result
    }

    /// The caller a session token stands for, or `.unauthorized` (unknown, expired, or the
    /// member is no longer active).
    public func authenticate(
        session token: String, now: Int64, ip: String? = nil, requestID: String? = nil
    ) throws -> Caller {
        let refused = ControlError.unauthorized("session is not valid; log in again")
        guard token.hasPrefix("wst_"), token.utf8.count == 47 else { throw refused }
        let found = try store.read { transaction -> (MemberRecord, Bool)? in
            guard let session = try transaction.credential(.session, hash: Digest.sha256(token)),
                now < session.expiresAtMs,
                let member = try transaction.member(TenantScope(session.tenant), id: session.member)
            else { return nil }
            return (member, try Self.mustEnrol(transaction, TenantScope(member.tenant), member.id))
        }
        guard let (record, mustEnrol) = found, record.status == .active else { throw refused }
        var caller = Caller(
            tenant: record.tenant, member: record.id, handle: record.handle, role: record.role,
            actor: Actor(.member(record.tenant, record.id), ip: ip, requestID: requestID))
        caller.mustEnrolMFA = mustEnrol
        return caller
    }

    /// Ends a session. Unknown tokens are ignored (logging out twice is not an error). The
    /// audit event carries the client's `ip` and `requestID` like every other.
    public func logout(
        session token: String, now: Int64, ip: String? = nil, requestID: String? = nil
    ) throws {
        guard let caller = try? authenticate(
            session: token, now: now, ip: ip, requestID: requestID)
        else { return }
        try store.write { transaction in
            guard try transaction.deleteCredential(
                .session, caller.scope, hash: Digest.sha256(token))
            else { return }
            try audit(
                transaction, caller.scope, caller.actor, .logout,
                target: "member:\(caller.member.rawValue)", at: now)
        }
    }
}

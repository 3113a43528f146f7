import Crypto
import Foundation
import Logging
import Store
import Wire

/// The control plane: tenants, members, channels, assignments and join tokens over the
/// store. Each change and its audit event commit in one transaction.
///
/// Threading: every method may be called from any thread; the store serializes writes.
/// Revocation handlers run on the thread whose change caused them, after the commit.
public final class ControlPlane {
    static let logger = Logger("control")

    /// The store this control plane reads and writes.
    public let store: Store
    let clock: () -> Int64

    /// Failed-login counters per account and per client IP.
    let loginThrottles = LoginThrottles()

    /// The audit log's signing key, checkpoint file and checkpoint interval.
    public let auditSettings = AuditSettings()
    /// Run inside a channel deletion's transaction (recording deletes its files there).
    let channelDeletionHooks = ChannelDeletionHooks()
    /// Seals TOTP secrets, hashes recovery codes, throttles second-factor attempts.
    let mfa: MFAVault

    private let handlerLock = NSLock()
    private var revocationHandlers: [(Revocation) -> Void] = []

    /// - Parameters:
    ///   - clock: the current Unix time in ms; tests pass a manual clock.
    ///   - mfaKey: 32 bytes that seal TOTP secrets (see `MFAKey`); without it MFA
    ///     enrolment is refused.
    public init(
        store: Store, clock: @escaping () -> Int64 = ControlPlane.wallClockMilliseconds,
        mfaKey: Secret<[UInt8]>? = nil
    ) {
        self.store = store
        self.clock = clock
        self.mfa = MFAVault(key: mfaKey)
    }

    /// The current Unix time in ms from the system clock.
    public static func wallClockMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    /// Registers `handler` to hear about every admission that stops holding: a member
    /// removed, a role changed, an assignment removed, a channel deleted. It is called after
    /// the change commits, on the committing thread; it should hand the event to the media
    /// plane's queue and return at once.
    public func onRevocation(_ handler: @escaping (Revocation) -> Void) {
        handlerLock.lock()
        revocationHandlers.append(handler)
        handlerLock.unlock()
    }

    /// Arranges for `revocations` to be announced once `transaction` commits.
    func announce(_ revocations: [Revocation], after transaction: WriteTransaction) {
        guard !revocations.isEmpty else { return }
        transaction.afterCommit { [weak self] in
            guard let self else { return }
            self.handlerLock.lock()
            let handlers = self.revocationHandlers
            self.handlerLock.unlock()
            for revocation in revocations {
                for handler in handlers { handler(revocation) }
            }
        }
    }

    /// Appends an audit event for `actor` to `scope`'s log in `transaction`, so that it
    /// commits or rolls back with the change it records. Metadata must not hold a secret:
    /// keys that name one (password, secret, token) are refused. When the entry's seq is a
    /// multiple of `auditSettings.checkpointEvery`, a signed checkpoint follows the commit.
    func audit(
        _ transaction: WriteTransaction, _ scope: TenantScope, _ actor: Actor,
        _ action: AuditAction, target: String, at nowMs: Int64, metadata: [String: Any] = [:]
    ) throws {
        let seq = try transaction.appendAudit(
            scope, try Self.auditEntry(actor, action, target: target, at: nowMs, metadata))
        let settings = auditSettings
        if seq % settings.checkpointEvery == 0, settings.signer != nil {
            transaction.afterCommit { [weak self] in
                do {
                    try self?.checkpointAudit(tenant: scope.tenant, now: nowMs)
                } catch {
                    // The change and its entry are committed; the checkpoint is signed by
                    // the next one, or its line appended then (see `checkpointAudit`).
                    Self.logger.error(
                        "audit checkpoint failed", ["tenant.id": "\(scope.tenant.rawValue)",
                                                    "error": "\(error)"])
                }
            }
        }
    }

    static func auditEntry(
        _ actor: Actor, _ action: AuditAction, target: String, at nowMs: Int64,
        _ metadata: [String: Any]
    ) throws -> AuditEntry {
        for key in metadata.keys {
            let lower = key.lowercased()
            guard !["password", "secret", "token"].contains(where: lower.hasSuffix)
                && !lower.contains("password") && !lower.contains("secret")
            else {
                throw ControlError.badRequest("audit metadata key \"\(key)\" names a secret")
            }
        }
        let json = try JSONSerialization.data(
            withJSONObject: metadata, options: [.sortedKeys, .withoutEscapingSlashes])
        return AuditEntry(
            actor: actor.description, action: action.rawValue, target: target, atMs: nowMs,
            ip: actor.ip, requestID: actor.requestID,
            metadataJSON: String(decoding: json, as: UTF8.self))
    }
}

import Control
import Crypto
import Foundation
import Logging
import Relay
import Synchronization
import Wire

/// Keeps the rejoin tokens of this node's live sessions valid.
///
/// Each admitted session gets a rejoin token (see `ControlPlane.issueRejoinToken`) that
/// expires `graceSeconds` after it was issued. Every third of that, this keeper moves the
/// expiry of the tokens whose sessions are still live here to now + grace, and forgets the
/// tokens of sessions that ended. So a client may rejoin within the grace after its session
/// is lost, whatever the cause (this node died, its network moved, the channel moved to
/// another node), and a token is worthless once its session has been gone that long.
///
/// Threading: `track` and `withdraw` run on HTTP threads; one thread extends.
final class RejoinKeeper: @unchecked Sendable {
    static let logger = Logger("rejoin")

    struct Token {
        let tenant: TenantID
        let hash: [UInt8]
    }

    let graceSeconds: Int
    private let control: ControlPlane
    private let relay: Relay
    private let tokens = Mutex<[SessionID: Token]>([:])
    private let stopped = DispatchSemaphore(value: 0)

    init(graceSeconds: Int, control: ControlPlane, relay: Relay) {
        self.graceSeconds = graceSeconds
        self.control = control
        self.relay = relay
    }

    /// Issues the rejoin token of session `id`, admitted for `admission`, and keeps it.
    func issue(
        for id: SessionID, admission: Admission, ip: String?, requestID: String?
    ) throws -> Secret<String> {
        let token = try control.issueRejoinToken(
            for: admission, graceSeconds: graceSeconds, now: unixMillis(), ip: ip,
            requestID: requestID)
        let kept = Token(tenant: admission.tenant, hash: Digest.sha256(token.reveal))
        tokens.withLock { $0[id] = kept }
        return token
    }

    /// The client of `id` left on purpose: its rejoin token is spent at once.
    func withdraw(_ id: SessionID) {
        guard let token = tokens.withLock({ $0.removeValue(forKey: id) }) else { return }
        do {
            try control.withdrawJoinToken(tenant: token.tenant, hash: token.hash, now: unixMillis())
        } catch {
            Self.logger.error("rejoin token not withdrawn", ["error": "\(error)"])
        }
    }

    func start() {
        let thread = Thread { [self] in
            let interval = Double(graceSeconds) / 3
            while stopped.wait(timeout: .now() + interval) == .timedOut { extend() }
        }
        thread.name = "whoot-rejoin"
        thread.start()
    }

    func stop() {
        stopped.signal()
    }

    /// One turn: extends the tokens of live sessions, forgets those of ended ones.
    func extend() {
        let live = Set(relay.sessions().map(\.id))
        let current = tokens.withLock { tokens -> [(SessionID, Token)] in
            for id in tokens.keys where !live.contains(id) { tokens.removeValue(forKey: id) }
            return tokens.map { ($0.key, $0.value) }
        }
        guard !current.isEmpty else { return }
        do {
            let gone = try control.extendJoinTokens(
                current.map { ($0.1.tenant, $0.1.hash) },
                untilMs: unixMillis() + Int64(graceSeconds) * 1_000)
            guard !gone.isEmpty else { return }
            // Used elsewhere (a second tab rejoined with it) or deleted with its member or
            // channel: nothing left to keep alive.
            let spent = Set(gone)
            tokens.withLock { tokens in
                for (id, token) in tokens where spent.contains(token.hash) {
                    tokens.removeValue(forKey: id)
                }
            }
        } catch {
            Self.logger.error("rejoin tokens not extended", ["error": "\(error)"])
        }
    }
}

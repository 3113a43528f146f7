import Control
import Crypto
import Foundation
import Logging
import Relay
import Store
import Synchronization
import Wire

/// Several whootd nodes on one PostgreSQL database.
///
/// Each channel lives on one node at a time, through a lease row (`channel_leases`) that
/// the serving node renews every third of the lease time. A join that reaches a node not
/// holding the channel's lease is answered 307 (Temporary Redirect, as RFC 9725 allows)
/// to the holder's `/whip`, before its token is spent. When a node dies its leases expire;
/// the next join on any node takes the channel over, and clients rejoin there.
///
/// Revocations (member removed, role or assignment changed) travel as PostgreSQL
/// notifications: the node where the admin acted sends NOTIFY after the commit, and every
/// node's listener drops the member's media within one wait turn (< 1 s). NOTIFY rather
/// than polling: delivery is immediate and costs no queries while nothing happens. A
/// notification sent while a node's listener is disconnected is lost to it, so after a
/// reconnect the node re-checks every live session against the database.
///
/// Threading: `route` runs on HTTP threads; one thread renews leases, one listens.
final class NodeCluster: @unchecked Sendable {
    static let logger = Logger("cluster")
    static let revocationChannel = "whoot_revocation"

    /// This process's node id: random per start, so a restarted node never mistakes an
    /// old lease for its own.
    let node = "node-" + Hex.encode(SecureRandom.bytes(6))
    let nodeURL: String
    let leaseMs: Int64
    private let control: ControlPlane
    private let relay: Relay
    private let conninfo: Secret<String>
    /// Used only by the listening thread after `init`.
    private var listener: PostgresListener
    private let stopped = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    /// Channels whose lease this node holds, with the number of renewal turns they have
    /// had no session (a lease taken for a join that then failed is given back).
    private let held = Mutex<[ChannelKey: Int]>([:])

    struct ChannelKey: Hashable {
        let tenant: TenantID
        let channel: ChannelID
    }

    enum Route {
        case local
        case redirect(String)
        /// The lease could not be read or taken (the database is unreachable).
        case unavailable
    }

    init(
        nodeURL: String, leaseSeconds: Int, conninfo: Secret<String>, control: ControlPlane,
        relay: Relay
    ) throws {
        self.nodeURL = nodeURL.hasSuffix("/") ? String(nodeURL.dropLast()) : nodeURL
        self.leaseMs = Int64(leaseSeconds) * 1_000
        self.control = control
        self.relay = relay
        self.conninfo = conninfo
        listener = try Self.connectListener(conninfo)
    }

    private static func connectListener(_ conninfo: Secret<String>) throws -> PostgresListener {
        let listener = try PostgresListener(postgres: conninfo)
        try listener.listen(revocationChannel)
        return listener
    }

    /// Where a join with `token` belongs: here (this node now holds the channel's lease)
    /// or the holder's WHIP URL. A token that could not be redeemed (unknown, used,
    /// expired) takes no lease and learns nothing: it is left to the normal refusal here.
    func route(token: String) -> Route {
        let now = ControlPlane.wallClockMilliseconds()
        guard let record = try? control.usableJoinToken(token, now: now) else { return .local }
        let key = ChannelKey(tenant: record.tenant, channel: record.channel)
        do {
            // Under the lock, so the renewer cannot give back, as idle, a lease being taken.
            return try held.withLock { held in
                let lease = try control.store.write {
                    try $0.claimChannelLease(
                        TenantScope(record.tenant), channel: record.channel, node: node,
                        nodeURL: nodeURL, nowMs: now, untilMs: now + leaseMs)
                }
                guard lease.node != node else {
                    held[key] = 0
                    return .local
                }
                return .redirect(lease.nodeURL + "/whip")
            }
        } catch {
            Self.logger.error("lease lookup failed", ["error": "\(error)"])
            return .unavailable
        }
    }

    func start() {
        control.onRevocation { [control] revocation in
            let payload = [
                "\(revocation.tenant.rawValue)", "\(revocation.member.rawValue)",
                revocation.channel.map { "\($0.rawValue)" } ?? "",
            ].joined(separator: ":")
            do {
                try control.store.write { try $0.notifyNodes(Self.revocationChannel, payload) }
            } catch {
                Self.logger.error("revocation notify failed", ["error": "\(error)"])
            }
        }
        let renewer = Thread { [self] in
            let interval = Double(leaseMs) / 3_000
            while stopped.wait(timeout: .now() + interval) == .timedOut { renew() }
        }
        renewer.name = "whoot-leases"
        renewer.start()
        let listening = Thread { [self] in listen() }
        listening.name = "whoot-listen"
        listening.start()
    }

    /// SIGTERM on a node of a cluster: gives every lease back and ends this node's
    /// sessions at once, so their clients rejoin (rejoin tokens) on another node, which
    /// takes the channels. Waiting out a drain here would only keep newcomers away from
    /// these channels (this node admits no one while draining) and, were the leases given
    /// back first, split each channel between the old calls and the new node.
    func handOver() -> Int {
        stop()
        var dropped = 0
        for plan in relay.sessions() {
            dropped += relay.dropChannel(tenant: plan.tenant, channel: plan.channel)
        }
        return dropped
    }

    /// Stops renewing and gives back every lease held, so other nodes take the channels
    /// at once rather than after the expiry. Called at shutdown (twice is harmless).
    func stop() {
        stopping.store(true, ordering: .relaxed)
        stopped.signal()
        let keys = held.withLock { held -> [ChannelKey] in
            defer { held.removeAll() }
            return Array(held.keys)
        }
        for key in keys {
            try? control.store.write {
                try $0.releaseChannelLease(
                    TenantScope(key.tenant), channel: key.channel, node: node)
            }
        }
    }

    /// Renews the lease of every channel with a live session here; drops the sessions of
    /// a channel whose lease another node took; gives back leases idle for two turns.
    private func renew() {
        let now = ControlPlane.wallClockMilliseconds()
        let live = Set(relay.sessions().map { ChannelKey(tenant: $0.tenant, channel: $0.channel) })
        let keys = held.withLock { held -> [ChannelKey: Int] in
            for key in live { held[key] = 0 }
            for key in held.keys where !live.contains(key) { held[key, default: 0] += 1 }
            return held
        }
        for (key, idleTurns) in keys {
            do {
                let scope = TenantScope(key.tenant)
                if idleTurns >= 2 {
                    try held.withLock { held in
                        // A join may have taken it again since the snapshot.
                        guard let turns = held[key], turns >= 2 else { return }
                        try control.store.write {
                            try $0.releaseChannelLease(scope, channel: key.channel, node: node)
                        }
                        held.removeValue(forKey: key)
                    }
                    continue
                }
                let kept = try control.store.write {
                    try $0.renewChannelLease(
                        scope, channel: key.channel, node: node, untilMs: now + leaseMs)
                }
                if !kept {
                    _ = held.withLock { $0.removeValue(forKey: key) }
                    let dropped = relay.dropChannel(tenant: key.tenant, channel: key.channel)
                    Self.logger.warning("lease lost; channel's sessions dropped", [
                        "tenant.id": "\(key.tenant.rawValue)",
                        "channel.id": "\(key.channel.rawValue)", "sessions": "\(dropped)",
                    ])
                }
            } catch {
                Self.logger.error("lease renewal failed", ["error": "\(error)"])
            }
        }
    }

    private func listen() {
        while !stopping.load(ordering: .relaxed) {
            do {
                for (_, payload) in try listener.wait(timeoutMs: 250) {
                    apply(payload)
                }
            } catch {
                Self.logger.error("revocation listener failed", ["error": "\(error)"])
                Thread.sleep(forTimeInterval: 1)
                if let fresh = try? Self.connectListener(conninfo) {
                    listener = fresh
                    // Notifications sent while the connection was down are lost: check
                    // every live session against the database instead.
                    recheckLiveSessions()
                }
            }
        }
    }

    /// Drops each live session whose member may no longer be in its channel.
    func recheckLiveSessions() {
        var dropped = 0
        for plan in relay.sessions() {
            do {
                guard try !control.mayStillJoin(
                    tenant: plan.tenant, member: plan.member, channel: plan.channel)
                else { continue }
                dropped += relay.dropMember(
                    tenant: plan.tenant, member: plan.member, channel: plan.channel)
            } catch {
                Self.logger.error("live session re-check failed", ["error": "\(error)"])
            }
        }
        Self.logger.notice("revocation listener reconnected; live sessions re-checked", [
            "dropped": "\(dropped)",
        ])
    }

    private func apply(_ payload: String) {
        let parts = payload.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let tenant = Int64(parts[0]), let member = Int64(parts[1])
        else { return }
        let channel = Int64(parts[2]).map(ChannelID.init)
        _ = relay.dropMember(tenant: TenantID(tenant), member: MemberID(member), channel: channel)
    }
}

import Crypto
import Logging
import Synchronization
import Wire

/// The media plane's public face: admits sessions, removes them, and reports counters.
///
/// Thread use: every method may be called from any thread (the HTTP edge, the admin
/// socket, the control plane's revocation feed). Commands reach the forwarding thread
/// through a queue that it drains between batches, so nothing here waits on media.
public final class Relay: @unchecked Sendable {
    public let counters = RelayCounters()
    public var localAddress: PeerAddress { socket.localAddress }

    private let socket: UDPSocket
    private let engine: RelayEngine
    private let commands: CommandQueue
    private var thread: OSThread?
    /// Live sessions by id, with their owners, for DELETE and revocation lookups.
    private let registry = SessionRegistry()

    /// Binds the media UDP port; `certificate` is the DTLS identity whose fingerprint goes
    /// into every SDP answer.
    public init(bind address: PeerAddress, certificate: Certificate) throws {
        socket = try UDPSocket(bind: address)
        commands = CommandQueue()
        engine = RelayEngine(
            socket: socket, dtlsContext: try DTLSContext(certificate: certificate),
            counters: counters, commands: commands)
        engine.onClose = { [registry] id in
            _ = registry.plans.withLock { $0.removeValue(forKey: id) }
        }
    }

    public func start() {
        guard thread == nil else { return }
        let engine = self.engine
        thread = OSThread(name: "whoot-fwd-0") { engine.run() }
    }

    /// Stops the forwarding thread and closes every session and the socket.
    public func stop() {
        commands.push(.stop)
        thread?.join()
        thread = nil
        socket.close()
    }

    /// Hands an admitted session to the forwarding thread.
    public func admit(_ plan: SessionPlan) {
        registry.plans.withLock { $0[plan.id] = plan }
        counters.sessionsAdmitted.add(1, ordering: .relaxed)
        commands.push(.admit(plan))
    }

    /// Ends a session. Returns false when no such session is live.
    public func remove(_ id: SessionID) -> Bool {
        remove(id, if: { _ in true })
    }

    /// Ends a session if `allowed` accepts its plan (checked under the registry's lock, so
    /// the check and the removal are one step). Returns false when no such session is
    /// live or `allowed` refused.
    public func remove(_ id: SessionID, if allowed: (SessionPlan) -> Bool) -> Bool {
        let existed = registry.plans.withLock { plans in
            guard let plan = plans[id], allowed(plan) else { return false }
            plans.removeValue(forKey: id)
            return true
        }
        if existed { commands.push(.remove(id)) }
        return existed
    }

    /// Ends every live session of a member: the member was removed or lost access.
    /// With `channel`, only the sessions in that channel.
    @discardableResult
    public func dropMember(tenant: TenantID, member: MemberID, channel: ChannelID? = nil) -> Int {
        let ids = registry.plans.withLock { sessions in
            sessions.values.filter {
                $0.tenant == tenant && $0.member == member
                    && (channel == nil || $0.channel == channel)
            }.map(\.id)
        }
        for id in ids { _ = remove(id) }
        return ids.count
    }

    /// Ends every live session in a channel (the channel was deleted).
    @discardableResult
    public func dropChannel(tenant: TenantID, channel: ChannelID) -> Int {
        let ids = registry.plans.withLock { sessions in
            sessions.values.filter { $0.tenant == tenant && $0.channel == channel }.map(\.id)
        }
        for id in ids { _ = remove(id) }
        return ids.count
    }

    /// Attaches `tap` to a channel's room (nil detaches): from then on the forwarding
    /// thread pushes every decrypted frame of that room into it.
    public func setRecordingTap(tenant: TenantID, channel: ChannelID, tap: MediaTap?) {
        commands.push(.setTap(RoomKey(tenant: tenant, channel: channel), tap))
    }

    /// Live sessions, for the admin socket and metrics.
    public func sessions() -> [SessionPlan] {
        registry.plans.withLock { Array($0.values) }
    }
}

/// The plans of live sessions, shared by the forwarding thread (which removes closed
/// ones) and callers of `Relay` (which add and look up). Touched per session, never per
/// packet.
final class SessionRegistry: Sendable {
    let plans = Mutex<[SessionID: SessionPlan]>([:])
}

/// Commands from other threads to the forwarding thread.
enum RelayCommand {
    case admit(SessionPlan)
    case remove(SessionID)
    case setTap(RoomKey, MediaTap?)
    case stop
}

/// A multi-producer queue drained by the forwarding thread. The thread checks an atomic
/// flag on every loop turn and takes the lock only when there is something to drain, so
/// the packet path never locks.
final class CommandQueue: @unchecked Sendable {
    private let pending = Atomic<Bool>(false)
    private let items = Mutex<[RelayCommand]>([])

    func push(_ command: RelayCommand) {
        items.withLock { $0.append(command) }
        pending.store(true, ordering: .releasing)
    }

    @inline(__always)
    var hasPending: Bool { pending.load(ordering: .acquiring) }

    func drain() -> [RelayCommand] {
        pending.store(false, ordering: .releasing)
        return items.withLock { queue in
            let drained = queue
            queue.removeAll(keepingCapacity: true)
            return drained
        }
    }
}

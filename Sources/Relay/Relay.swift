import CLinux
import Crypto
import Logging
import Synchronization
import Wire

/// The media plane's public face: admits sessions, removes them, and reports counters.
///
/// Inside, one forwarding worker per core, each with its own socket on the shared media
/// port (SO_REUSEPORT). Every channel is owned by one worker (the least loaded when its
/// first session arrives), which owns all of the channel's sessions. A datagram that lands
/// on another worker's socket reaches the owner through a lock-free ring.
///
/// Thread use: every method may be called from any thread (the HTTP edge, the admin
/// socket, the control plane's revocation feed). Commands reach a worker through its
/// queue, drained between batches, so nothing here waits on media.
public final class Relay: @unchecked Sendable {
    public let counters = RelayCounters()
    public var localAddress: PeerAddress { engines[0].socket.localAddress }
    /// The number of forwarding workers.
    public var workerCount: Int { engines.count }
    /// The caps `admit(_:origin:)` enforces.
    public let limits: AdmissionLimits

    let engines: [RelayEngine]
    let routes: RouteTable
    private var threads: [OSThread] = []
    private let registry = SessionRegistry()

    /// Binds the media UDP port once per worker; `certificate` is the DTLS identity whose
    /// fingerprint goes into every SDP answer. `workers` defaults to the number of cores.
    public init(bind address: PeerAddress, certificate: Certificate,
                workers: Int = Relay.defaultWorkers, limits: AdmissionLimits = AdmissionLimits())
        throws
    {
        self.limits = limits
        let count = max(1, workers)
        let dtlsContext = try DTLSContext(certificate: certificate)
        routes = RouteTable(workers: count)
        var sockets: [UDPSocket] = [try UDPSocket(bind: address, reusePort: count > 1)]
        while sockets.count < count {
            sockets.append(try UDPSocket(bind: sockets[0].localAddress, reusePort: true))
        }
        var engines: [RelayEngine] = []
        for (index, socket) in sockets.enumerated() {
            engines.append(try RelayEngine(
                index: index, socket: socket, dtlsContext: dtlsContext, counters: counters,
                routes: routes))
        }
        self.engines = engines
        Self.connect(engines)
        for engine in engines {
            engine.onClose = { [registry] id, key in registry.closed(id, room: key) }
            engine.onConnected = { [registry] id in registry.connected(id) }
        }
    }

    /// One worker per online core.
    public static var defaultWorkers: Int { max(1, onlineCores()) }

    /// Gives each ordered pair of workers its ring, and every worker the wake-up fds.
    private static func connect(_ engines: [RelayEngine]) {
        let count = engines.count
        for engine in engines {
            engine.outbound = Array(repeating: nil, count: count)
            engine.inbound = Array(repeating: nil, count: count)
            engine.pushed = Array(repeating: false, count: count)
            engine.wakeFDs = engines.map(\.wakeFD)
        }
        for producer in 0..<count {
            for consumer in 0..<count where producer != consumer {
                let ring = SPSCRing(capacity: RelayEngine.ringCapacity)
                engines[producer].outbound[consumer] = ring
                engines[consumer].inbound[producer] = ring
            }
        }
    }

    public func start() {
        guard threads.isEmpty else { return }
        for engine in engines {
            threads.append(OSThread(name: "whoot-fwd-\(engine.index)") { engine.run() })
        }
    }

    /// Stops the workers and closes every session and socket.
    public func stop() {
        for engine in engines { engine.commands.push(.stop) }
        for thread in threads { thread.join() }
        threads = []
        for engine in engines { engine.socket.close() }
    }

    /// Hands an admitted session to the worker that owns its channel, without checking
    /// `limits` (the session still counts towards them).
    public func admit(_ plan: SessionPlan) {
        // Cannot throw: with `checked` false no limit is consulted.
        try! admit(plan, origin: "", checked: false)
    }

    /// Admits a session unless one of `limits` is reached; `origin` is the client address
    /// that asked for it. The check and the admission are one step under the registry's
    /// lock, so concurrent joins cannot overshoot a limit.
    public func admit(_ plan: SessionPlan, origin: String) throws(AdmissionRefusal) {
        try admit(plan, origin: origin, checked: true)
    }

    /// The pending-session limit `origin` would hit now, if any, counted as a hit. Lets the
    /// WHIP edge refuse a flood before it parses the offer or spends a join token.
    public func pendingRefusal(origin: String) -> AdmissionRefusal? {
        registry.state.withLock { state in
            let refusal = state.admission.refusal(room: nil, origin: origin, limits: limits)
            if let refusal { state.admission.count(refusal) }
            return refusal
        }
    }

    /// How many times `limit` refused a session since start.
    public func refusals(_ limit: AdmissionLimit) -> UInt64 {
        registry.state.withLock { $0.admission.refused[limit.rawValue] }
    }

    /// Sessions admitted that have not finished ICE and DTLS yet.
    public var pendingSessions: Int {
        registry.state.withLock { $0.admission.pending }
    }

    private func admit(_ plan: SessionPlan, origin: String, checked: Bool)
        throws(AdmissionRefusal)
    {
        let key = RoomKey(tenant: plan.tenant, channel: plan.channel)
        let (worker, number) = try registry.add(
            plan, room: key, origin: origin, limits: checked ? limits : nil,
            workers: engines.count)
        counters.sessionsAdmitted.add(1, ordering: .relaxed)
        engines[worker].commands.push(.admit(plan, number: number))
        routes.addUfrag(plan.localUfrag, Route(worker: worker, session: number))
    }

    /// Ends a session. Returns false when no such session is live.
    public func remove(_ id: SessionID) -> Bool {
        remove(id, if: { _ in true })
    }

    /// Ends a session if `allowed` accepts its plan (checked under the registry's lock, so
    /// the check and the removal are one step). Returns false when no such session is
    /// live or `allowed` refused.
    public func remove(_ id: SessionID, if allowed: (SessionPlan) -> Bool) -> Bool {
        guard let live = registry.forget(id, if: allowed) else { return false }
        engines[live.worker].commands.push(.remove(live.number))
        return true
    }

    /// Starts or stops feeding a channel's decrypted frames to a recording tap. Every
    /// worker learns it, so the tap is in place whichever worker owns the channel.
    public func setRecordingTap(tenant: TenantID, channel: ChannelID, tap: MediaTap?) {
        let key = RoomKey(tenant: tenant, channel: channel)
        for engine in engines { engine.commands.push(.setTap(key, tap)) }
    }

    /// Monotonic ms of the least recent worker loop turn, for the watchdog: a stuck
    /// worker holds it back even while others turn.
    public var heartbeat: UInt64 {
        engines.map { $0.heartbeat.load(ordering: .relaxed) }.min() ?? 0
    }

    /// Ends every live session of a member: the member was removed or lost access.
    /// With `channel`, only the sessions in that channel.
    @discardableResult
    public func dropMember(tenant: TenantID, member: MemberID, channel: ChannelID? = nil) -> Int {
        let ids = registry.ids {
            $0.tenant == tenant && $0.member == member && (channel == nil || $0.channel == channel)
        }
        for id in ids { _ = remove(id) }
        return ids.count
    }

    /// Ends every live session in a channel (the channel was deleted).
    @discardableResult
    public func dropChannel(tenant: TenantID, channel: ChannelID) -> Int {
        let ids = registry.ids { $0.tenant == tenant && $0.channel == channel }
        for id in ids { _ = remove(id) }
        return ids.count
    }

    /// Live sessions, for the admin socket and metrics.
    public func sessions() -> [SessionPlan] {
        registry.state.withLock { $0.live.values.map(\.plan) }
    }
}

/// Live sessions and channel ownership, shared by the workers (which report closed
/// sessions) and callers of `Relay` (which add and look up). Touched per session, never
/// per packet.
final class SessionRegistry: Sendable {
    struct Live {
        var plan: SessionPlan
        var worker: Int
        var number: UInt32
    }

    struct State {
        var live: [SessionID: Live] = [:]
        /// The owning worker of each channel with live sessions, and how many it has.
        var owners: [RoomKey: (worker: Int, sessions: Int)] = [:]
        /// Sessions per worker, to give a new channel to the least loaded one.
        var load: [Int] = []
        var nextNumber: UInt32 = 1
        var admission = AdmissionCounts()
    }

    let state = PosixMutex(State())

    /// Adds a session, or throws when `limits` (if given) refuse it.
    func add(
        _ plan: SessionPlan, room: RoomKey, origin: String, limits: AdmissionLimits?,
        workers: Int
    ) throws(AdmissionRefusal) -> (Int, UInt32) {
        let added: Result<(Int, UInt32), AdmissionRefusal> = state.withLock { state in
            if let limits,
                let refusal = state.admission.refusal(room: room, origin: origin, limits: limits)
            {
                state.admission.count(refusal)
                return .failure(refusal)
            }
            state.admission.admitted(plan.id, room: room, origin: origin)
            if state.load.count < workers { state.load = Array(repeating: 0, count: workers) }
            let worker: Int
            if let owner = state.owners[room] {
                worker = owner.worker
                state.owners[room] = (worker, owner.sessions + 1)
            } else {
                worker = state.load.indices.min { state.load[$0] < state.load[$1] } ?? 0
                state.owners[room] = (worker, 1)
            }
            state.load[worker] += 1
            let number = state.nextNumber
            state.nextNumber &+= 1
            state.live[plan.id] = Live(plan: plan, worker: worker, number: number)
            return .success((worker, number))
        }
        return try added.get()
    }

    /// A worker finished a session's DTLS handshake.
    func connected(_ id: SessionID) {
        state.withLock { $0.admission.connected(id) }
    }

    /// Forgets a live session (it is being removed); the owner's count drops when the
    /// worker reports it closed.
    func forget(_ id: SessionID, if allowed: (SessionPlan) -> Bool = { _ in true }) -> Live? {
        state.withLock { state in
            guard let live = state.live[id], allowed(live.plan) else { return nil }
            return state.live.removeValue(forKey: id)
        }
    }

    /// A worker closed a session of `room`.
    func closed(_ id: SessionID, room: RoomKey) {
        state.withLock { state in
            state.live.removeValue(forKey: id)
            state.admission.closed(id, room: room)
            guard let owner = state.owners[room] else { return }
            state.load[owner.worker] -= 1
            state.owners[room] = owner.sessions > 1 ? (owner.worker, owner.sessions - 1) : nil
        }
    }

    func ids(where match: (SessionPlan) -> Bool) -> [SessionID] {
        state.withLock { state in state.live.values.filter { match($0.plan) }.map(\.plan.id) }
    }
}

/// Commands from other threads to a worker.
enum RelayCommand {
    case admit(SessionPlan, number: UInt32)
    case remove(UInt32)
    case setTap(RoomKey, MediaTap?)
    case stop
}

/// A multi-producer queue drained by one worker. The worker checks an atomic flag on
/// every loop turn and takes the lock only when there is something to drain, so the
/// packet path never locks. A push wakes the worker through its eventfd.
final class CommandQueue: @unchecked Sendable {
    private let pending = Atomic<Bool>(false)
    private let items = PosixMutex<[RelayCommand]>([])
    private let wakeFD: Int32

    init(wakeFD: Int32) {
        self.wakeFD = wakeFD
    }

    func push(_ command: RelayCommand) {
        items.withLock { $0.append(command) }
        pending.store(true, ordering: .releasing)
        _ = whoot_eventfd_signal(wakeFD)
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

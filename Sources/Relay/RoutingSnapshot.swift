import Logging
import Synchronization
import Wire

/// Where a datagram goes: the worker that owns the session and the session's number on
/// that worker.
struct Route: Sendable, Equatable {
    var worker: Int
    var session: UInt32
}

/// An immutable view of the routing table: proven peer address (the remote half of the
/// 5-tuple; the local half is the one port) and ICE ufrag to route. Built by the control
/// path, never changed after publication, read by every worker without a lock.
final class RoutingSnapshot: Sendable {
    let byAddress: [PeerAddress: Route]
    let byUfrag: [String: Route]

    init(byAddress: [PeerAddress: Route], byUfrag: [String: Route]) {
        self.byAddress = byAddress
        self.byUfrag = byUfrag
    }
}

/// The routing table's writer side and its publication.
///
/// Writers (the threads calling `Relay.admit`/`remove`, and a worker that proves an
/// address or closes a session) change the master copy under a mutex and publish a new
/// `RoutingSnapshot` by swapping an atomic pointer. Workers read the current snapshot
/// with one acquiring load and no lock.
///
/// Reclamation: each publication bumps a global epoch. A worker announces the epoch it
/// has seen at a quiescent point (between batches, holding no snapshot). A replaced
/// snapshot is released once every worker has announced an epoch at least as new as its
/// replacement, so no worker can still be reading it.
final class RouteTable: @unchecked Sendable {
    private struct Master {
        var byAddress: [PeerAddress: Route] = [:]
        var byUfrag: [String: Route] = [:]
        /// When each bound address last proved itself (a connectivity check that verified),
        /// ms; in the master copy only, since only binding reads it.
        var provenAt: [PeerAddress: UInt64] = [:]
        /// Replaced snapshots and the epoch from which no worker can see them.
        var retired: [(snapshot: Unmanaged<RoutingSnapshot>, epoch: UInt64)] = []
    }

    private let master = PosixMutex(Master())
    private let current: Atomic<Unmanaged<RoutingSnapshot>>
    private let epoch = Atomic<UInt64>(0)
    /// One announced epoch per worker (atomics cannot live in an array).
    private let announced: UnsafeMutablePointer<Atomic<UInt64>>
    let workers: Int

    init(workers: Int) {
        self.workers = workers
        current = Atomic(Unmanaged.passRetained(RoutingSnapshot(byAddress: [:], byUfrag: [:])))
        announced = .allocate(capacity: workers)
        for index in 0..<workers { (announced + index).initialize(to: Atomic<UInt64>(0)) }
    }

    deinit {
        master.withLock { state in
            for item in state.retired { item.snapshot.release() }
            state.retired.removeAll()
        }
        current.load(ordering: .acquiring).release()
        announced.deinitialize(count: workers)
        announced.deallocate()
    }

    // MARK: reading (workers, lock-free)

    /// Calls `body` with the current snapshot, without retaining it. Only a worker between
    /// two `quiescent` calls may use this, and must not keep the reference.
    @inline(__always)
    func withSnapshot<R>(_ body: (RoutingSnapshot) -> R) -> R {
        current.load(ordering: .acquiring)._withUnsafeGuaranteedRef(body)
    }

    /// Worker `index` holds no snapshot reference now.
    @inline(__always)
    func quiescent(worker index: Int) {
        announced[index].store(epoch.load(ordering: .acquiring), ordering: .releasing)
    }

    /// A worker that stops for good will never read again.
    func retire(worker index: Int) {
        announced[index].store(.max, ordering: .releasing)
        master.withLock { reclaim(&$0) }
    }

    // MARK: writing (control path)

    func addUfrag(_ ufrag: String, _ route: Route) {
        update {
            $0.byUfrag[ufrag] = route
            return true
        }
    }

    /// Points `address` at `route`, replacing `old` (the session's previous address),
    /// unless another route holds `address` and it proved itself less than `holdMs` before
    /// `now`: then nothing changes and the result is false. A check signed with one
    /// session's password but sent from a forged source must not steal a live session's
    /// address (its media would then go to the wrong session, across channels or tenants).
    func bind(
        _ address: PeerAddress, to route: Route, replacing old: PeerAddress?, now: UInt64,
        holdMs: UInt64
    ) -> Bool {
        update { state in
            if let holder = state.byAddress[address], holder != route,
                let proven = state.provenAt[address], now &- proven < holdMs
            {
                return false
            }
            if let old, state.byAddress[old] == route {
                state.byAddress[old] = nil
                state.provenAt[old] = nil
            }
            state.byAddress[address] = route
            state.provenAt[address] = now
            return true
        }
    }

    /// `address`, bound to `route`, proved itself again (a consent check). Publishes
    /// nothing: only `bind` reads it.
    func proven(_ address: PeerAddress, by route: Route, now: UInt64) {
        master.withLock { state in
            if state.byAddress[address] == route { state.provenAt[address] = now }
        }
    }

    /// Forgets a session's routes.
    func remove(ufrag: String, address: PeerAddress?, route: Route) {
        update { state in
            if state.byUfrag[ufrag] == route { state.byUfrag[ufrag] = nil }
            if let address, state.byAddress[address] == route {
                state.byAddress[address] = nil
                state.provenAt[address] = nil
            }
            return true
        }
    }

    /// Snapshots replaced but not yet released (for tests of reclamation).
    var retiredCount: Int { master.withLock { $0.retired.count } }

    /// Applies `change` to the master copy and, when it says it changed something,
    /// publishes a new snapshot. Returns what `change` returned.
    @discardableResult
    private func update(_ change: (inout Master) -> Bool) -> Bool {
        master.withLock { state in
            guard change(&state) else { return false }
            let next = Unmanaged.passRetained(
                RoutingSnapshot(byAddress: state.byAddress, byUfrag: state.byUfrag))
            let old = current.exchange(next, ordering: .acquiringAndReleasing)
            let newEpoch = epoch.add(1, ordering: .acquiringAndReleasing).newValue
            state.retired.append((old, newEpoch))
            reclaim(&state)
            return true
        }
    }

    private func reclaim(_ state: inout Master) {
        var oldest = UInt64.max
        for index in 0..<workers {
            oldest = min(oldest, announced[index].load(ordering: .acquiring))
        }
        state.retired.removeAll { item in
            guard item.epoch <= oldest else { return false }
            item.snapshot.release()
            return true
        }
    }
}

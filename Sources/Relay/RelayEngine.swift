import CLinux
import Crypto
import Logging
import Synchronization
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// One forwarding worker: it owns a socket bound to the shared media port (SO_REUSEPORT),
/// the sessions and rooms of the channels assigned to it, and its packet memory.
///
/// A datagram that the kernel delivers to this worker's socket is routed through the
/// current `RoutingSnapshot`: if its session belongs here it is handled at once, else it
/// is copied into the lock-free ring towards the owning worker, which is woken through
/// its eventfd. Only the worker's own thread touches its sessions, rooms and batches.
final class RelayEngine {
    static let logger = Logger("relay")

    /// How long a session may take to finish ICE and DTLS, and how long a connected
    /// session may go without a consent check (RFC 7675 5.1), in ms.
    static let setupTimeoutMs: UInt64 = 30_000
    static let consentTimeoutMs: UInt64 = 30_000
    /// A connected session's DTLS endpoint is released after this long without a DTLS
    /// datagram, if the peer's media has not shown sooner that its handshake is over.
    static let dtlsQuietReleaseMs: UInt64 = 10_000
    /// After an unauthenticated DTLS alert, how long a session has to prove it is alive.
    /// Longer than the 4-6 s between a browser's consent checks (RFC 7675).
    static let closeProbationMs: UInt64 = 10_000
    /// How long after its last verified check a session's address stays its own: another
    /// session's check from that address (a forged source) cannot take it meanwhile.
    /// Longer than the 4-6 s between consent checks (RFC 7675), so a live peer keeps it.
    static let addressHoldMs: UInt64 = 10_000
    /// Datagrams per recvmmsg and per sendmmsg call.
    static let receiveBatchSize = 64
    static let sendBatchSize = 256
    /// Slots of each ring between two workers.
    static let ringCapacity = 4096
    /// An RTP packet that waited longer than this between the kernel's arrival stamp and
    /// its turn is not forwarded: voice that late is past any receiver's playout point,
    /// and sending it would keep an overloaded relay behind (its socket buffer holds
    /// seconds of a big channel's input). It is still decrypted (SRTP state) and recorded.
    static let staleMediaMs: UInt64 = 200

    let index: Int
    let socket: UDPSocket
    let dtlsContext: DTLSContext
    let counters: RelayCounters
    let commands: CommandQueue
    let routes: RouteTable
    /// Called on this worker's thread when a session ends, with the session and its room.
    var onClose: ((SessionID, RoomKey) -> Void)?
    /// Called on this worker's thread when a session's DTLS handshake completes.
    var onConnected: ((SessionID) -> Void)?

    /// Rings towards and from each other worker (nil at this worker's own index), and the
    /// eventfds that wake each worker; set up by `Relay` before any thread starts.
    var outbound: [SPSCRing?] = []
    var inbound: [SPSCRing?] = []
    var wakeFDs: [Int32] = []
    let wakeFD: Int32
    /// Workers whose ring got a datagram this turn and must be woken.
    var pushed: [Bool] = []

    var sessions: [UInt32: MediaSession] = [:]
    var rooms: [RoomKey: Room] = [:]
    /// Recording taps by channel, kept for rooms that are not live yet.
    var taps: [RoomKey: MediaTap] = [:]
    /// Monotonic ms of this worker's last loop turn: the watchdog's proof of life.
    let heartbeat = Atomic<UInt64>(0)

    let receiveBatch = PacketBatch(capacity: RelayEngine.receiveBatchSize)
    let sendBatch = PacketBatch(capacity: RelayEngine.sendBatchSize)
    /// Scratch memory for RTCP of our own, reused so that reports allocate nothing.
    let rtcpBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)
    var reportScratch: [ReportBlock] = []
    var closeScratch: [MediaSession] = []
    /// Per-turn sums, added to the shared counters once per batch.
    var tally = Tally()
    /// CLOCK_REALTIME ns, read once per received batch and per ring drain: what arrival
    /// stamps are compared with.
    var realNow: UInt64 = 0
    private(set) var running = true
    private var lastTimersAt: UInt64 = 0
    private var lastSweepAt: UInt64 = 0

    init(index: Int, socket: UDPSocket, dtlsContext: DTLSContext, counters: RelayCounters,
         routes: RouteTable) throws
    {
        self.index = index
        self.socket = socket
        self.dtlsContext = dtlsContext
        self.counters = counters
        self.routes = routes
        wakeFD = whoot_eventfd()
        guard wakeFD >= 0 else { throw SystemError(call: "eventfd", errno: errno) }
        guard whoot_enable_arrival_stamps(socket.fd) == 0 else {
            throw SystemError(call: "setsockopt SO_TIMESTAMPNS", errno: errno)
        }
        commands = CommandQueue(wakeFD: wakeFD)
        reportScratch.reserveCapacity(4)
        closeScratch.reserveCapacity(64)
    }

    deinit {
        rtcpBuffer.deallocate()
        Glibc.close(wakeFD)
    }

    /// The worker's thread body: turns until a stop command.
    func run() {
        Self.logger.info("forwarding worker started", [
            "worker": "\(index)", "udp.addr": socket.localAddress.description,
        ])
        while running { turn(timeoutMs: 10) }
        for session in Array(sessions.values) { close(session, reason: "relay stopped") }
        routes.retire(worker: index)
        Self.logger.info("forwarding worker stopped", ["worker": "\(index)"])
    }

    /// One loop turn: announce quiescence, apply commands, wait up to `timeoutMs` for the
    /// socket or a wake-up, handle what arrived, send, run timers.
    func turn(timeoutMs: Int32) {
        routes.quiescent(worker: index)
        if commands.hasPending { applyCommands() }
        guard running else { return }

        let ready = whoot_wait2(socket.fd, wakeFD, timeoutMs)
        if ready & 2 != 0 { whoot_eventfd_drain(wakeFD) }
        let now = monotonicMillis()
        heartbeat.store(now, ordering: .relaxed)
        if ready & 1 != 0 { receiveFromSocket(now: now) }
        drainRings(now: now)
        flushSends()
        wakeOwners()
        if now &- lastTimersAt >= 10 {
            lastTimersAt = now
            runTimers(now: now)
            flushSends()
        }
    }

    private func receiveFromSocket(now: UInt64) {
        // A few batches per turn, so rings and timers get their share under load.
        for _ in 0..<4 {
            let count: Int
            do {
                count = try receiveBatch.receive(from: socket.fd)
            } catch {
                Self.logger.warning("receive failed", ["error": "\(error)"])
                return
            }
            guard count > 0 else { return }
            realNow = whoot_realtime_ns()
            tally.packetsIn &+= UInt64(count)
            for entry in 0..<count {
                let length = receiveBatch.length(entry)
                tally.bytesIn &+= UInt64(length)
                guard let peer = receiveBatch.sender(entry) else {
                    counters.drop(.malformed)
                    continue
                }
                dispatch(receiveBatch.buffer(entry), length: length, from: peer,
                         arrival: receiveBatch.arrival(entry), now: now)
            }
            flushSends()
            guard count == receiveBatch.capacity else { return }
        }
    }

    /// Routes one datagram from this worker's socket: here, or into the owner's ring.
    private func dispatch(
        _ buffer: UnsafeMutableRawBufferPointer, length: Int, from peer: PeerAddress,
        arrival: UInt64, now: UInt64
    ) {
        guard length > 0 else { return counters.drop(.malformed) }
        let kind = PacketClass.classify(firstByte: buffer[0])
        let route: Route?
        switch kind {
        case .stun:
            // A check names its session by ufrag; the address may be new or rebound.
            let packet = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
            guard let ufrag = STUNUsername.localUfrag(in: packet) else {
                return handleSTUN(buffer, length: length, from: peer, session: nil, now: now)
            }
            route = routes.withSnapshot { $0.byUfrag[ufrag] }
            if route == nil {
                return handleSTUN(buffer, length: length, from: peer, session: nil, now: now)
            }
        case .dtls, .rtpOrRtcp:
            route = routes.withSnapshot { $0.byAddress[peer] }
        case .unknown:
            return counters.drop(.malformed)
        }
        guard let route else { return counters.drop(.unknownAddress) }

        if route.worker == index {
            deliver(buffer, length: length, from: peer, session: route.session,
                    arrival: arrival, now: now)
        } else if let ring = outbound[route.worker],
            ring.push(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), from: peer,
                      session: route.session, arrival: arrival)
        {
            pushed[route.worker] = true
            tally.handedOff &+= 1
        } else {
            counters.drop(.ringFull)
        }
    }

    private func drainRings(now: UInt64) {
        for source in inbound.indices {
            guard let ring = inbound[source], ring.count > 0 else { continue }
            realNow = whoot_realtime_ns()
            while let (entry, buffer) = ring.peek() {
                deliver(buffer, length: entry.length, from: entry.peer, session: entry.session,
                        arrival: entry.arrival, now: now)
                ring.pop()
            }
        }
    }

    /// Handles a datagram of one of this worker's sessions.
    private func deliver(
        _ buffer: UnsafeMutableRawBufferPointer, length: Int, from peer: PeerAddress,
        session number: UInt32, arrival: UInt64, now: UInt64
    ) {
        guard let session = sessions[number] else { return counters.drop(.unknownAddress) }
        switch PacketClass.classify(firstByte: buffer[0]) {
        case .stun:
            handleSTUN(buffer, length: length, from: peer, session: session, now: now)
        case .dtls where session.address == peer:
            handleDTLS(buffer, length: length, session: session, now: now)
        case .rtpOrRtcp where session.address == peer:
            handleSRTP(buffer, length: length, session: session, arrival: arrival, now: now)
        default:
            counters.drop(.unknownAddress)
        }
    }

    private func wakeOwners() {
        for worker in pushed.indices where pushed[worker] {
            pushed[worker] = false
            _ = whoot_eventfd_signal(wakeFDs[worker])
        }
    }

    // MARK: sending

    /// Queues a copy of `bytes` for `peer` (control traffic: STUN, DTLS, RTCP).
    func enqueue(_ bytes: UnsafeRawBufferPointer, to peer: PeerAddress) {
        guard bytes.count <= sendBatch.bufferBytes, let source = bytes.baseAddress else {
            return counters.drop(.malformed)
        }
        if sendBatch.isFull { flushSends() }
        let target = sendBatch.nextSendBuffer()
        target.baseAddress!.copyMemory(from: source, byteCount: bytes.count)
        tally.bytesOut &+= UInt64(bytes.count)
        sendBatch.commit(length: bytes.count, to: peer)
    }

    func send(datagrams: [[UInt8]], to address: PeerAddress) {
        for datagram in datagrams {
            datagram.withUnsafeBytes { enqueue($0, to: address) }
        }
    }

    /// Sends what is queued and publishes the turn's counts.
    func flushSends() {
        let queued = sendBatch.pending
        if queued > 0 {
            let sent = sendBatch.flush(to: socket.fd)
            tally.packetsOut &+= UInt64(sent)
            for _ in sent..<queued { counters.drop(.sendBufferFull) }
        }
        tally.publish(to: counters)
    }

    // MARK: commands and timers

    private func applyCommands() {
        for command in commands.drain() {
            switch command {
            case .admit(let plan, let number):
                admit(plan, number: number)
            case .remove(let number):
                if let session = sessions[number] { close(session, reason: "removed") }
            case .setTap(let key, let tap):
                taps[key] = tap
                rooms[key]?.tap = tap
            case .stop:
                running = false
            }
        }
    }

    private func admit(_ plan: SessionPlan, number: UInt32) {
        let now = monotonicMillis()
        let dtls: DTLSEndpoint
        do {
            dtls = try DTLSEndpoint(
                role: plan.dtlsRole, context: dtlsContext,
                remoteFingerprints: plan.remoteFingerprints)
        } catch {
            Self.logger.error(
                "session not admitted", ["session.id": plan.id.rawValue, "error": "\(error)"])
            routes.remove(ufrag: plan.localUfrag, address: nil,
                          route: Route(worker: index, session: number))
            onClose?(plan.id, RoomKey(tenant: plan.tenant, channel: plan.channel))
            return
        }
        let session = MediaSession(plan: plan, number: number, dtls: dtls, now: now)
        sessions[number] = session
        let key = session.roomKey
        let room = rooms[key] ?? Room(key: key)
        room.tap = taps[key]
        rooms[key] = room
        room.add(session)
        Self.logger.info("session admitted", [
            "session.id": plan.id.rawValue, "tenant.id": "\(plan.tenant.rawValue)",
            "channel.id": "\(plan.channel.rawValue)", "member.id": "\(plan.member.rawValue)",
            "worker": "\(index)",
        ])
    }

    /// Removes a session from every table. Idempotent.
    func close(_ session: MediaSession, reason: StaticString) {
        guard !session.isClosed else { return }
        session.transition(to: .closed(reason: "\(reason)"), reason: reason)
        sessions.removeValue(forKey: session.number)
        routes.remove(ufrag: session.plan.localUfrag, address: session.address,
                      route: Route(worker: index, session: session.number))
        let key = session.roomKey
        if let room = rooms[key] {
            room.remove(session)
            if room.isEmpty { rooms.removeValue(forKey: key) }
        }
        counters.sessionsClosed.add(1, ordering: .relaxed)
        onClose?(session.id, key)
        Self.logger.info(
            "session closed", ["session.id": session.id.rawValue, "reason": "\(reason)"])
    }

    private func runTimers(now: UInt64) {
        for session in sessions.values {
            if session.isConnected {
                if now >= session.nextReportAt { sendReports(session, now: now) }
                releaseDTLSIfDone(session, peerSentMedia: false, now: now)
                continue
            }
            guard case .handshaking = session.state, let dtls = session.dtls,
                let deadline = dtls.nextTimeout(), deadline.milliseconds <= now,
                let address = session.address
            else { continue }
            apply(dtls.handleTimeout(now: .milliseconds(now)), to: session, peer: address)
        }
        guard now &- lastSweepAt >= 1000 else { return }
        lastSweepAt = now
        closeScratch.removeAll(keepingCapacity: true)
        for session in sessions.values {
            let expired = session.isConnected
                ? now &- session.lastConsentAt > Self.consentTimeoutMs
                : now &- session.admittedAt > Self.setupTimeoutMs
            if expired { closeScratch.append(session) }
        }
        for session in closeScratch {
            close(session, reason: session.isConnected
                ? "consent expired" : "ICE or DTLS did not complete in time")
        }
        closeScratch.removeAll(keepingCapacity: true)
    }
}

/// Counts a worker sums during a turn and adds to the shared atomics once per batch, so
/// two workers do not bounce the counters' cache line per packet.
struct Tally {
    var packetsIn: UInt64 = 0
    var bytesIn: UInt64 = 0
    var packetsOut: UInt64 = 0
    var bytesOut: UInt64 = 0
    var forwarded: UInt64 = 0
    var handedOff: UInt64 = 0

    mutating func publish(to counters: RelayCounters) {
        if packetsIn > 0 { counters.packetsIn.add(packetsIn, ordering: .relaxed) }
        if bytesIn > 0 { counters.bytesIn.add(bytesIn, ordering: .relaxed) }
        if packetsOut > 0 { counters.packetsOut.add(packetsOut, ordering: .relaxed) }
        if bytesOut > 0 { counters.bytesOut.add(bytesOut, ordering: .relaxed) }
        if forwarded > 0 { counters.rtpForwarded.add(forwarded, ordering: .relaxed) }
        if handedOff > 0 { counters.handedOff.add(handedOff, ordering: .relaxed) }
        self = Tally()
    }
}

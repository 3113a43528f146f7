import Crypto
import Logging
import Wire

/// A channel's live sessions: the unit of forwarding. Keyed by tenant and channel
/// together, so that two tenants' channels can never meet.
struct RoomKey: Hashable {
    let tenant: TenantID
    let channel: ChannelID
}

final class Room {
    var sessions: [MediaSession] = []
    var tap: MediaTap?
}

/// The forwarding thread's state and loop: it owns the socket's receive side, every
/// session, the routing tables and the rooms. Only `run()`'s thread touches them.
final class RelayEngine {
    static let logger = Logger("relay")

    /// How long a session may take to finish ICE and DTLS, and how long a connected
    /// session may go without a consent check (RFC 7675 5.1), in ms.
    static let setupTimeoutMs: UInt64 = 30_000
    static let consentTimeoutMs: UInt64 = 30_000
    /// Bytes for one datagram: a path MTU of 1500 is the most a peer sends us.
    static let bufferBytes = 2048

    let socket: UDPSocket
    let dtlsContext: DTLSContext
    let counters: RelayCounters
    let commands: CommandQueue
    var onClose: ((SessionID) -> Void)?

    var sessions: [SessionID: MediaSession] = [:]
    var byAddress: [PeerAddress: MediaSession] = [:]
    var byUfrag: [String: MediaSession] = [:]
    var rooms: [RoomKey: Room] = [:]
    var taps: [RoomKey: MediaTap] = [:]

    /// Buffers allocated once; the packet path writes into them and never allocates.
    let receiveBuffer: UnsafeMutableRawBufferPointer
    let sendBuffer: UnsafeMutableRawBufferPointer
    private var running = true
    private var lastSweepAt: UInt64 = 0

    init(socket: UDPSocket, dtlsContext: DTLSContext, counters: RelayCounters,
         commands: CommandQueue)
    {
        self.socket = socket
        self.dtlsContext = dtlsContext
        self.counters = counters
        self.commands = commands
        receiveBuffer = .allocate(byteCount: Self.bufferBytes, alignment: 16)
        sendBuffer = .allocate(byteCount: Self.bufferBytes, alignment: 16)
    }

    deinit {
        receiveBuffer.deallocate()
        sendBuffer.deallocate()
    }

    /// The forwarding loop: drain commands, wait for datagrams, handle a batch, run timers.
    func run() {
        Self.logger.info("forwarding thread started", ["udp.addr": socket.localAddress.description])
        while running {
            if commands.hasPending { applyCommands() }
            if !running { break }

            if socket.waitReadable(timeoutMs: 10) {
                receiveBatch(limit: 64)
            }
            let now = monotonicMillis()
            counters.heartbeat.store(now, ordering: .relaxed)
            runTimers(now: now)
        }
        for session in Array(sessions.values) { close(session, reason: "relay stopped") }
        Self.logger.info("forwarding thread stopped")
    }

    private func receiveBatch(limit: Int) {
        for _ in 0..<limit {
            let result: IOResult<(Int, PeerAddress)>
            do {
                result = try socket.receive(into: receiveBuffer)
            } catch {
                Self.logger.warning("receive failed", ["error": "\(error)"])
                return
            }
            guard case .done(let (length, peer)) = result else { return }
            counters.packetsIn.add(1, ordering: .relaxed)
            counters.bytesIn.add(UInt64(length), ordering: .relaxed)
            handleDatagram(length: length, from: peer, now: monotonicMillis())
        }
    }

    /// Demultiplexes by the first byte (RFC 7983 7).
    func handleDatagram(length: Int, from peer: PeerAddress, now: UInt64) {
        guard length > 0 else { return counters.drop(.malformed) }
        let first = receiveBuffer[0]
        switch PacketClass.classify(firstByte: first) {
        case .stun:
            handleSTUN(length: length, from: peer, now: now)
        case .dtls:
            handleDTLS(length: length, from: peer, now: now)
        case .rtpOrRtcp:
            handleSRTP(length: length, from: peer, now: now)
        case .unknown:
            counters.drop(.malformed)
        }
    }

    private func applyCommands() {
        for command in commands.drain() {
            switch command {
            case .admit(let plan):
                admit(plan)
            case .remove(let id):
                if let session = sessions[id] { close(session, reason: "removed") }
            case .setTap(let key, let tap):
                taps[key] = tap
                rooms[key]?.tap = tap
            case .stop:
                running = false
            }
        }
    }

    private func admit(_ plan: SessionPlan) {
        let now = monotonicMillis()
        let dtls: DTLSEndpoint
        do {
            dtls = try DTLSEndpoint(
                role: plan.dtlsRole, context: dtlsContext,
                remoteFingerprints: plan.remoteFingerprints)
        } catch {
            Self.logger.error(
                "session not admitted", ["session.id": plan.id.rawValue, "error": "\(error)"])
            onClose?(plan.id)
            return
        }
        let session = MediaSession(plan: plan, dtls: dtls, now: now)
        sessions[plan.id] = session
        byUfrag[plan.localUfrag] = session
        let key = RoomKey(tenant: plan.tenant, channel: plan.channel)
        let room = rooms[key] ?? Room()
        room.tap = taps[key]
        room.sessions.append(session)
        rooms[key] = room
        Self.logger.info("session admitted", [
            "session.id": plan.id.rawValue, "tenant.id": "\(plan.tenant.rawValue)",
            "channel.id": "\(plan.channel.rawValue)", "member.id": "\(plan.member.rawValue)",
        ])
    }

    /// Removes a session from every table. Idempotent.
    func close(_ session: MediaSession, reason: StaticString) {
        guard !session.isClosed else { return }
        session.transition(to: .closed(reason: "\(reason)"), reason: reason)
        sessions.removeValue(forKey: session.id)
        byUfrag.removeValue(forKey: session.plan.localUfrag)
        if let address = session.address, byAddress[address] === session {
            byAddress.removeValue(forKey: address)
        }
        let key = RoomKey(tenant: session.plan.tenant, channel: session.plan.channel)
        if let room = rooms[key] {
            room.sessions.removeAll { $0 === session }
            if room.sessions.isEmpty { rooms.removeValue(forKey: key) }
        }
        counters.sessionsClosed.add(1, ordering: .relaxed)
        onClose?(session.id)
        Self.logger.info(
            "session closed", ["session.id": session.id.rawValue, "reason": "\(reason)"])
    }

    private func runTimers(now: UInt64) {
        for session in sessions.values {
            guard case .handshaking = session.state, let deadline = session.dtls.nextTimeout(),
                deadline.milliseconds <= now, let address = session.address
            else { continue }
            apply(session.dtls.handleTimeout(now: .milliseconds(now)), to: session, peer: address)
        }
        guard now &- lastSweepAt >= 1000 else { return }
        lastSweepAt = now
        for session in Array(sessions.values) {
            if session.isConnected {
                if now &- session.lastConsentAt > Self.consentTimeoutMs {
                    close(session, reason: "consent expired")
                }
            } else if now &- session.admittedAt > Self.setupTimeoutMs {
                close(session, reason: "ICE or DTLS did not complete in time")
            }
        }
    }

    func send(datagrams: [[UInt8]], to address: PeerAddress) {
        for datagram in datagrams {
            datagram.withUnsafeBytes { sendRaw($0, to: address) }
        }
    }

    @inline(__always)
    func sendRaw(_ bytes: UnsafeRawBufferPointer, to address: PeerAddress) {
        switch try? socket.send(bytes, to: address) {
        case .done(let count):
            counters.packetsOut.add(1, ordering: .relaxed)
            counters.bytesOut.add(UInt64(count), ordering: .relaxed)
        case .wouldBlock, .none:
            counters.drop(.sendBufferFull)
        }
    }
}

import Crypto
import Wire

/// One participant's WebRTC session in the media plane: its ICE, DTLS and SRTP state, its
/// outgoing slots, and where its own audio goes.
///
/// Owned by exactly one forwarding worker from admission to close (the worker that owns
/// its channel); nothing here is touched by any other thread, so it needs no lock.
final class MediaSession {
    enum State {
        /// Admitted; waiting for a STUN check that proves the peer's address.
        case awaitingICE
        /// The address is proven; the DTLS handshake runs.
        case handshaking
        /// SRTP keys are in place; media flows.
        case connected(inbound: SRTPContext, outbound: SRTPContext)
        case closed(reason: String)
    }

    /// Where one of this speaker's packets goes: a listener and the index of its slot.
    struct Target {
        unowned(unsafe) let listener: MediaSession
        let slot: Int
    }

    let plan: SessionPlan
    /// This session's number on its worker: the routing table's `Route.session`.
    let number: UInt32
    /// The DTLS endpoint, until the peer has surely finished its handshake: then it is
    /// released (its SSL object is most of a connected session's memory), and DTLS
    /// records that still arrive are dropped and counted. See `releaseDTLSIfDone`.
    private(set) var dtls: DTLSEndpoint?
    /// When the last DTLS datagram arrived (ms, monotonic).
    var lastDTLSAt: UInt64
    private(set) var state: State = .awaitingICE
    /// The peer address that passed an ICE connectivity check (RFC 8445 7.3).
    var address: PeerAddress?
    /// When the session was admitted and when the peer last proved it is alive (ms).
    let admittedAt: UInt64
    var lastConsentAt: UInt64
    var slots: [OutgoingSlot]
    /// The listener slots this participant's audio is forwarded to now; rebuilt by the
    /// room when its speaker ranking changes, read per packet.
    var targets: ContiguousArray<Target> = []
    /// Reception statistics of the participant's audio, for our receiver reports.
    var reception = ReceptionStats()
    /// When the next RTCP report of ours is due (ms, monotonic).
    var nextReportAt: UInt64

    init(plan: SessionPlan, number: UInt32, dtls: DTLSEndpoint, now: UInt64) {
        self.plan = plan
        self.number = number
        self.dtls = dtls
        self.admittedAt = now
        self.lastDTLSAt = now
        self.lastConsentAt = now
        self.nextReportAt = now &+ 500 &+ UInt64(number % 500)
        self.slots = plan.slots.map { OutgoingSlot(plan: $0) }
        targets.reserveCapacity(64)
    }

    var id: SessionID { plan.id }

    /// Lets go of the DTLS endpoint of a connected session once the peer cannot need it:
    /// `peerSentMedia` (authenticated SRTP or SRTCP proves the peer derived its keys, so
    /// its handshake is over and it will not retransmit a flight), or no DTLS datagram for
    /// `quietMs` since the handshake (a peer missing our last flight retransmits its own
    /// within a few seconds). A peer's later close_notify can then not be read; it puts
    /// the session on probation instead (see `RelayEngine.handleDTLS`), and WHIP DELETE
    /// ends it at once. Returns true when it released.
    func releaseDTLSIfDone(peerSentMedia: Bool, now: UInt64, quietMs: UInt64) -> Bool {
        guard dtls != nil, isConnected, peerSentMedia || now &- lastDTLSAt >= quietMs else {
            return false
        }
        dtls = nil
        return true
    }

    var roomKey: RoomKey { RoomKey(tenant: plan.tenant, channel: plan.channel) }

    var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// Every state change goes through here, so it can be logged in one place.
    func transition(to next: State, reason: StaticString) {
        RelayEngine.logger.debug(
            "session state changed",
            ["session.id": plan.id.rawValue, "from": state.name, "to": next.name,
             "reason": "\(reason)"])
        state = next
    }
}

extension MediaSession.State {
    var name: String {
        switch self {
        case .awaitingICE: return "awaiting-ice"
        case .handshaking: return "handshaking"
        case .connected: return "connected"
        case .closed: return "closed"
        }
    }
}

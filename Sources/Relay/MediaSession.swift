import Crypto
import Wire

/// One participant's WebRTC session in the media plane: its ICE, DTLS and SRTP state and
/// its outgoing slots.
///
/// Owned by exactly one forwarding thread from admission to close; nothing here is
/// touched by any other thread, so it needs no lock.
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

    let plan: SessionPlan
    let dtls: DTLSEndpoint
    private(set) var state: State = .awaitingICE
    /// The peer address that passed an ICE connectivity check (RFC 8445 7.3).
    var address: PeerAddress?
    /// When the session was admitted and when the peer last proved it is alive (ms).
    let admittedAt: UInt64
    var lastConsentAt: UInt64
    var slots: [OutgoingSlot]
    /// Incoming RTP seen from this participant, for the speaker-activity view.
    var lastSpokeAt: UInt64 = 0

    init(plan: SessionPlan, dtls: DTLSEndpoint, now: UInt64) {
        self.plan = plan
        self.dtls = dtls
        self.admittedAt = now
        self.lastConsentAt = now
        self.slots = plan.slots.map { OutgoingSlot(plan: $0) }
    }

    var id: SessionID { plan.id }

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
        state = next
        RelayEngine.logger.debug(
            "session state changed",
            ["session.id": plan.id.rawValue, "state": next.name, "reason": "\(reason)"])
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

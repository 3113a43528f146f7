import Crypto
import Wire

/// ICE-lite (RFC 8445 2.5): we answer connectivity checks and never send them. A check
/// whose USERNAME names a session and whose MESSAGE-INTEGRITY verifies under that
/// session's password proves the sender's address; only then does the routing table send
/// DTLS or SRTP from that address to the session.
extension RelayEngine {
    static let bindingRequest: UInt16 = 0x0001

    /// `session` is the one the USERNAME's ufrag routed to, or nil when none matched.
    func handleSTUN(
        _ buffer: UnsafeMutableRawBufferPointer, length: Int, from peer: PeerAddress,
        session: MediaSession?, now: UInt64
    ) {
        let raw = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
        guard let message = try? STUNMessage.parse(raw) else {
            return counters.drop(.malformed)
        }
        // Indications and responses need no answer from an ICE-lite agent.
        guard message.type == Self.bindingRequest else { return }
        guard message.verifyFingerprint(raw: raw) else {
            return counters.drop(.malformed)
        }
        let unknown = message.unknownComprehensionRequired
        if !unknown.isEmpty {
            let reply = STUNMessage.errorResponse(
                transactionID: message.transactionID, code: 420, reason: "Unknown Attribute",
                unknownAttributes: unknown, integrityKey: nil)
            return reply.withUnsafeBytes { enqueue($0, to: peer) }
        }
        guard let session, let username = message.username,
            let colon = username.firstIndex(of: ":"),
            username[..<colon] == session.plan.localUfrag
        else {
            counters.drop(.stunUnknownUser)
            return replyUnauthorized(message, to: peer)
        }
        let key = Array(session.plan.localPwd.reveal.utf8)
        guard message.verifyMessageIntegrity(raw: raw, key: key) else {
            counters.drop(.stunBadIntegrity)
            return replyUnauthorized(message, to: peer)
        }

        let reply = STUNMessage.bindingSuccess(
            transactionID: message.transactionID,
            mappedAddress: (peer.addressBytes, peer.port), integrityKey: key)
        if session.address == nil || (message.hasUseCandidate && session.address != peer) {
            // Routes first, so that the peer's next datagram finds them on any worker.
            bind(session, to: peer, now: now, reply: reply)
        } else {
            if session.address == peer {
                session.lastConsentAt = now
                routes.proven(peer, by: Route(worker: index, session: session.number), now: now)
            }
            reply.withUnsafeBytes { enqueue($0, to: peer) }
        }
    }

    private func replyUnauthorized(_ message: STUNMessage, to peer: PeerAddress) {
        let reply = STUNMessage.errorResponse(
            transactionID: message.transactionID, code: 401, reason: "Unauthorized",
            unknownAttributes: [], integrityKey: nil)
        reply.withUnsafeBytes { enqueue($0, to: peer) }
    }

    /// Points the session's route at a newly proven address, answers the check and, on the
    /// first address, starts DTLS. An address another live session holds is not taken: the
    /// check goes unanswered and is counted (`address_in_use`).
    private func bind(_ session: MediaSession, to peer: PeerAddress, now: UInt64, reply: [UInt8]) {
        let route = Route(worker: index, session: session.number)
        guard routes.bind(
            peer, to: route, replacing: session.address, now: now, holdMs: Self.addressHoldMs)
        else { return counters.drop(.addressInUse) }
        session.lastConsentAt = now
        session.address = peer
        reply.withUnsafeBytes { enqueue($0, to: peer) }
        guard case .awaitingICE = session.state else { return }
        session.transition(to: .handshaking, reason: "ICE check succeeded")
        guard let dtls = session.dtls else { return }
        apply(dtls.start(now: .milliseconds(now)), to: session, peer: peer)
    }
}

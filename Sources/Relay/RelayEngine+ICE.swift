import Crypto
import Wire

/// ICE-lite (RFC 8445 2.5): we answer connectivity checks and never send them. A check
/// whose USERNAME names a session and whose MESSAGE-INTEGRITY verifies under that
/// session's password proves the sender's address; only then does DTLS or SRTP from that
/// address reach the session.
extension RelayEngine {
    static let bindingRequest: UInt16 = 0x0001

    func handleSTUN(length: Int, from peer: PeerAddress, now: UInt64) {
        let raw = Array(UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<length]))
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
            return reply.withUnsafeBytes { sendRaw($0, to: peer) }
        }
        guard let username = message.username,
            let colon = username.firstIndex(of: ":"),
            let session = byUfrag[String(username[..<colon])]
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
        reply.withUnsafeBytes { sendRaw($0, to: peer) }
        session.lastConsentAt = now
        if session.address == nil || (message.hasUseCandidate && session.address != peer) {
            bind(session, to: peer, now: now)
        }
    }

    private func replyUnauthorized(_ message: STUNMessage, to peer: PeerAddress) {
        let reply = STUNMessage.errorResponse(
            transactionID: message.transactionID, code: 401, reason: "Unauthorized",
            unknownAttributes: [], integrityKey: nil)
        reply.withUnsafeBytes { sendRaw($0, to: peer) }
    }

    /// Points the session's route at a newly proven address and, on the first one,
    /// starts DTLS.
    private func bind(_ session: MediaSession, to peer: PeerAddress, now: UInt64) {
        if let old = session.address, byAddress[old] === session {
            byAddress.removeValue(forKey: old)
        }
        if let other = byAddress[peer], other !== session {
            // Another session held this address (a client that rejoined from the same
            // port): the newer proof wins and the old session loses its route.
            other.address = nil
        }
        session.address = peer
        byAddress[peer] = session
        guard case .awaitingICE = session.state else { return }
        session.transition(to: .handshaking, reason: "ICE check succeeded")
        apply(session.dtls.start(now: .milliseconds(now)), to: session, peer: peer)
    }
}

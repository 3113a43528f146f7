import Crypto
import Wire

/// DTLS records (RFC 6347) from a proven address drive that session's handshake. When it
/// completes, the exported keys become the session's SRTP contexts (RFC 5764 4.2).
extension RelayEngine {
    func handleDTLS(
        _ buffer: UnsafeMutableRawBufferPointer, length: Int, session: MediaSession,
        now: UInt64
    ) {
        guard let peer = session.address else { return counters.drop(.unknownAddress) }
        guard let dtls = session.dtls else {
            counters.drop(.dtlsAfterHandshake)
            // An alert record, most likely the peer's close_notify, can no longer be
            // authenticated. It only puts the session on probation: unless the peer
            // proves within `closeProbationMs` that it is alive (a consent check, SRTCP),
            // the sweep ends it. A forged alert cannot end a live session.
            if buffer[0] == 21 {
                session.lastConsentAt = min(
                    session.lastConsentAt, now &- Self.consentTimeoutMs &+ Self.closeProbationMs)
            }
            return
        }
        session.lastDTLSAt = now
        let datagram = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
        apply(dtls.receive(datagram, now: .milliseconds(now)), to: session, peer: peer)
    }

    /// Releases the session's DTLS endpoint when it can no longer be needed, and counts it.
    func releaseDTLSIfDone(_ session: MediaSession, peerSentMedia: Bool, now: UInt64) {
        if session.releaseDTLSIfDone(
            peerSentMedia: peerSentMedia, now: now, quietMs: Self.dtlsQuietReleaseMs)
        {
            counters.dtlsEndpointsReleased.add(1, ordering: .relaxed)
        }
    }

    /// Sends what the DTLS endpoint produced and acts on its event.
    func apply(_ output: DTLSOutput, to session: MediaSession, peer: PeerAddress) {
        send(datagrams: output.datagrams, to: peer)
        guard let event = output.event else { return }

        switch event {
        case .connected(let keys):
            do {
                let inbound = try SRTPContext(
                    profile: keys.profile, key: keys.remoteKey, salt: keys.remoteSalt,
                    direction: .inbound)
                // One outbound stream per slot, plus the SSRC of our receiver reports.
                let outbound = try SRTPContext(
                    profile: keys.profile, key: keys.localKey, salt: keys.localSalt,
                    direction: .outbound,
                    streams: max(SRTPContext.maximumStreams, session.slots.count + 1))
                session.transition(
                    to: .connected(inbound: inbound, outbound: outbound),
                    reason: "DTLS handshake completed")
                counters.dtlsHandshakesCompleted.add(1, ordering: .relaxed)
                onConnected?(session.id)
                Self.logger.info("media connected", [
                    "session.id": session.id.rawValue, "peer.addr": peer.description,
                    "srtp.profile": "\(keys.profile)", "worker": "\(index)",
                ])
            } catch {
                counters.dtlsFailures.add(1, ordering: .relaxed)
                Self.logger.warning(
                    "SRTP setup failed", ["session.id": session.id.rawValue, "error": "\(error)"])
                close(session, reason: "SRTP setup failed")
            }
        case .failed(let reason):
            counters.dtlsFailures.add(1, ordering: .relaxed)
            Self.logger.warning(
                "DTLS handshake failed", ["session.id": session.id.rawValue, "error": reason])
            close(session, reason: "DTLS handshake failed")
        case .closed:
            close(session, reason: "peer closed DTLS")
        }
    }
}

import Crypto
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// The packet path: SRTP from a connected session. An RTP packet is decrypted once in
/// place, its audio level feeds the room's speaker ranking, and for each listener slot
/// the speaker is mapped onto it is written under that slot (SSRC, sequence, timestamp,
/// payload type, extensions) straight into the next send-batch buffer and encrypted
/// there. No lock, no heap allocation and no logging happen here.
extension RelayEngine {
    /// Room for the SRTP auth tag (16 bytes for GCM, 10 for HMAC-SHA1-80) and an MKI.
    static let trailerRoom = 32
    /// The level assumed for a speaker whose stream carries no RFC 6464 extension
    /// (-40 dBov): such speakers are ranked first come, first served.
    static let assumedLevel: UInt8 = 40

    /// `arrival`: the kernel's arrival stamp (CLOCK_REALTIME ns, 0 when unknown), compared
    /// with `realNow` to shed stale packets under overload.
    func handleSRTP(
        _ buffer: UnsafeMutableRawBufferPointer, length: Int, session: MediaSession,
        arrival: UInt64 = 0, now: UInt64
    ) {
        guard case .connected(let inbound, _) = session.state else {
            return counters.drop(.notConnected)
        }
        guard length >= 12, let base = buffer.baseAddress else {
            return counters.drop(.malformed)
        }
        if PacketClass.isRTCP(secondByte: buffer[1]) {
            return handleSRTCP(buffer, length: length, session: session, inbound: inbound,
                               now: now)
        }

        let plainLength: Int
        do {
            plainLength = try inbound.unprotectRTP(base, length: length, capacity: buffer.count)
        } catch {
            return counters.drop(error == .replayFail ? .srtpReplay : .srtpAuthFailure)
        }
        if session.dtls != nil { releaseDTLSIfDone(session, peerSentMedia: true, now: now) }
        let packet = UnsafeRawBufferPointer(start: base, count: plainLength)
        guard let header = RTPHeaderView.parse(packet) else {
            return counters.drop(.malformed)
        }
        guard let incoming = session.plan.incoming,
            header.payloadType == incoming.payloadType
        else {
            return counters.drop(.unexpectedPayloadType)
        }
        session.reception.record(
            ssrc: header.ssrc, sequence: header.sequence, timestamp: header.timestamp,
            arrival: UInt32(truncatingIfNeeded: now &* 48))

        var level: (voice: Bool, level: UInt8)? = nil
        if let id = incoming.audioLevelExtensionID {
            level = header.audioLevel(id: id, in: packet)
        }
        guard let room = rooms[session.roomKey] else { return }
        room.observe(session, level: level?.level ?? Self.assumedLevel, now: now)

        let payload = UnsafeRawBufferPointer(
            rebasing: packet[header.headerLength..<(header.headerLength + header.payloadLength)])
        room.tap?.push(speaker: session.plan.member, timestamp: header.timestamp,
                       arrivalMs: now, payload: payload)
        if arrival != 0, realNow > arrival, realNow &- arrival > Self.staleMediaMs * 1_000_000 {
            return counters.drop(.staleMedia)
        }
        // An index loop: a debug build's unspecialized iterator would box each element.
        var position = 0
        while position < session.targets.count {
            let target = session.targets[position]
            position += 1
            let listener = target.listener
            guard case .connected(_, let outbound) = listener.state,
                let address = listener.address
            else { continue }
            writeAndSend(payload, header: header, level: level, from: session.number,
                         slot: target.slot, of: listener,
                         outbound: outbound, to: address, now: now)
        }
    }

    private func writeAndSend(
        _ payload: UnsafeRawBufferPointer, header: RTPHeaderView,
        level: (voice: Bool, level: UInt8)?, from speaker: UInt32, slot index: Int,
        of listener: MediaSession, outbound: SRTPContext, to address: PeerAddress,
        now: UInt64
    ) {
        guard listener.slots[index].take(
            speaker, ssrc: header.ssrc.rawValue, sequence: header.sequence,
            timestamp: header.timestamp, now: now)
        else { return counters.drop(.lateAfterSwitch) }
        if sendBatch.isFull { flushSends() }
        let out = sendBatch.nextSendBuffer()
        let outTimestamp = header.timestamp &+ listener.slots[index].timestampOffset
        let sequence = header.sequence &+ listener.slots[index].sequenceOffset
        guard let headerLength = listener.slots[index].writeHeader(
            into: out, marker: header.marker, sequence: sequence, timestamp: outTimestamp,
            audioLevel: level)
        else { return counters.drop(.malformed) }
        let total = headerLength + payload.count
        guard total + Self.trailerRoom <= out.count, let base = out.baseAddress else {
            return counters.drop(.malformed)
        }
        if let source = payload.baseAddress, payload.count > 0 {
            memcpy(base + headerLength, source, payload.count)
        }

        let protectedLength: Int
        do {
            protectedLength = try outbound.protectRTP(base, length: total, capacity: out.count)
        } catch {
            return counters.drop(.srtpAuthFailure)
        }
        listener.slots[index].sent(
            sequence: sequence, timestamp: outTimestamp, payloadBytes: payload.count, now: now)
        tally.forwarded &+= 1
        tally.bytesOut &+= UInt64(protectedLength)
        sendBatch.commit(length: protectedLength, to: address)
    }
}

import Crypto
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// The packet path: SRTP and SRTCP from a connected session. An RTP packet is decrypted
/// once, then for each other participant of the same room written under that listener's
/// slot (SSRC, sequence, timestamp, payload type, extensions) and encrypted once per
/// slot. No lock and no heap allocation happen here.
extension RelayEngine {
    /// Room for the SRTP auth tag (16 bytes for GCM, 10 for HMAC-SHA1-80) and an MKI.
    static let trailerRoom = 32

    func handleSRTP(length: Int, from peer: PeerAddress, now: UInt64) {
        guard let session = byAddress[peer] else {
            return counters.drop(.unknownAddress)
        }
        guard case .connected(let inbound, _) = session.state else {
            return counters.drop(.notConnected)
        }
        guard length >= 12, let base = receiveBuffer.baseAddress else {
            return counters.drop(.malformed)
        }
        if PacketClass.isRTCP(secondByte: receiveBuffer[1]) {
            return handleSRTCP(session, inbound: inbound, length: length, now: now)
        }

        let plainLength: Int
        do {
            plainLength = try inbound.unprotectRTP(
                base, length: length, capacity: receiveBuffer.count)
        } catch {
            return counters.drop(error == .replayFail ? .srtpReplay : .srtpAuthFailure)
        }
        let packet = UnsafeRawBufferPointer(start: base, count: plainLength)
        guard let header = RTPHeaderView.parse(packet) else {
            return counters.drop(.malformed)
        }
        guard let incoming = session.plan.incoming,
            header.payloadType == incoming.payloadType
        else {
            return counters.drop(.unexpectedPayloadType)
        }

        var level: (voice: Bool, level: UInt8)? = nil
        if let id = incoming.audioLevelExtensionID {
            level = header.audioLevel(id: id, in: packet)
        }
        session.lastSpokeAt = now
        let payload = UnsafeRawBufferPointer(
            rebasing: packet[header.headerLength..<(header.headerLength + header.payloadLength)])
        forward(payload, marker: header.marker, timestamp: header.timestamp, level: level,
                from: session, now: now)
    }

    private func handleSRTCP(
        _ session: MediaSession, inbound: SRTPContext, length: Int, now: UInt64
    ) {
        guard let base = receiveBuffer.baseAddress else { return }
        let plainLength: Int
        do {
            plainLength = try inbound.unprotectRTCP(
                base, length: length, capacity: receiveBuffer.count)
        } catch {
            return counters.drop(error == .replayFail ? .srtpReplay : .srtpAuthFailure)
        }
        counters.rtcpReceived.add(1, ordering: .relaxed)
        session.lastConsentAt = max(session.lastConsentAt, now &- Self.consentTimeoutMs / 2)
        // TODO: RTCP is parsed and checked but not yet used (receiver reports feed no
        // statistics); sender and receiver reports of our own come with the forwarding core.
        let parsed = RTCPPacket.parseCompound(UnsafeRawBufferPointer(start: base, count: plainLength))
        if parsed.malformed > 0 || parsed.packets.first?.isReport != true {
            counters.rtcpMalformed.add(1, ordering: .relaxed)
        }
    }

    /// Sends one speaker's frame to every other connected session in the room.
    private func forward(
        _ payload: UnsafeRawBufferPointer, marker: Bool, timestamp: UInt32, level: (voice: Bool, level: UInt8)?,
        from speaker: MediaSession, now: UInt64
    ) {
        let key = RoomKey(tenant: speaker.plan.tenant, channel: speaker.plan.channel)
        guard let room = rooms[key] else { return }
        room.tap?.push(speaker: speaker.plan.member, timestamp: timestamp, arrivalMs: now,
                       payload: payload)
        for listener in room.sessions where listener !== speaker {
            guard case .connected(_, let outbound) = listener.state,
                let address = listener.address
            else { continue }
            guard let index = slotIndex(in: listener, for: speaker.id, timestamp: timestamp,
                                        now: now)
            else {
                counters.drop(.noFreeSlot)
                continue
            }
            writeAndSend(payload, marker: marker, timestamp: timestamp, level: level,
                         slot: index, of: listener, outbound: outbound, to: address, now: now)
        }
    }

    /// The listener's slot for `speaker`: the one already carrying it, else a free or idle
    /// one. Simple first-come mapping; choosing the loudest speakers is the forwarding
    /// core's job.
    private func slotIndex(
        in listener: MediaSession, for speaker: SessionID, timestamp: UInt32, now: UInt64
    ) -> Int? {
        var free: Int? = nil
        for index in listener.slots.indices {
            let slot = listener.slots[index]
            if slot.speaker == speaker { return index }
            if free == nil && (slot.speaker == nil || now &- slot.lastForwardAt > 1000) {
                free = index
            }
        }
        guard let chosen = free else { return nil }
        listener.slots[chosen].assign(speaker, incomingTimestamp: timestamp, now: now)
        return chosen
    }

    private func writeAndSend(
        _ payload: UnsafeRawBufferPointer, marker: Bool, timestamp: UInt32, level: (voice: Bool, level: UInt8)?,
        slot index: Int, of listener: MediaSession, outbound: SRTPContext,
        to address: PeerAddress, now: UInt64
    ) {
        let outTimestamp = timestamp &+ listener.slots[index].timestampOffset
        let sequence = listener.slots[index].nextSequence
        guard let headerLength = listener.slots[index].writeHeader(
            into: sendBuffer, marker: marker, sequence: sequence, timestamp: outTimestamp,
            audioLevel: level)
        else { return counters.drop(.malformed) }
        let total = headerLength + payload.count
        guard total + Self.trailerRoom <= sendBuffer.count, let base = sendBuffer.baseAddress
        else { return counters.drop(.malformed) }
        if payload.count > 0 {
            memcpy(base + headerLength, payload.baseAddress!, payload.count)
        }

        let protectedLength: Int
        do {
            protectedLength = try outbound.protectRTP(
                base, length: total, capacity: sendBuffer.count)
        } catch {
            return counters.drop(.srtpAuthFailure)
        }
        listener.slots[index].nextSequence = sequence &+ 1
        listener.slots[index].lastTimestamp = outTimestamp
        listener.slots[index].hasSent = true
        listener.slots[index].lastForwardAt = now
        listener.slots[index].packetsSent &+= 1
        listener.slots[index].octetsSent &+= UInt64(payload.count)
        counters.rtpForwarded.add(1, ordering: .relaxed)
        sendRaw(UnsafeRawBufferPointer(start: base, count: protectedLength), to: address)
    }
}

import Crypto
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// RTCP (RFC 3550 6): incoming compound packets are decrypted, parsed and checked, and
/// count as a sign of life; a sender report feeds our receiver statistics. Each connected
/// session gets, about once a second, a sender report for each of its slots that has sent
/// (with a reception report block for the participant's own audio on the first) or, when
/// no slot has sent yet, a receiver report; each compound carries an SDES CNAME.
extension RelayEngine {
    /// Mean interval between our reports to one session (ms); RFC 3550 6.2 allows a fixed
    /// interval at these rates (one report of < 100 bytes per second per slot).
    static let reportIntervalMs: UInt64 = 1000
    /// The CNAME of every source of ours (RFC 3550 6.5.1; RFC 7022 allows a fixed one
    /// per relay since slots never collide within a session).
    static let cname = "whoot-relay"
    /// January 1970 minus January 1900, in seconds, for NTP timestamps.
    static let ntpEpochOffset: UInt64 = 2_208_988_800

    func handleSRTCP(
        _ buffer: UnsafeMutableRawBufferPointer, length: Int, session: MediaSession,
        inbound: SRTPContext, now: UInt64
    ) {
        guard let base = buffer.baseAddress else { return }
        let plainLength: Int
        do {
            plainLength = try inbound.unprotectRTCP(base, length: length, capacity: buffer.count)
        } catch {
            return counters.drop(error == .replayFail ? .srtpReplay : .srtpAuthFailure)
        }
        if session.dtls != nil { releaseDTLSIfDone(session, peerSentMedia: true, now: now) }
        let parsed = RTCPPacket.parseCompound(
            UnsafeRawBufferPointer(start: base, count: plainLength))
        guard parsed.malformed == 0, parsed.packets.first?.isReport == true else {
            counters.rtcpMalformed.add(1, ordering: .relaxed)
            return
        }
        counters.rtcpReceived.add(1, ordering: .relaxed)
        session.lastConsentAt = max(session.lastConsentAt, now &- Self.consentTimeoutMs / 2)
        for packet in parsed.packets {
            if case .senderReport(let ssrc, let ntp, _, _, _, _) = packet,
                ssrc == session.reception.ssrc
            {
                session.reception.recordSenderReport(ntp: ntp, now: now)
            }
        }
    }

    /// Sends this session's reports if it is connected; schedules the next ones.
    func sendReports(_ session: MediaSession, now: UInt64) {
        session.nextReportAt = now &+ Self.reportIntervalMs
        guard case .connected(_, let outbound) = session.state, let address = session.address
        else { return }
        let ntp = Self.ntpNow()
        reportScratch.removeAll(keepingCapacity: true)
        if let block = session.reception.reportBlock(now: now) { reportScratch.append(block) }

        var sentReport = false
        for index in session.slots.indices where session.slots[index].hasSent {
            let slot = session.slots[index]
            // The RTP time of "now", extrapolated from the last packet sent (48 kHz).
            let elapsed = UInt32(truncatingIfNeeded: (now &- slot.lastForwardAt) &* 48)
            guard let length = RTCPPacket.buildSenderReport(
                into: rtcpBuffer, ssrc: slot.plan.ssrc, ntp: ntp,
                rtpTime: slot.lastTimestamp &+ elapsed,
                packetCount: UInt32(truncatingIfNeeded: slot.packetsSent),
                octetCount: UInt32(truncatingIfNeeded: slot.octetsSent),
                reports: sentReport ? [] : reportScratch)
            else { continue }
            sendCompound(length: length, ssrc: slot.plan.ssrc, outbound: outbound, to: address)
            sentReport = true
        }
        guard !sentReport, !reportScratch.isEmpty, let first = session.slots.first else { return }
        guard let length = RTCPPacket.buildReceiverReport(
            into: rtcpBuffer, ssrc: first.plan.ssrc, reports: reportScratch)
        else { return }
        sendCompound(length: length, ssrc: first.plan.ssrc, outbound: outbound, to: address)
    }

    /// Appends an SDES CNAME to the report in `rtcpBuffer[0..<length]`, protects and sends.
    private func sendCompound(
        length: Int, ssrc: SSRC, outbound: SRTPContext, to address: PeerAddress
    ) {
        let rest = UnsafeMutableRawBufferPointer(rebasing: rtcpBuffer[length...])
        guard let sdes = RTCPPacket.buildSDESCNAME(into: rest, ssrc: ssrc, cname: Self.cname),
            let base = rtcpBuffer.baseAddress,
            let protected = try? outbound.protectRTCP(
                base, length: length + sdes, capacity: rtcpBuffer.count)
        else { return counters.drop(.malformed) }
        counters.rtcpSent.add(1, ordering: .relaxed)
        enqueue(UnsafeRawBufferPointer(start: base, count: protected), to: address)
    }

    /// Wall-clock time as a 64-bit NTP timestamp (RFC 3550 4).
    static func ntpNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let seconds = UInt64(ts.tv_sec) &+ ntpEpochOffset
        let fraction = (UInt64(ts.tv_nsec) << 32) / 1_000_000_000
        return seconds << 32 | fraction
    }
}

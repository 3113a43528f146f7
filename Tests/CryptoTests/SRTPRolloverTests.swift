import Crypto
import Testing

/// Sequence-number wrap and the rollover counter (RFC 3711 3.3.1, appendix A), per SSRC.
@Suite struct SRTPRolloverTests {
    @Test(arguments: SRTPProfile.allCases)
    func packetsAcrossTheWrapDecryptAndAdvanceTheCounter(profile: SRTPProfile) throws {
        let link = try SRTPLink(profile)
        let wrapping: UInt32 = 0xAAAA_0001
        let steady: UInt32 = 0xBBBB_0002

        for step in 0..<20 {
            let sequence = UInt16(truncatingIfNeeded: 65530 + step)
            for (ssrc, seq) in [(wrapping, sequence), (steady, UInt16(100 + step))] {
                let packet = rtpPacket(ssrc: ssrc, sequence: seq)
                let sealed = try link.clientOut.protectRTP(packet)
                #expect(try link.serverIn.unprotectRTP(sealed) == packet, "seq \(seq)")
            }
        }

        #expect(link.clientOut.rolloverCounter(ssrc: wrapping) == 1)
        #expect(link.serverIn.rolloverCounter(ssrc: wrapping) == 1)
        #expect(link.clientOut.rolloverCounter(ssrc: steady) == 0)
        #expect(link.serverIn.rolloverCounter(ssrc: steady) == 0)
    }

    /// 60000 -> (wrap) -> 20000 skips 25536 packets, under 2^15, so the receiver's index
    /// estimate picks ROC + 1, as the sender used.
    @Test(arguments: SRTPProfile.allCases)
    func burstLossAcrossTheWrapShorterThanHalfTheRangeIsBridged(profile: SRTPProfile) throws {
        let link = try SRTPLink(profile)
        let ssrc: UInt32 = 0xC0FF_EE00
        for sequence in UInt16(60000)...60005 {
            _ = try link.serverIn.unprotectRTP(
                link.clientOut.protectRTP(rtpPacket(ssrc: ssrc, sequence: sequence)))
        }

        let afterGap = rtpPacket(ssrc: ssrc, sequence: 20000)
        let sealed = try link.clientOut.protectRTP(afterGap)

        #expect(try link.serverIn.unprotectRTP(sealed) == afterGap)
        #expect(link.serverIn.rolloverCounter(ssrc: ssrc) == 1)
        let next = rtpPacket(ssrc: ssrc, sequence: 20001)
        #expect(try link.serverIn.unprotectRTP(link.clientOut.protectRTP(next)) == next)
    }

    /// A loss of 2^15 packets or more cannot be bridged: RFC 3711's estimate reads
    /// 60005 -> (wrap) -> 40000 as an old packet of the same cycle, and libsrtp drops it as
    /// a replay. The sender really did send (and we lost) every packet in between.
    @Test func burstLossOfHalfTheRangeOrMoreIsDroppedAsAReplay() throws {
        let link = try SRTPLink(.aeadAes128Gcm)
        let ssrc: UInt32 = 0xC0FF_EE01
        for sequence in UInt16(60000)...60005 {
            _ = try link.serverIn.unprotectRTP(
                link.clientOut.protectRTP(rtpPacket(ssrc: ssrc, sequence: sequence)))
        }
        var buffer = [UInt8](repeating: 0, count: 128)
        var sequence: UInt16 = 60006
        while sequence != 40000 {
            let packet = rtpPacket(ssrc: ssrc, sequence: sequence)
            buffer.replaceSubrange(0..<packet.count, with: packet)
            _ = try buffer.withUnsafeMutableBytes { raw throws(SRTPError) in
                try link.clientOut.protectRTP(raw.baseAddress!, length: packet.count, capacity: 128)
            }
            sequence &+= 1
        }

        let sealed = try link.clientOut.protectRTP(rtpPacket(ssrc: ssrc, sequence: 40000))
        #expect(link.clientOut.rolloverCounter(ssrc: ssrc) == 1)
        #expect(throws: SRTPError.replayFail) { try link.serverIn.unprotectRTP(sealed) }
        #expect(link.serverIn.rolloverCounter(ssrc: ssrc) == 0)
    }

    @Test func removedStreamIsForgotten() throws {
        let link = try SRTPLink(.aes128CmSha1_80)
        _ = try link.clientOut.protectRTP(rtpPacket(ssrc: 77, sequence: 1))
        #expect(link.clientOut.rolloverCounter(ssrc: 77) == 0)

        link.clientOut.removeStream(ssrc: 77)

        #expect(link.clientOut.rolloverCounter(ssrc: 77) == nil)
    }
}

import Crypto
import Testing
import TestKit

/// An RTP packet with `csrcs` contributing sources and, if `extensionWords` > 0, a
/// one-byte-header extension (RFC 8285) of that many 32-bit words: all of it header.
func rtpPacket(
    ssrc: UInt32, sequence: UInt16, csrcs: Int, extensionWords: Int, payload: Int = 100
) -> [UInt8] {
    var packet: [UInt8] = [
        0x80 | (extensionWords > 0 ? 0x10 : 0) | UInt8(csrcs), 111,
        UInt8(sequence >> 8), UInt8(sequence & 0xFF),
    ]
    packet += bigEndian(UInt32(sequence) &* 960) + bigEndian(ssrc)
    for csrc in 0..<csrcs { packet += bigEndian(0xC5C0_0000 + UInt32(csrc)) }
    if extensionWords > 0 {
        packet += [0xBE, 0xDE, 0, UInt8(extensionWords)]
        packet += [0x10, 0x80 | 0x25] + [UInt8](repeating: 0, count: 4 * extensionWords - 2)
    }
    return packet + (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(sequence)) }
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) }
}

/// One direction, twice: our context and libsrtp's, keyed with the same master key.
struct MixedPair {
    let ours: SRTPContext
    let theirs: LibSRTPReference

    init(_ profile: SRTPProfile, ours direction: SRTPDirection) throws {
        let key = (0..<profile.keyLength).map { UInt8($0 * 13 + 1) }
        let salt = (0..<profile.saltLength).map { UInt8(truncatingIfNeeded: $0 * 29 + 3) }
        ours = try SRTPContext(
            profile: profile, key: Secret(key), salt: Secret(salt), direction: direction)
        theirs = try LibSRTPReference(
            profile: profile, key: key, salt: salt,
            direction: direction == .inbound ? .outbound : .inbound)
    }
}

/// Our SRTP and libsrtp must read each other, byte for byte, for both profiles.
@Suite struct SRTPInteropTests {
    static let shapes: [(csrcs: Int, extensionWords: Int)] = [(0, 0), (2, 0), (0, 3), (3, 1)]

    @Test(arguments: SRTPProfile.allCases)
    func libsrtpOpensWhatWeProtectAcrossTheWrap(profile: SRTPProfile) throws {
        let pair = try MixedPair(profile, ours: .outbound)
        for step in 0..<24 {
            let sequence = UInt16(truncatingIfNeeded: 65_524 + step)
            let shape = Self.shapes[step % Self.shapes.count]
            let packet = rtpPacket(
                ssrc: 0xA1B2_C3D4, sequence: sequence, csrcs: shape.csrcs,
                extensionWords: shape.extensionWords)

            let sealed = try pair.ours.protectRTP(packet)

            #expect(try pair.theirs.unprotectRTP(sealed) == packet, "seq \(sequence)")
        }
        #expect(pair.ours.rolloverCounter(ssrc: 0xA1B2_C3D4) == 1)
    }

    @Test(arguments: SRTPProfile.allCases)
    func weOpenWhatLibsrtpProtectsAcrossTheWrap(profile: SRTPProfile) throws {
        let pair = try MixedPair(profile, ours: .inbound)
        for step in 0..<24 {
            let sequence = UInt16(truncatingIfNeeded: 65_524 + step)
            let shape = Self.shapes[step % Self.shapes.count]
            let packet = rtpPacket(
                ssrc: 0x0BAD_CAFE, sequence: sequence, csrcs: shape.csrcs,
                extensionWords: shape.extensionWords)

            let sealed = try pair.theirs.protectRTP(packet)

            #expect(try pair.ours.unprotectRTP(sealed) == packet, "seq \(sequence)")
        }
        #expect(pair.ours.rolloverCounter(ssrc: 0x0BAD_CAFE) == 1)
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtcpInteroperatesInBothDirections(profile: SRTPProfile) throws {
        let sending = try MixedPair(profile, ours: .outbound)
        let receiving = try MixedPair(profile, ours: .inbound)
        // A sender report (28 bytes) and a compound SR + SDES.
        let report: [UInt8] = [0x80, 200, 0, 6] + bigEndian(0x1234_5678)
            + [UInt8](repeating: 0x42, count: 20)
        let compound = report + [0x81, 202, 0, 2] + bigEndian(0x1234_5678) + [1, 2, 0x61, 0x62]

        for packet in [report, compound, report, compound] {
            let ours = try sending.ours.protectRTCP(packet)
            #expect(try sending.theirs.unprotectRTCP(ours) == packet)
            let theirs = try receiving.theirs.protectRTCP(packet)
            #expect(try receiving.ours.unprotectRTCP(theirs) == packet)
        }
    }

    /// Both implementations, fed the same packets, must write the same bytes.
    @Test(arguments: SRTPProfile.allCases)
    func protectedBytesAreIdenticalToLibsrtps(profile: SRTPProfile) throws {
        let pair = try MixedPair(profile, ours: .outbound)
        let twin = try LibSRTPReference(
            profile: profile, key: (0..<16).map { UInt8($0 * 13 + 1) },
            salt: (0..<profile.saltLength).map { UInt8(truncatingIfNeeded: $0 * 29 + 3) },
            direction: .outbound)
        let packet = rtpPacket(ssrc: 9, sequence: 65_535, csrcs: 1, extensionWords: 2)
        let report: [UInt8] = [0x80, 201, 0, 1] + bigEndian(9)

        #expect(try pair.ours.protectRTP(packet) == twin.protectRTP(packet))
        #expect(try pair.ours.protectRTCP(report) == twin.protectRTCP(report))
    }

    @Test(arguments: SRTPProfile.allCases)
    func packetTooShortForItsHeaderOrTagIsRefused(profile: SRTPProfile) throws {
        let pair = try MixedPair(profile, ours: .inbound)
        let packet = rtpPacket(ssrc: 3, sequence: 10, csrcs: 2, extensionWords: 2, payload: 4)
        let sealed = try pair.theirs.protectRTP(packet)

        // Cut into the tag: authentication fails; cut into the header: a parse error.
        #expect(throws: SRTPError.authFail) {
            try pair.ours.unprotectRTP(Array(sealed.dropLast(1)))
        }
        #expect(throws: SRTPError.badParam) { try pair.ours.unprotectRTP(Array(sealed[0..<20])) }
        let report = try pair.theirs.protectRTCP([0x80, 201, 0, 1] + bigEndian(3))
        #expect(throws: SRTPError.badParam) {
            try pair.ours.unprotectRTCP(Array(report[0..<(report.count - 2)]))
        }
        #expect(try pair.ours.unprotectRTP(sealed) == packet)
    }

    @Test(arguments: SRTPProfile.allCases)
    func packetOlderThanTheReplayWindowIsRefused(profile: SRTPProfile) throws {
        let pair = try MixedPair(profile, ours: .inbound)
        let sealed = try (0..<200).map { sequence in
            try pair.theirs.protectRTP(
                rtpPacket(ssrc: 4, sequence: UInt16(sequence), csrcs: 0, extensionWords: 0))
        }
        _ = try pair.ours.unprotectRTP(sealed[199])

        // 199 - 127 = 72 is the oldest the window still holds; 71 is too old.
        #expect(throws: SRTPError.replayFail) { try pair.ours.unprotectRTP(sealed[71]) }
        _ = try pair.ours.unprotectRTP(sealed[72])
        #expect(throws: SRTPError.replayFail) { try pair.ours.unprotectRTP(sealed[72]) }
        _ = try pair.ours.unprotectRTP(sealed[150])
    }

    @Test(arguments: SRTPProfile.allCases)
    func tamperedRTCPTagIsRefusedAndLeavesTheWindowAlone(profile: SRTPProfile) throws {
        let pair = try MixedPair(profile, ours: .inbound)
        let sealed = try pair.theirs.protectRTCP([0x80, 201, 0, 1] + bigEndian(5))
        var tampered = sealed
        tampered[tampered.count - (profile == .aeadAes128Gcm ? 5 : 1)] ^= 0x80

        #expect(throws: SRTPError.authFail) { try pair.ours.unprotectRTCP(tampered) }
        #expect(try pair.ours.unprotectRTCP(sealed).count == 8)
        #expect(throws: SRTPError.replayFail) { try pair.ours.unprotectRTCP(sealed) }
    }

    @Test func repeatedOutboundSequenceNumberIsRefused() throws {
        let pair = try MixedPair(.aeadAes128Gcm, ours: .outbound)
        let packet = rtpPacket(ssrc: 6, sequence: 500, csrcs: 0, extensionWords: 0)
        _ = try pair.ours.protectRTP(packet)

        #expect(throws: SRTPError.replayFail) { try pair.ours.protectRTP(packet) }
    }

    @Test func seventeenthSSRCIsRefusedUntilOneIsRemoved() throws {
        let pair = try MixedPair(.aes128CmSha1_80, ours: .outbound)
        for ssrc in 1...UInt32(SRTPContext.maximumStreams) {
            _ = try pair.ours.protectRTP(
                rtpPacket(ssrc: ssrc, sequence: 1, csrcs: 0, extensionWords: 0))
        }
        let newcomer = rtpPacket(ssrc: 99, sequence: 1, csrcs: 0, extensionWords: 0)

        #expect(throws: SRTPError.streamLimit) { try pair.ours.protectRTP(newcomer) }
        pair.ours.removeStream(ssrc: 3)
        #expect(try pair.theirs.unprotectRTP(pair.ours.protectRTP(newcomer)).count > 0)
    }

    @Test func forgedPacketsDoNotTakeAPlaceInTheStreamTable() throws {
        let pair = try MixedPair(.aeadAes128Gcm, ours: .inbound)
        for ssrc in 100..<UInt32(100 + 2 * SRTPContext.maximumStreams) {
            var forged = rtpPacket(ssrc: ssrc, sequence: 1, csrcs: 0, extensionWords: 0)
            forged += [UInt8](repeating: 0, count: 16)
            #expect(throws: SRTPError.authFail) { try pair.ours.unprotectRTP(forged) }
        }
        let genuine = rtpPacket(ssrc: 7, sequence: 1, csrcs: 0, extensionWords: 0)

        #expect(try pair.ours.unprotectRTP(pair.theirs.protectRTP(genuine)) == genuine)
        #expect(pair.ours.rolloverCounter(ssrc: 100) == nil)
    }
}

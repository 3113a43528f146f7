import Crypto
import Testing

/// Both directions of SRTP keyed from the two ends of a real in-memory DTLS handshake.
struct SRTPLink {
    let clientOut: SRTPContext
    let serverIn: SRTPContext
    let serverOut: SRTPContext
    let clientIn: SRTPContext

    init(_ profile: SRTPProfile) throws {
        let keys = try DTLSHarness.connected(profiles: [profile])
        #expect(keys.client.profile == profile)
        clientOut = try SRTPContext(
            profile: profile, key: keys.client.localKey, salt: keys.client.localSalt,
            direction: .outbound)
        serverIn = try SRTPContext(
            profile: profile, key: keys.server.remoteKey, salt: keys.server.remoteSalt,
            direction: .inbound)
        serverOut = try SRTPContext(
            profile: profile, key: keys.server.localKey, salt: keys.server.localSalt,
            direction: .outbound)
        clientIn = try SRTPContext(
            profile: profile, key: keys.client.remoteKey, salt: keys.client.remoteSalt,
            direction: .inbound)
    }
}

/// An RTP packet (RFC 3550 5.1): version 2, payload type 111, 20 bytes of payload.
func rtpPacket(ssrc: UInt32, sequence: UInt16, payload: UInt8 = 0x5A) -> [UInt8] {
    let timestamp = UInt32(sequence) &* 960
    var packet: [UInt8] = [0x80, 111, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
    for shift in [24, 16, 8, 0] as [UInt32] { packet.append(UInt8((timestamp >> shift) & 0xFF)) }
    for shift in [24, 16, 8, 0] as [UInt32] { packet.append(UInt8((ssrc >> shift) & 0xFF)) }
    return packet + [UInt8](repeating: payload, count: 20)
}

/// An RTCP receiver report with no report blocks (RFC 3550 6.4.2).
func rtcpReceiverReport(ssrc: UInt32) -> [UInt8] {
    var packet: [UInt8] = [0x80, 201, 0, 1]
    for shift in [24, 16, 8, 0] as [UInt32] { packet.append(UInt8((ssrc >> shift) & 0xFF)) }
    return packet
}

@Suite struct SRTPTests {
    @Test(arguments: SRTPProfile.allCases)
    func rtpRoundTripsInBothDirections(profile: SRTPProfile) throws {
        let link = try SRTPLink(profile)
        let upstream = rtpPacket(ssrc: 0x1111_1111, sequence: 7)
        let downstream = rtpPacket(ssrc: 0x2222_2222, sequence: 9, payload: 0x33)

        let sealedUp = try link.clientOut.protectRTP(upstream)
        let sealedDown = try link.serverOut.protectRTP(downstream)
        #expect(sealedUp.count == upstream.count + (profile == .aeadAes128Gcm ? 16 : 10))
        #expect(Array(sealedUp[12..<32]) != Array(upstream[12..<32]))
        #expect(try link.serverIn.unprotectRTP(sealedUp) == upstream)
        #expect(try link.clientIn.unprotectRTP(sealedDown) == downstream)
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtcpRoundTripsInBothDirections(profile: SRTPProfile) throws {
        let link = try SRTPLink(profile)
        let report = rtcpReceiverReport(ssrc: 0x0102_0304)

        let sealed = try link.clientOut.protectRTCP(report)
        #expect(sealed.count == report.count + link.clientOut.rtcpOverhead)
        #expect(try link.serverIn.unprotectRTCP(sealed) == report)
        #expect(try link.clientIn.unprotectRTCP(link.serverOut.protectRTCP(report)) == report)
    }

    @Test(arguments: SRTPProfile.allCases)
    func inPlaceProtectionUsesTheCallersBuffer(profile: SRTPProfile) throws {
        let link = try SRTPLink(profile)
        let packet = rtpPacket(ssrc: 42, sequence: 1)
        var buffer = [UInt8](repeating: 0, count: 1500)
        buffer.replaceSubrange(0..<packet.count, with: packet)

        let sealedLength = try buffer.withUnsafeMutableBytes { raw throws(SRTPError) in
            try link.clientOut.protectRTP(raw.baseAddress!, length: packet.count, capacity: 1500)
        }
        let openLength = try buffer.withUnsafeMutableBytes { raw throws(SRTPError) in
            try link.serverIn.unprotectRTP(raw.baseAddress!, length: sealedLength, capacity: 1500)
        }
        #expect(sealedLength == packet.count + link.clientOut.rtpOverhead)
        #expect(Array(buffer[0..<openLength]) == packet)
    }

    @Test func bufferWithoutRoomForTheTagIsRefused() throws {
        let link = try SRTPLink(.aeadAes128Gcm)
        var packet = rtpPacket(ssrc: 42, sequence: 1)
        let count = packet.count
        #expect(throws: SRTPError.badParam) {
            _ = try packet.withUnsafeMutableBytes { raw throws(SRTPError) in
                try link.clientOut.protectRTP(raw.baseAddress!, length: count, capacity: count)
            }
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func tamperedPacketFailsAuthentication(profile: SRTPProfile) throws {
        let link = try SRTPLink(profile)
        var sealed = try link.clientOut.protectRTP(rtpPacket(ssrc: 5, sequence: 100))
        sealed[20] ^= 0x01

        #expect(throws: SRTPError.authFail) { try link.serverIn.unprotectRTP(sealed) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func packetUnderTheWrongKeyFailsAuthentication(profile: SRTPProfile) throws {
        let link = try SRTPLink(profile)
        let sealed = try link.clientOut.protectRTP(rtpPacket(ssrc: 5, sequence: 100))

        // The client's own inbound context holds the server's key, not the client's.
        #expect(throws: SRTPError.authFail) { try link.clientIn.unprotectRTP(sealed) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func replayedPacketIsRejected(profile: SRTPProfile) throws {
        let link = try SRTPLink(profile)
        let sealed = try link.clientOut.protectRTP(rtpPacket(ssrc: 5, sequence: 100))
        _ = try link.serverIn.unprotectRTP(sealed)

        #expect(throws: SRTPError.replayFail) { try link.serverIn.unprotectRTP(sealed) }
        let sealedReport = try link.clientOut.protectRTCP(rtcpReceiverReport(ssrc: 5))
        _ = try link.serverIn.unprotectRTCP(sealedReport)
        #expect(throws: SRTPError.replayFail) { try link.serverIn.unprotectRTCP(sealedReport) }
    }

    @Test func keyOfTheWrongLengthIsRefused() {
        #expect(throws: SRTPError.badParam) {
            _ = try SRTPContext(
                profile: .aeadAes128Gcm, key: Secret([UInt8](repeating: 1, count: 16)),
                salt: Secret([UInt8](repeating: 2, count: 14)), direction: .outbound)
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(SRTPError.authFail.description.contains("authentication failed"))
        #expect(SRTPError.replayFail.description.contains("replay"))
    }
}

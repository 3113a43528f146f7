import Testing

@testable import Crypto

private func hex(_ text: String) -> [UInt8] { Hex.decode(text.lowercased())! }

/// Our SRTP against the RFCs' own numbers, below and above key derivation.
@Suite struct SRTPVectorTests {
    @Test func counterModeKeystreamMatchesRFC3711AppendixB2() throws {
        let cipher = try AESCounterCipher(key: hex(SRTPVectors.keystreamKey))
        var iv = hex(SRTPVectors.keystreamSalt) + [0, 0]
        var stream = [UInt8](repeating: 0, count: 0xFF02 * 16)

        let applied = stream.withUnsafeMutableBufferPointer { bytes in
            cipher.apply(iv: &iv, bytes.baseAddress!, count: bytes.count)
        }

        #expect(applied)
        #expect(Array(stream[0..<48]) == hex(SRTPVectors.keystreamFirstBlocks))
        #expect(Array(stream[(0xFEFF * 16)...]) == hex(SRTPVectors.keystreamBlocksFEFF))
    }

    @Test func sessionKeysMatchRFC3711AppendixB3() throws {
        let keys = try SRTPSessionKeys(
            profile: .aes128CmSha1_80, masterKey: hex(SRTPVectors.masterKey),
            masterSalt: hex(SRTPVectors.masterSalt))

        #expect(keys.rtpKey == hex(SRTPVectors.cipherKey))
        #expect(keys.rtpSalt == hex(SRTPVectors.cipherSalt))
        #expect(keys.rtpAuth == hex(SRTPVectors.authKey))
        #expect(keys.rtcpKey != keys.rtpKey)
    }

    @Test func gcmRTPMatchesRFC7714Section16() throws {
        let sender = try gcmContext(.outbound)
        let receiver = try gcmContext(.inbound)

        let sealed = try sender.protectRTP(hex(SRTPVectors.gcmRTP))

        #expect(sealed == hex(SRTPVectors.gcmSRTP))
        #expect(try receiver.unprotectRTP(hex(SRTPVectors.gcmSRTP)) == hex(SRTPVectors.gcmRTP))
    }

    @Test func gcmRTCPMatchesRFC7714Section17() throws {
        let sender = try gcmContext(.outbound)
        let receiver = try gcmContext(.inbound)
        let report = hex(SRTPVectors.gcmRTCP)
        for _ in 1..<SRTPVectors.gcmSRTCPIndex { _ = try sender.protectRTCP(report) }

        let sealed = try sender.protectRTCP(report)

        #expect(sealed == hex(SRTPVectors.gcmSRTCP))
        #expect(try receiver.unprotectRTCP(hex(SRTPVectors.gcmSRTCP)) == report)
    }

    @Test func gcmAuthenticatedOnlyRTCPMatchesRFC7714Section17_3() throws {
        let receiver = try gcmContext(.inbound)

        let opened = try receiver.unprotectRTCP(hex(SRTPVectors.gcmSRTCPTagOnly))

        #expect(opened == hex(SRTPVectors.gcmRTCP))
        var tampered = hex(SRTPVectors.gcmSRTCPTagOnly)
        tampered[12] ^= 0x01
        #expect(throws: SRTPError.authFail) { try gcmContext(.inbound).unprotectRTCP(tampered) }
    }

    private func gcmContext(_ direction: SRTPDirection) throws -> SRTPContext {
        let keys = SRTPSessionKeys(
            rtpKey: hex(SRTPVectors.gcmKey), rtpSalt: hex(SRTPVectors.gcmSalt),
            rtcpKey: hex(SRTPVectors.gcmKey), rtcpSalt: hex(SRTPVectors.gcmSalt))
        return try SRTPContext(profile: .aeadAes128Gcm, sessionKeys: keys, direction: direction)
    }
}

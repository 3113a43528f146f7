import COpenSSL

/// SRTP_AES128_CM_HMAC_SHA1_80 (RFC 3711 4.1.1, 4.2.1): AES-128 counter mode, then an
/// 80-bit HMAC-SHA1 tag over the packet and, for RTP, the ROC. SRTCP appends E||index
/// before its tag (RFC 3711 3.4).
final class SRTPCounterModeTransform: SRTPTransform {
    static let tagLength = 10
    let rtpOverhead = SRTPCounterModeTransform.tagLength
    let rtcpOverhead = 4 + SRTPCounterModeTransform.tagLength

    private let rtpCipher: AESCounterCipher
    private let rtcpCipher: AESCounterCipher
    private let rtpAuth: HMACSHA1
    private let rtcpAuth: HMACSHA1
    /// RTP salt (14 bytes), RTCP salt (14), the IV being built (16), a 4-byte word.
    private let scratch: UnsafeMutablePointer<UInt8>
    private static let scratchLength = 48

    init(keys: SRTPSessionKeys) throws(SRTPError) {
        guard keys.rtpSalt.count == 14, keys.rtcpSalt.count == 14,
              keys.rtpAuth.count == HMACSHA1.digestLength,
              keys.rtcpAuth.count == HMACSHA1.digestLength
        else { throw .badParam }
        rtpCipher = try AESCounterCipher(key: keys.rtpKey)
        rtcpCipher = try AESCounterCipher(key: keys.rtcpKey)
        rtpAuth = HMACSHA1(key: keys.rtpAuth)
        rtcpAuth = HMACSHA1(key: keys.rtcpAuth)
        scratch = .allocate(capacity: Self.scratchLength)
        scratch.initialize(repeating: 0, count: Self.scratchLength)
        scratch.update(from: keys.rtpSalt, count: 14)
        (scratch + 14).update(from: keys.rtcpSalt, count: 14)
    }

    deinit {
        OPENSSL_cleanse(scratch, Self.scratchLength)
        scratch.deallocate()
    }

    func srtcpIndexOffset(length: Int) -> Int { length - Self.tagLength - 4 }

    func protectRTP(
        _ packet: UnsafeMutablePointer<UInt8>, headerLength: Int, length: Int, ssrc: UInt32,
        index: UInt64
    ) throws(SRTPError) -> Int {
        let iv = counterIV(salt: scratch, ssrc: ssrc, index: index)
        guard rtpCipher.apply(iv: iv, packet + headerLength, count: length - headerLength)
        else { throw .cryptoFailure("EVP_EncryptUpdate(aes-128-ctr)") }

        rtpAuth.begin()
        rtpAuth.update(packet, count: length)
        rtpAuth.update(rolloverWord(index), count: 4)
        rtpAuth.finish(into: packet + length, count: Self.tagLength)
        return length + Self.tagLength
    }

    func unprotectRTP(
        _ packet: UnsafeMutablePointer<UInt8>, headerLength: Int, length: Int, ssrc: UInt32,
        index: UInt64
    ) throws(SRTPError) -> Int {
        let authenticated = length - Self.tagLength
        rtpAuth.begin()
        rtpAuth.update(packet, count: authenticated)
        rtpAuth.update(rolloverWord(index), count: 4)
        guard rtpAuth.verify(packet + authenticated, count: Self.tagLength) else {
            throw .authFail
        }

        let iv = counterIV(salt: scratch, ssrc: ssrc, index: index)
        let count = authenticated - headerLength
        guard rtpCipher.apply(iv: iv, packet + headerLength, count: count) else {
            throw .cryptoFailure("EVP_EncryptUpdate(aes-128-ctr)")
        }
        return authenticated
    }

    func protectRTCP(
        _ packet: UnsafeMutablePointer<UInt8>, length: Int, ssrc: UInt32, index: UInt32
    ) throws(SRTPError) -> Int {
        let iv = counterIV(salt: scratch + 14, ssrc: ssrc, index: UInt64(index))
        guard rtcpCipher.apply(iv: iv, packet + 8, count: length - 8) else {
            throw .cryptoFailure("EVP_EncryptUpdate(aes-128-ctr)")
        }
        SRTPBytes.store32(0x8000_0000 | index, packet + length)

        rtcpAuth.begin()
        rtcpAuth.update(packet, count: length + 4)
        rtcpAuth.finish(into: packet + length + 4, count: Self.tagLength)
        return length + rtcpOverhead
    }

    func unprotectRTCP(
        _ packet: UnsafeMutablePointer<UInt8>, length: Int, ssrc: UInt32
    ) throws(SRTPError) -> Int {
        let trailer = srtcpIndexOffset(length: length)
        rtcpAuth.begin()
        rtcpAuth.update(packet, count: trailer + 4)
        guard rtcpAuth.verify(packet + trailer + 4, count: Self.tagLength) else {
            throw .authFail
        }

        let word = SRTPBytes.load32(packet + trailer)
        guard word & 0x8000_0000 != 0 else { return trailer }
        let iv = counterIV(salt: scratch + 14, ssrc: ssrc, index: UInt64(word & 0x7FFF_FFFF))
        guard rtcpCipher.apply(iv: iv, packet + 8, count: trailer - 8) else {
            throw .cryptoFailure("EVP_EncryptUpdate(aes-128-ctr)")
        }
        return trailer
    }

    /// IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16) (RFC 3711 4.1.1), in scratch.
    private func counterIV(
        salt: UnsafePointer<UInt8>, ssrc: UInt32, index: UInt64
    ) -> UnsafeMutablePointer<UInt8> {
        let iv = scratch + 28
        iv.update(from: salt, count: 14)
        iv[14] = 0
        iv[15] = 0
        SRTPBytes.xor(UInt64(ssrc), count: 4, into: iv + 4)
        SRTPBytes.xor(index & 0xFFFF_FFFF_FFFF, count: 6, into: iv + 8)
        return iv
    }

    /// The ROC of `index` as the 4 big-endian bytes RFC 3711 4.2 appends to the MAC input.
    private func rolloverWord(_ index: UInt64) -> UnsafeMutablePointer<UInt8> {
        let word = scratch + 44
        SRTPBytes.store32(UInt32(truncatingIfNeeded: index >> 16), word)
        return word
    }
}

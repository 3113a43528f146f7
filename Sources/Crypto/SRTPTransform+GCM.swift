import COpenSSL

/// SRTP_AEAD_AES_128_GCM (RFC 7714): AES-128-GCM with a 12-byte IV made from the salt,
/// SSRC and packet index, the RTP header as associated data and a 16-byte tag. SRTCP puts
/// the tag before the E||index word, which is associated data too (RFC 7714 9).
final class SRTPGCMTransform: SRTPTransform {
    static let tagLength = AESGCMCipher.tagLength
    let rtpOverhead = SRTPGCMTransform.tagLength
    let rtcpOverhead = SRTPGCMTransform.tagLength + 4

    private let rtpCipher: AESGCMCipher
    private let rtcpCipher: AESGCMCipher
    /// RTP salt (12 bytes), RTCP salt (12), the IV being built (12), a 4-byte word.
    private let scratch: UnsafeMutablePointer<UInt8>
    private static let scratchLength = 40

    init(keys: SRTPSessionKeys) throws(SRTPError) {
        guard keys.rtpSalt.count == 12, keys.rtcpSalt.count == 12 else { throw .badParam }
        rtpCipher = try AESGCMCipher(key: keys.rtpKey)
        rtcpCipher = try AESGCMCipher(key: keys.rtcpKey)
        scratch = .allocate(capacity: Self.scratchLength)
        scratch.initialize(repeating: 0, count: Self.scratchLength)
        scratch.update(from: keys.rtpSalt, count: 12)
        (scratch + 12).update(from: keys.rtcpSalt, count: 12)
    }

    deinit {
        OPENSSL_cleanse(scratch, Self.scratchLength)
        scratch.deallocate()
    }

    func srtcpIndexOffset(length: Int) -> Int { length - 4 }

    func protectRTP(
        _ packet: UnsafeMutablePointer<UInt8>, headerLength: Int, length: Int, ssrc: UInt32,
        index: UInt64
    ) throws(SRTPError) -> Int {
        let iv = gcmIV(salt: scratch, ssrc: ssrc, index: index)
        guard rtpCipher.begin(iv: iv, encrypt: true),
              rtpCipher.authenticate(packet, count: headerLength),
              rtpCipher.transform(packet + headerLength, count: length - headerLength),
              rtpCipher.seal(tag: packet + length)
        else { throw .cryptoFailure("EVP_CipherUpdate(aes-128-gcm)") }
        return length + Self.tagLength
    }

    func unprotectRTP(
        _ packet: UnsafeMutablePointer<UInt8>, headerLength: Int, length: Int, ssrc: UInt32,
        index: UInt64
    ) throws(SRTPError) -> Int {
        let sealed = length - Self.tagLength
        let iv = gcmIV(salt: scratch, ssrc: ssrc, index: index)
        guard rtpCipher.begin(iv: iv, encrypt: false),
              rtpCipher.authenticate(packet, count: headerLength),
              rtpCipher.transform(packet + headerLength, count: sealed - headerLength)
        else { throw .cryptoFailure("EVP_CipherUpdate(aes-128-gcm)") }

        guard rtpCipher.open(tag: packet + sealed) else { throw .authFail }
        return sealed
    }

    func protectRTCP(
        _ packet: UnsafeMutablePointer<UInt8>, length: Int, ssrc: UInt32, index: UInt32
    ) throws(SRTPError) -> Int {
        let word = scratch + 36
        SRTPBytes.store32(0x8000_0000 | index, word)
        let iv = gcmIV(salt: scratch + 12, ssrc: ssrc, index: UInt64(index))
        guard rtcpCipher.begin(iv: iv, encrypt: true),
              rtcpCipher.authenticate(packet, count: 8),
              rtcpCipher.authenticate(word, count: 4),
              rtcpCipher.transform(packet + 8, count: length - 8),
              rtcpCipher.seal(tag: packet + length)
        else { throw .cryptoFailure("EVP_CipherUpdate(aes-128-gcm)") }

        (packet + length + Self.tagLength).update(from: word, count: 4)
        return length + rtcpOverhead
    }

    func unprotectRTCP(
        _ packet: UnsafeMutablePointer<UInt8>, length: Int, ssrc: UInt32
    ) throws(SRTPError) -> Int {
        let trailer = srtcpIndexOffset(length: length)
        let tag = trailer - Self.tagLength
        let word = SRTPBytes.load32(packet + trailer)
        let encrypted = word & 0x8000_0000 != 0
        let iv = gcmIV(salt: scratch + 12, ssrc: ssrc, index: UInt64(word & 0x7FFF_FFFF))

        // With E clear the whole packet is associated data and nothing is encrypted (9.2).
        let associated = encrypted ? 8 : tag
        guard rtcpCipher.begin(iv: iv, encrypt: false),
              rtcpCipher.authenticate(packet, count: associated),
              rtcpCipher.authenticate(packet + trailer, count: 4),
              rtcpCipher.transform(packet + associated, count: tag - associated)
        else { throw .cryptoFailure("EVP_CipherUpdate(aes-128-gcm)") }

        guard rtcpCipher.open(tag: packet + tag) else { throw .authFail }
        return tag
    }

    /// IV = (0x0000 || SSRC || index as 6 bytes) XOR salt (RFC 7714 8.1, 9.1): for RTP the
    /// 6 bytes are ROC || SEQ, for RTCP 0x0000 || SRTCP index. Built in scratch.
    private func gcmIV(
        salt: UnsafePointer<UInt8>, ssrc: UInt32, index: UInt64
    ) -> UnsafeMutablePointer<UInt8> {
        let iv = scratch + 24
        iv.update(from: salt, count: 12)
        SRTPBytes.xor(UInt64(ssrc), count: 4, into: iv + 2)
        SRTPBytes.xor(index & 0xFFFF_FFFF_FFFF, count: 6, into: iv + 6)
        return iv
    }
}

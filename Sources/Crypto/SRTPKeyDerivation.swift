/// The session keys of one SRTP context, derived from the master key and salt with the
/// AES-CM PRF of RFC 3711 4.3 (key derivation rate 0, so once per context). Plain arrays
/// that live only while the ciphers are keyed; `wipe()` zeroes them.
struct SRTPSessionKeys {
    var rtpKey: [UInt8]
    var rtpSalt: [UInt8]
    /// Empty for AEAD_AES_128_GCM, which needs no separate authentication key.
    var rtpAuth: [UInt8]
    var rtcpKey: [UInt8]
    var rtcpSalt: [UInt8]
    var rtcpAuth: [UInt8]

    /// Labels 0..5 of RFC 3711 4.3.2: RTP cipher key, auth key, salt, then the same for
    /// RTCP. Lengths per profile: 16-byte keys; 14-byte salts and 20-byte auth keys for
    /// AES-CM/HMAC-SHA1 (RFC 3711 8.2); 12-byte salts and no auth key for GCM (RFC 7714 12).
    init(profile: SRTPProfile, masterKey: [UInt8], masterSalt: [UInt8]) throws(SRTPError) {
        let prf = try AESCounterCipher(key: masterKey)
        let saltLength = profile.saltLength
        let authLength = profile == .aes128CmSha1_80 ? HMACSHA1.digestLength : 0

        func derive(_ label: UInt8, _ count: Int) throws(SRTPError) -> [UInt8] {
            try SRTPKeyDerivation.output(
                prf: prf, masterSalt: masterSalt, label: label, count: count)
        }
        rtpKey = try derive(0, 16)
        rtpAuth = try derive(1, authLength)
        rtpSalt = try derive(2, saltLength)
        rtcpKey = try derive(3, 16)
        rtcpAuth = try derive(4, authLength)
        rtcpSalt = try derive(5, saltLength)
    }

    /// Session keys given directly (RFC 7714 section 16 and 17 vectors are stated so).
    init(rtpKey: [UInt8], rtpSalt: [UInt8], rtpAuth: [UInt8] = [],
         rtcpKey: [UInt8], rtcpSalt: [UInt8], rtcpAuth: [UInt8] = []) {
        (self.rtpKey, self.rtpSalt, self.rtpAuth) = (rtpKey, rtpSalt, rtpAuth)
        (self.rtcpKey, self.rtcpSalt, self.rtcpAuth) = (rtcpKey, rtcpSalt, rtcpAuth)
    }

    mutating func wipe() {
        for index in rtpKey.indices { rtpKey[index] = 0 }
        for index in rtpSalt.indices { rtpSalt[index] = 0 }
        for index in rtpAuth.indices { rtpAuth[index] = 0 }
        for index in rtcpKey.indices { rtcpKey[index] = 0 }
        for index in rtcpSalt.indices { rtcpSalt[index] = 0 }
        for index in rtcpAuth.indices { rtcpAuth[index] = 0 }
    }
}

enum SRTPKeyDerivation {
    /// `count` bytes of the AES-CM PRF for `label` (RFC 3711 4.3.1, 4.3.3): the keystream
    /// under the master key from IV = (master salt XOR label << 48) << 16. A 12-byte GCM
    /// master salt is taken as the first 12 of 14 bytes, the rest zero, as libsrtp does.
    static func output(
        prf: AESCounterCipher, masterSalt: [UInt8], label: UInt8, count: Int
    ) throws(SRTPError) -> [UInt8] {
        var iv = [UInt8](repeating: 0, count: 16)
        for index in 0..<min(masterSalt.count, 14) { iv[index] = masterSalt[index] }
        iv[7] ^= label
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }

        let applied = out.withUnsafeMutableBufferPointer { bytes in
            prf.apply(iv: iv, bytes.baseAddress!, count: count)
        }
        guard applied else { throw .cryptoFailure("EVP_EncryptUpdate(aes-128-ctr)") }
        return out
    }
}

/// Published known answers for SRTP, typed in from the RFCs. Hex, upper or lower case.
enum SRTPVectors {
    /// RFC 3711 appendix B.2: the AES-CM keystream for session key and salt, SSRC 0,
    /// index 0; the first three blocks, and blocks 0xFEFF...0xFF01.
    static let keystreamKey = "2B7E151628AED2A6ABF7158809CF4F3C"
    static let keystreamSalt = "F0F1F2F3F4F5F6F7F8F9FAFBFCFD"
    static let keystreamFirstBlocks =
        "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
        + "41E95B3BB0A2E8DD477901E4FCA894C0"
    static let keystreamBlocksFEFF =
        "EC8CDF7398607CB0F2D21675EA9EA1E4362B7C3C6773516318A077D7FC5073AE"
        + "6A2CC3787889374FBEB4C81B17BA6C44"

    /// RFC 3711 appendix B.3: session keys from a master key and salt (kdr 0).
    static let masterKey = "E1F97A0D3E018BE0D64FA32C06DE4139"
    static let masterSalt = "0EC675AD498AFEEBB6960B3AABE6"
    static let cipherKey = "C61E7A93744F39EE10734AFE3FF7A087"
    static let cipherSalt = "30CBBC08863D8C85D49DB34A9AE1"
    static let authKey = "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"

    /// RFC 7714 section 16.1 and 17.1, AEAD_AES_128_GCM with session key and salt given.
    static let gcmKey = "000102030405060708090a0b0c0d0e0f"
    static let gcmSalt = "517569642070726f2071756f"
    /// Header 8040f17b 8041f8d3 5501a0b2 (seq 0xf17b, SSRC 0x5501a0b2, ROC 0), payload
    /// "Gallia est omnis divisa in partes tres".
    static let gcmRTP = "8040f17b8041f8d35501a0b2"
        + "47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573"
    static let gcmSRTP = "8040f17b8041f8d35501a0b2"
        + "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833"
        + "899d7f27beb16a9152cf765ee4390cce"
    /// The RTCP packet sections 17.1 to 17.4 protect (SSRC "Mars"), SRTCP index 0x5d4.
    static let gcmRTCP = "81c8000d4d6172734e5450314e545032525450200000042a0000e930"
        + "4c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
    static let gcmSRTCPIndex: UInt32 = 0x5d4
    static let gcmSRTCP = "81c8000d4d617273"
        + "63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b46"
        + "86303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4"
    /// Section 17.3: the same packet authenticated only (E flag clear).
    static let gcmSRTCPTagOnly = gcmRTCP + "841dd9683dd78ec92ae58790125f62b3000005d4"
}

import Crypto

extension STUNMessage {
    /// Checks FINGERPRINT, which must be the last attribute: CRC-32 of the message before it,
    /// XOR 0x5354554E (RFC 8489 14.7). `raw` is the datagram this message was parsed from.
    public func verifyFingerprint(raw: [UInt8]) -> Bool {
        guard let last = attributes.last, last.type == STUNAttributeType.fingerprint,
            last.value.count == 4, last.offset + 8 == raw.count
        else { return false }
        let expected = CRC32.checksum(raw[0..<last.offset]) ^ 0x5354_554E
        return read32(last.value, 0) == expected
    }

    /// Checks MESSAGE-INTEGRITY with `key` (for ICE, the receiver's password as UTF-8):
    /// HMAC-SHA1 over the message before the attribute, with the header's length field
    /// counting up to and including it (RFC 8489 14.5). Only FINGERPRINT may follow it.
    public func verifyMessageIntegrity(raw: [UInt8], key: [UInt8]) -> Bool {
        guard let index = attributes.firstIndex(where: {
            $0.type == STUNAttributeType.messageIntegrity
        }) else { return false }
        let attribute = attributes[index]
        let trailing = attributes[(index + 1)...]
        guard attribute.value.count == 20, attribute.offset + 24 <= raw.count,
            trailing.allSatisfy({ $0.type == STUNAttributeType.fingerprint })
        else { return false }

        var covered = Array(raw[0..<attribute.offset])
        let length = UInt16(attribute.offset + 24 - STUNMessage.headerLength)
        covered[2] = UInt8(length >> 8)
        covered[3] = UInt8(length & 0xFF)
        let mac = Digest.hmac(.sha1, key: key, covered)
        return Digest.constantTimeEqual(mac, attribute.value)
    }
}

/// CRC-32 as in ISO 3309 / ITU-T V.42, the one STUN's FINGERPRINT uses.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var c = UInt32(index)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

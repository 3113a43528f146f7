/// STUN attribute types whoot reads or writes (RFC 8489 18.3, RFC 8445 16.1).
public enum STUNAttributeType {
    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let unknownAttributes: UInt16 = 0x000A
    public static let realm: UInt16 = 0x0014
    public static let nonce: UInt16 = 0x0015
    public static let messageIntegritySHA256: UInt16 = 0x001C
    public static let passwordAlgorithm: UInt16 = 0x001D
    public static let userhash: UInt16 = 0x001E
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let software: UInt16 = 0x8022
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A

    /// Comprehension-required types (below 0x8000) that whoot understands.
    static let understood: Set<UInt16> = [
        mappedAddress, username, messageIntegrity, errorCode, unknownAttributes, realm, nonce,
        messageIntegritySHA256, passwordAlgorithm, userhash, xorMappedAddress, priority,
        useCandidate,
    ]
}

extension STUNMessage {
    /// USERNAME as UTF-8 (for ICE: `<receiver ufrag>:<sender ufrag>`, RFC 8445 7.2.2).
    public var username: String? {
        attribute(STUNAttributeType.username).map { String(decoding: $0.value, as: UTF8.self) }
    }

    public var hasUseCandidate: Bool { attribute(STUNAttributeType.useCandidate) != nil }

    /// PRIORITY (RFC 8445 7.1.1), if present and 4 bytes long.
    public var priority: UInt32? {
        guard let value = attribute(STUNAttributeType.priority)?.value, value.count == 4 else {
            return nil
        }
        return read32(value, 0)
    }

    /// The ICE-CONTROLLING tie-breaker, if present and 8 bytes long.
    public var iceControlling: UInt64? { tieBreaker(STUNAttributeType.iceControlling) }

    /// The ICE-CONTROLLED tie-breaker, if present and 8 bytes long.
    public var iceControlled: UInt64? { tieBreaker(STUNAttributeType.iceControlled) }

    private func tieBreaker(_ type: UInt16) -> UInt64? {
        guard let value = attribute(type)?.value, value.count == 8 else { return nil }
        return read64(value, 0)
    }

    /// Comprehension-required attribute types (below 0x8000) that whoot does not know;
    /// a request carrying any gets a 420 response listing them (RFC 8489 6.3.1.1).
    public var unknownComprehensionRequired: [UInt16] {
        var unknown: [UInt16] = []
        for attribute in attributes where attribute.type < 0x8000 {
            let known = STUNAttributeType.understood.contains(attribute.type)
            if !known && !unknown.contains(attribute.type) { unknown.append(attribute.type) }
        }
        return unknown
    }

    /// XOR-MAPPED-ADDRESS decoded: 4 or 16 address bytes and the port (RFC 8489 14.2).
    public var xorMappedAddress: (ip: [UInt8], port: UInt16)? {
        guard let value = attribute(STUNAttributeType.xorMappedAddress)?.value,
            value.count >= 4
        else { return nil }
        let port = read16(value, 2) ^ UInt16(STUNMessage.magicCookie >> 16)
        let size = value[1] == 0x01 ? 4 : value[1] == 0x02 ? 16 : 0
        guard size > 0, value.count == 4 + size else { return nil }
        let mask = STUNMessage.xorMask(transactionID: transactionID)
        let ip = (0..<size).map { value[4 + $0] ^ mask[$0] }
        return (ip, port)
    }

    /// ERROR-CODE decoded as the numeric code and the reason phrase (RFC 8489 14.8).
    public var errorCode: (code: Int, reason: String)? {
        guard let value = attribute(STUNAttributeType.errorCode)?.value, value.count >= 4 else {
            return nil
        }
        let code = Int(value[2] & 0x07) * 100 + Int(value[3])
        return (code, String(decoding: value[4...], as: UTF8.self))
    }

    /// UNKNOWN-ATTRIBUTES decoded (RFC 8489 14.9).
    public var unknownAttributes: [UInt16] {
        guard let value = attribute(STUNAttributeType.unknownAttributes)?.value else {
            return []
        }
        return stride(from: 0, to: value.count - 1, by: 2).map { read16(value, $0) }
    }

    /// The 16 bytes addresses are XOR-ed with: magic cookie then transaction id.
    static func xorMask(transactionID: [UInt8]) -> [UInt8] {
        let cookie = magicCookie
        return [UInt8(cookie >> 24), UInt8((cookie >> 16) & 0xFF), UInt8((cookie >> 8) & 0xFF),
            UInt8(cookie & 0xFF)] + transactionID
    }
}

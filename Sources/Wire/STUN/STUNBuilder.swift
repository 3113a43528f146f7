import Crypto

/// Builds one STUN message attribute by attribute (RFC 8489 5, 14). Values are padded to
/// 4 bytes with zeros; the header's length is kept current so integrity can be appended.
struct STUNBuilder {
    private(set) var bytes: [UInt8]

    init(type: UInt16, transactionID: [UInt8]) {
        precondition(transactionID.count == 12, "a STUN transaction id is 12 bytes")
        bytes = [UInt8(type >> 8), UInt8(type & 0xFF), 0, 0]
        append32(&bytes, STUNMessage.magicCookie)
        bytes += transactionID
    }

    mutating func add(_ type: UInt16, _ value: [UInt8]) {
        append16(&bytes, type)
        append16(&bytes, UInt16(value.count))
        bytes += value
        bytes += [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
        setLength(bytes.count - STUNMessage.headerLength)
    }

    /// MESSAGE-INTEGRITY over everything so far (RFC 8489 14.5).
    mutating func addIntegrity(key: [UInt8]) {
        setLength(bytes.count + 24 - STUNMessage.headerLength)
        add(STUNAttributeType.messageIntegrity, Digest.hmac(.sha1, key: key, bytes))
    }

    /// FINGERPRINT over everything so far; must be the last attribute (RFC 8489 14.7).
    mutating func addFingerprint() {
        setLength(bytes.count + 8 - STUNMessage.headerLength)
        var value: [UInt8] = []
        append32(&value, CRC32.checksum(bytes[...]) ^ 0x5354_554E)
        add(STUNAttributeType.fingerprint, value)
    }

    private mutating func setLength(_ length: Int) {
        bytes[2] = UInt8(length >> 8)
        bytes[3] = UInt8(length & 0xFF)
    }
}

func append16(_ bytes: inout [UInt8], _ value: UInt16) {
    bytes.append(UInt8(value >> 8))
    bytes.append(UInt8(value & 0xFF))
}

func append32(_ bytes: inout [UInt8], _ value: UInt32) {
    append16(&bytes, UInt16(value >> 16))
    append16(&bytes, UInt16(value & 0xFFFF))
}

extension STUNMessage {
    public static let bindingRequestType: UInt16 = 0x0001
    public static let bindingIndicationType: UInt16 = 0x0011
    public static let bindingSuccessType: UInt16 = 0x0101
    public static let bindingErrorType: UInt16 = 0x0111

    /// A Binding success response with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and
    /// FINGERPRINT (RFC 8445 7.3.1.1). `mappedAddress.ip` is 4 or 16 bytes.
    public static func bindingSuccess(
        transactionID: [UInt8], mappedAddress: (ip: [UInt8], port: UInt16),
        integrityKey: [UInt8]
    ) -> [UInt8] {
        precondition(mappedAddress.ip.count == 4 || mappedAddress.ip.count == 16)
        var builder = STUNBuilder(type: bindingSuccessType, transactionID: transactionID)
        let mask = xorMask(transactionID: transactionID)

        var value: [UInt8] = [0, mappedAddress.ip.count == 4 ? 0x01 : 0x02]
        append16(&value, mappedAddress.port ^ UInt16(magicCookie >> 16))
        value += mappedAddress.ip.enumerated().map { $0.element ^ mask[$0.offset] }
        builder.add(STUNAttributeType.xorMappedAddress, value)

        builder.addIntegrity(key: integrityKey)
        builder.addFingerprint()
        return builder.bytes
    }

    /// A Binding error response: ERROR-CODE, UNKNOWN-ATTRIBUTES when given (for 420),
    /// MESSAGE-INTEGRITY when a key is given, then FINGERPRINT (RFC 8489 6.3.1.1, 14.8).
    /// `code` is 300-699.
    public static func errorResponse(
        transactionID: [UInt8], code: Int, reason: String, unknownAttributes: [UInt16] = [],
        integrityKey: [UInt8]?
    ) -> [UInt8] {
        precondition((300...699).contains(code), "STUN error codes are 300-699")
        var builder = STUNBuilder(type: bindingErrorType, transactionID: transactionID)

        let phrase = Array(reason.utf8.prefix(763))
        builder.add(STUNAttributeType.errorCode, [0, 0, UInt8(code / 100), UInt8(code % 100)]
            + phrase)
        if !unknownAttributes.isEmpty {
            var value: [UInt8] = []
            for type in unknownAttributes { append16(&value, type) }
            builder.add(STUNAttributeType.unknownAttributes, value)
        }

        if let integrityKey { builder.addIntegrity(key: integrityKey) }
        builder.addFingerprint()
        return builder.bytes
    }

    /// A Binding request as an ICE agent sends it (RFC 8445 7.2.2), for test clients.
    /// `extra` attributes go before MESSAGE-INTEGRITY.
    public static func bindingRequest(
        transactionID: [UInt8], username: String, integrityKey: [UInt8], priority: UInt32,
        useCandidate: Bool, controlling: Bool = true, tieBreaker: UInt64 = 0,
        extra: [STUNAttribute] = []
    ) -> [UInt8] {
        var builder = STUNBuilder(type: bindingRequestType, transactionID: transactionID)
        builder.add(STUNAttributeType.username, Array(username.utf8))

        var value: [UInt8] = []
        append32(&value, priority)
        builder.add(STUNAttributeType.priority, value)
        if useCandidate { builder.add(STUNAttributeType.useCandidate, []) }
        value = []
        append32(&value, UInt32(tieBreaker >> 32))
        append32(&value, UInt32(tieBreaker & 0xFFFF_FFFF))
        let role = controlling ? STUNAttributeType.iceControlling : STUNAttributeType.iceControlled
        builder.add(role, value)
        for attribute in extra { builder.add(attribute.type, attribute.value) }

        builder.addIntegrity(key: integrityKey)
        builder.addFingerprint()
        return builder.bytes
    }
}

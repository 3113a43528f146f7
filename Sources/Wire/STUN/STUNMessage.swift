/// Why a datagram is not a STUN message whoot can read.
public struct STUNError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "STUN: \(message)" }
}

/// The class bits of a STUN message type (RFC 8489 5).
public enum STUNClass: Sendable, Equatable {
    case request, indication, successResponse, errorResponse
}

/// One attribute as it appeared on the wire (RFC 8489 14).
public struct STUNAttribute: Equatable, Sendable {
    public var type: UInt16
    /// The value without padding.
    public var value: [UInt8]
    /// Byte offset of the attribute's header in the message; integrity checks need it.
    public var offset: Int

    public init(type: UInt16, value: [UInt8], offset: Int = 0) {
        self.type = type
        self.value = value
        self.offset = offset
    }
}

/// A parsed STUN message (RFC 8489 5-6). Parsing copies the attributes out of the datagram;
/// it never reads past the bytes given.
public struct STUNMessage: Equatable, Sendable {
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20

    /// Method and class bits together, e.g. 0x0001 Binding request.
    public var type: UInt16
    /// 12 bytes.
    public var transactionID: [UInt8]
    public var attributes: [STUNAttribute]

    /// The method without the class bits (RFC 8489 5); 0x001 is Binding.
    public var method: UInt16 {
        (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2)
    }

    public var messageClass: STUNClass {
        switch (type & 0x0100 != 0, type & 0x0010 != 0) {
        case (false, false): return .request
        case (false, true): return .indication
        case (true, false): return .successResponse
        case (true, true): return .errorResponse
        }
    }

    /// Parses one STUN message that fills `bytes` exactly.
    ///
    /// - Throws: `STUNError` if the top bits, magic cookie or length are wrong, or an
    ///   attribute runs past the end.
    public static func parse(_ bytes: [UInt8]) throws -> STUNMessage {
        guard bytes.count >= headerLength else {
            throw STUNError("\(bytes.count) bytes is shorter than the 20-byte header")
        }
        guard bytes[0] & 0xC0 == 0 else { throw STUNError("top two bits are not zero") }
        guard read32(bytes, 4) == magicCookie else { throw STUNError("wrong magic cookie") }
        let length = Int(read16(bytes, 2))
        guard length % 4 == 0 else { throw STUNError("length \(length) is not a multiple of 4") }
        guard headerLength + length == bytes.count else {
            throw STUNError("length \(length) does not match \(bytes.count - 20) body bytes")
        }

        var attributes: [STUNAttribute] = []
        var offset = headerLength
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw STUNError("truncated attribute") }
            let type = read16(bytes, offset)
            let valueLength = Int(read16(bytes, offset + 2))
            let padded = (valueLength + 3) & ~3
            guard bytes.count - offset - 4 >= padded else {
                throw STUNError(
                    "attribute 0x\(String(type, radix: 16)) overruns the message")
            }
            let value = Array(bytes[(offset + 4)..<(offset + 4 + valueLength)])
            attributes.append(STUNAttribute(type: type, value: value, offset: offset))
            offset += 4 + padded
        }

        return STUNMessage(
            type: read16(bytes, 0), transactionID: Array(bytes[8..<20]), attributes: attributes)
    }

    /// Parses from a raw buffer; see `parse(_: [UInt8])`.
    public static func parse(_ buffer: UnsafeRawBufferPointer) throws -> STUNMessage {
        try parse(Array(buffer))
    }

    /// The first attribute of `type`.
    public func attribute(_ type: UInt16) -> STUNAttribute? {
        attributes.first { $0.type == type }
    }
}

func read16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
    UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
}

func read32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    UInt32(read16(bytes, at)) << 16 | UInt32(read16(bytes, at + 2))
}

func read64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
    UInt64(read32(bytes, at)) << 32 | UInt64(read32(bytes, at + 4))
}

import Testing
import Wire

@Suite struct STUNBehaviourTests {
    static let transaction: [UInt8] = Array(1...12)
    static let key = Array("0123456789abcdefghijkl".utf8)

    @Test func bindingIndicationWithOnlyFingerprintParsesAsIndication() throws {
        var raw: [UInt8] = [0x00, 0x11, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42] + Self.transaction
        let crc = crc32(raw) ^ 0x5354_554E
        raw += [0x80, 0x28, 0x00, 0x04, UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF),
            UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
        let message = try STUNMessage.parse(raw)

        #expect(message.messageClass == .indication)
        #expect(message.method == 0x001)
        #expect(message.verifyFingerprint(raw: raw))
        #expect(!message.verifyMessageIntegrity(raw: raw, key: Self.key))
    }

    @Test func unknownComprehensionRequiredAttributeIsReportedAndAnswered420() throws {
        let raw = STUNMessage.bindingRequest(
            transactionID: Self.transaction, username: "wh00:Ab12", integrityKey: Self.key,
            priority: 1_853_824_767, useCandidate: true, tieBreaker: 7,
            extra: [STUNAttribute(type: 0x7F00, value: [1, 2, 3]),
                STUNAttribute(type: 0xC001, value: [9])])
        let request = try STUNMessage.parse(raw)

        #expect(request.unknownComprehensionRequired == [0x7F00])
        #expect(request.verifyMessageIntegrity(raw: raw, key: Self.key))
        #expect(request.hasUseCandidate)
        #expect(request.iceControlling == 7)
        #expect(request.username == "wh00:Ab12")

        let response = STUNMessage.errorResponse(
            transactionID: request.transactionID, code: 420, reason: "Unknown Attribute",
            unknownAttributes: request.unknownComprehensionRequired, integrityKey: Self.key)
        let parsed = try STUNMessage.parse(response)
        #expect(parsed.messageClass == .errorResponse)
        #expect(parsed.transactionID == Self.transaction)
        #expect(parsed.errorCode?.code == 420)
        #expect(parsed.errorCode?.reason == "Unknown Attribute")
        #expect(parsed.unknownAttributes == [0x7F00])
        #expect(parsed.verifyMessageIntegrity(raw: response, key: Self.key))
        #expect(parsed.verifyFingerprint(raw: response))
    }

    @Test func errorResponseWithoutKeyHasNoIntegrity() throws {
        let response = STUNMessage.errorResponse(
            transactionID: Self.transaction, code: 400, reason: "Bad Request",
            integrityKey: nil)
        let parsed = try STUNMessage.parse(response)

        #expect(parsed.attributes.map(\.type) == [0x0009, 0x8028])
        #expect(parsed.errorCode?.code == 400)
        #expect(parsed.verifyFingerprint(raw: response))
    }

    @Test func ipv6SuccessRoundTrips() throws {
        let ip: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
        let raw = STUNMessage.bindingSuccess(
            transactionID: Self.transaction, mappedAddress: (ip, 61000), integrityKey: Self.key)
        let message = try STUNMessage.parse(raw)

        #expect(message.xorMappedAddress?.ip == ip)
        #expect(message.xorMappedAddress?.port == 61000)
        #expect(message.verifyMessageIntegrity(raw: raw, key: Self.key))
    }

    @Test func truncatedMessagesThrow() throws {
        let raw = STUNMessage.bindingRequest(
            transactionID: Self.transaction, username: "a:b", integrityKey: Self.key,
            priority: 1, useCandidate: false)

        for length in 0..<raw.count {
            #expect(throws: STUNError.self) { try STUNMessage.parse(Array(raw.prefix(length))) }
        }
        var lying = raw
        lying[3] = lying[3] &+ 4
        #expect(throws: STUNError.self) { try STUNMessage.parse(lying) }
        var overrun = raw
        overrun[22] = 0xFF
        #expect(throws: STUNError.self) { try STUNMessage.parse(overrun) }
    }

    @Test func randomBytesNeverCrash() {
        var random = SeededGenerator(state: 0x57_0A)
        var parsed = 0
        for round in 0..<3000 {
            let count = Int.random(in: 0...80, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            if round % 2 == 0 && count >= 20 {
                // A valid header so the attribute walk, not the header check, is exercised.
                bytes[0] &= 0x3F
                bytes.replaceSubrange(2..<8, with: [0, UInt8((count - 20) & ~3), 0x21, 0x12,
                    0xA4, 0x42])
                bytes.removeLast((count - 20) % 4)
            }
            guard let message = try? STUNMessage.parse(bytes) else { continue }
            parsed += 1
            _ = message.verifyFingerprint(raw: bytes)
            _ = message.verifyMessageIntegrity(raw: bytes, key: Self.key)
            _ = (message.xorMappedAddress, message.errorCode, message.unknownAttributes)
            _ = (message.priority, message.iceControlled, message.unknownComprehensionRequired)
        }
        #expect(parsed > 0)
    }

    /// An independent bitwise CRC-32 for building the indication by hand.
    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

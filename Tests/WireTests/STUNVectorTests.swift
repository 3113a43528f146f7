import Foundation
import Testing
import Wire

/// RFC 5769 test vectors, stored as hex in Fixtures/.
@Suite struct STUNVectorTests {
    static let password = Array("VOkJxbRl1RmTxUk/WvJxBt".utf8)

    static func vector(_ name: String) throws -> [UInt8] {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "hex", subdirectory: "Fixtures"))
        let text = try String(contentsOf: url, encoding: .utf8)
        let hex = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            .flatMap { $0.split(separator: " ") }
        return try hex.map { try #require(UInt8($0, radix: 16)) }
    }

    @Test func sampleRequestVerifiesAndDecodes() throws {
        let raw = try Self.vector("rfc5769-request")
        let message = try STUNMessage.parse(raw)

        #expect(message.messageClass == .request)
        #expect(message.method == 0x001)
        #expect(message.username == "evtj:h6vY")
        #expect(message.priority == 0x6E00_01FF)
        #expect(message.iceControlled == 0x932F_F9B1_5126_3B36)
        #expect(message.iceControlling == nil)
        #expect(!message.hasUseCandidate)
        #expect(message.unknownComprehensionRequired.isEmpty)
        #expect(message.verifyFingerprint(raw: raw))
        #expect(message.verifyMessageIntegrity(raw: raw, key: Self.password))
    }

    @Test func sampleIPv4ResponseVerifiesAndDecodes() throws {
        let raw = try Self.vector("rfc5769-response-ipv4")
        let message = try STUNMessage.parse(raw)

        #expect(message.messageClass == .successResponse)
        #expect(message.xorMappedAddress?.ip == [192, 0, 2, 1])
        #expect(message.xorMappedAddress?.port == 32853)
        #expect(message.verifyFingerprint(raw: raw))
        #expect(message.verifyMessageIntegrity(raw: raw, key: Self.password))
    }

    @Test func sampleIPv6ResponseVerifiesAndDecodes() throws {
        let raw = try Self.vector("rfc5769-response-ipv6")
        let message = try STUNMessage.parse(raw)

        #expect(message.xorMappedAddress?.ip == [
            0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
        ])
        #expect(message.xorMappedAddress?.port == 32853)
        #expect(message.verifyFingerprint(raw: raw))
        #expect(message.verifyMessageIntegrity(raw: raw, key: Self.password))
    }

    @Test func wrongPasswordOrFlippedBitFailsVerification() throws {
        let raw = try Self.vector("rfc5769-request")
        let message = try STUNMessage.parse(raw)
        var flipped = raw
        flipped[30] ^= 0x01
        let reparsed = try STUNMessage.parse(flipped)

        #expect(!message.verifyMessageIntegrity(raw: raw, key: Array("wrong".utf8)))
        #expect(!reparsed.verifyMessageIntegrity(raw: flipped, key: Self.password))
        #expect(!reparsed.verifyFingerprint(raw: flipped))
    }

    @Test func builtSuccessMatchesTheRFCResponseAddressEncoding() throws {
        let request = try STUNMessage.parse(try Self.vector("rfc5769-request"))
        let built = STUNMessage.bindingSuccess(
            transactionID: request.transactionID, mappedAddress: ([192, 0, 2, 1], 32853),
            integrityKey: Self.password)
        let vector = try STUNMessage.parse(try Self.vector("rfc5769-response-ipv4"))
        let message = try STUNMessage.parse(built)

        #expect(message.attribute(0x0020)?.value == vector.attribute(0x0020)?.value)
        #expect(message.verifyMessageIntegrity(raw: built, key: Self.password))
        #expect(message.verifyFingerprint(raw: built))
        #expect(message.attributes.map(\.type) == [0x0020, 0x0008, 0x8028])
    }
}

import FuzzSupport
import Wire

/// STUN as the relay reads it from the ICE port (RelayEngine.handleSTUN): parse, then every
/// accessor and both integrity checks the relay may apply, then the replies it builds.
let key = Array("abcdefghijklmnopqrstuv".utf8)

FuzzDriver.run { input in
    let raw = Array(input)
    guard let message = try? STUNMessage.parse(raw) else { return }

    _ = message.method
    _ = message.messageClass
    _ = message.username
    _ = message.hasUseCandidate
    _ = message.priority
    _ = message.iceControlling
    _ = message.iceControlled
    _ = message.xorMappedAddress
    _ = message.errorCode
    _ = message.unknownAttributes
    _ = message.verifyFingerprint(raw: raw)
    _ = message.verifyMessageIntegrity(raw: raw, key: key)

    let unknown = message.unknownComprehensionRequired
    let reply = unknown.isEmpty
        ? STUNMessage.bindingSuccess(
            transactionID: message.transactionID, mappedAddress: ([127, 0, 0, 1], 5000),
            integrityKey: key)
        : STUNMessage.errorResponse(
            transactionID: message.transactionID, code: 420, reason: "Unknown Attribute",
            unknownAttributes: unknown, integrityKey: nil)
    guard let parsed = try? STUNMessage.parse(reply) else {
        fatalError("a reply whoot built does not parse back")
    }
    precondition(parsed.transactionID == message.transactionID)
}

import Crypto

/// Why an SDP offer could not be parsed or answered.
///
/// `kind` tells the HTTP edge which status to send: a `.malformed` offer is the client's
/// syntax fault (400), an `.unsupported` one is well-formed but asks for something whoot
/// does not do (422). `message` is one line meant for the client; it names the fault and,
/// where there is one, the offending line number (1-based).
public struct SDPError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The text breaks the SDP grammar or a mandatory attribute is missing or invalid.
        case malformed
        /// The offer is valid SDP but cannot be answered by an Opus-only ICE-lite relay.
        case unsupported
    }

    public var kind: Kind
    public var message: String
    /// The 1-based line number of the fault, when a single line is to blame.
    public var line: Int?

    public init(_ kind: Kind, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.line = line
        self.message = line.map { "line \($0): \(message)" } ?? message
    }

    public var description: String { message }

    static func malformed(_ message: String, line: Int? = nil) -> SDPError {
        SDPError(.malformed, message, line: line)
    }

    static func unsupported(_ message: String, line: Int? = nil) -> SDPError {
        SDPError(.unsupported, message, line: line)
    }
}

import COpenSSL

/// An error from a cryptographic operation: which call failed, and OpenSSL's reason.
public struct CryptoError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let reason: String

    public init(_ operation: String, reason: String? = nil) {
        self.operation = operation
        self.reason = reason ?? CryptoError.drainOpenSSLQueue()
    }

    public var description: String { "\(operation) failed: \(reason)" }

    /// Empties OpenSSL's thread-local error queue and returns its messages joined.
    static func drainOpenSSLQueue() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(cString: buffer))
        }
        return messages.isEmpty ? "unknown error" : messages.joined(separator: "; ")
    }
}

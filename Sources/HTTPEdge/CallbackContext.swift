import CMicroHTTPD
import Foundation

/// The state every libmicrohttpd callback of one server reaches through its `void *cls`.
///
/// Retained by `HTTPSServer` (and by a retiring daemon while it drains) for as long as any
/// daemon may call back; handed to C unretained. Used concurrently from worker threads, so
/// everything mutable is behind `lock`.
final class CallbackContext: @unchecked Sendable {
    let handler: (HTTPRequest) -> HTTPResponse
    /// Largest accepted request body, bytes.
    let maxBodyBytes: Int
    /// Seconds of idleness after which libmicrohttpd cuts a connection.
    let connectionTimeoutSeconds: Int
    /// The most connections the server holds; reaching it counts as a limit hit.
    let maxConnections: Int
    let limitCounters: HTTPLimitCounters
    let activity = ConnectionActivity()
    private let diagnostics: (@Sendable (String) -> Void)?
    private let lock = NSLock()
    /// The newest few libmicrohttpd messages, oldest first.
    private var recentMessages: [String] = []

    init(
        handler: @escaping (HTTPRequest) -> HTTPResponse,
        maxBodyBytes: Int,
        diagnostics: (@Sendable (String) -> Void)?,
        connectionTimeoutSeconds: Int = 0,
        maxConnections: Int = 0,
        limitCounters: HTTPLimitCounters = HTTPLimitCounters()
    ) {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.maxConnections = maxConnections
        self.limitCounters = limitCounters
        self.diagnostics = diagnostics
    }

    /// Keeps a libmicrohttpd message for error reports and forwards it to `diagnostics`.
    func record(_ message: String) {
        if message.hasPrefix("Server reached connection limit") {
            limitCounters.connectionLimitHits.add(1, ordering: .relaxed)
        }
        lock.withLock {
            recentMessages.append(message)
            if recentMessages.count > 4 { recentMessages.removeFirst() }
        }
        diagnostics?(message)
    }

    /// The newest libmicrohttpd messages joined with "; ", or nil if there were none.
    /// Reading clears them.
    func takeRecentMessages() -> String? {
        lock.withLock {
            defer { recentMessages = [] }
            return recentMessages.isEmpty ? nil : recentMessages.joined(separator: "; ")
        }
    }

    /// The raw pointer libmicrohttpd passes back as `cls`; valid while `self` is retained.
    var opaque: UnsafeMutableRawPointer {
        Unmanaged.passUnretained(self).toOpaque()
    }
}

/// What one request has accumulated between calls of the access handler. Lives in
/// libmicrohttpd's per-request `con_cls` slot from the first call until
/// `.NOTIFY_COMPLETED`; only the worker thread owning the connection touches it.
final class RequestState {
    /// Bytes of an over-limit body read and thrown away before the connection is closed
    /// outright instead of waiting for the end of the body to answer 413.
    static let discardAllowance = 1 << 20

    let requestID: String
    var body: [UInt8] = []
    /// Set once the body passes the limit; the body is then dropped, not buffered.
    var tooLarge = false
    /// Set when the request is refused whatever its body holds (its framing is unsafe);
    /// the body is then read and dropped, and this answer sent after it.
    var refusal: HTTPResponse?
    var discardedBytes = 0

    init(requestID: String) {
        self.requestID = requestID
    }

    /// Buffers `count` bytes of body, or drops them once the body exceeds `limit` bytes.
    /// Returns false when so much has been dropped that the connection should be closed.
    func receive(_ data: UnsafePointer<CChar>?, count: Int, limit: Int) -> Bool {
        if refusal == nil, !tooLarge, body.count + count <= limit, let data {
            body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
            return true
        }
        tooLarge = refusal == nil
        body = []
        discardedBytes += count
        return discardedBytes <= Self.discardAllowance
    }

    /// 16 random bytes as 32 lower-case hex digits.
    static func makeRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(32)
        for _ in 0..<2 {
            var word = generator.next() as UInt64
            for _ in 0..<16 {
                text.append(digits[Int(word & 0xf)])
                word >>= 4
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}

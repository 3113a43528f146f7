/// One HTTP request as the server hands it to the application handler.
///
/// Built by `HTTPSServer` on one of libmicrohttpd's worker threads once the whole body has
/// arrived (and stayed within `HTTPSConfiguration.maxBodyBytes`).
public struct HTTPRequest: Sendable {
    /// The request method as sent, e.g. `GET`, `POST`, `DELETE`.
    public var method: String

    /// The URL path, percent-decoded by libmicrohttpd, without the query string.
    public var path: String

    /// The query arguments, percent-decoded. A key given without `=` maps to `""`; when a
    /// key repeats, the last value wins.
    public var query: [String: String]

    /// The request headers keyed by lower-cased name. Repeated headers are joined with
    /// `", "` in the order received.
    public var headers: [String: String]

    /// The request body, at most `maxBodyBytes` bytes.
    public var body: [UInt8]

    /// The peer's IP address as text (`203.0.113.7`, `2001:db8::1`). IPv4 peers reaching a
    /// dual-stack socket are shown as plain IPv4.
    public var clientAddress: String

    /// A random hex identifier of this request, also sent back as `X-Request-Id`.
    public var requestID: String

    /// Header names are lower-cased here; names that then collide are joined with `", "`.
    public init(
        method: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: [UInt8] = [],
        clientAddress: String = "",
        requestID: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) },
            uniquingKeysWith: { first, second in first + ", " + second })
        self.body = body
        self.clientAddress = clientAddress
        self.requestID = requestID
    }

    /// The value of the header `name`, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

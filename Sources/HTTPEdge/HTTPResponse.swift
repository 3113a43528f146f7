import Foundation

/// A complete HTTP response produced by an application handler.
///
/// The server adds `X-Request-Id`, `Cache-Control` and the security headers of
/// `SecurityHeaders` to every response; a header set here with the same name replaces the
/// server's default (except `X-Request-Id`, which the server always sets).
public struct HTTPResponse: Sendable {
    /// The status code, 100...599. Anything else is answered as 500.
    public var status: Int

    /// Header name/value pairs in the order they are sent. Values must not contain CR or LF.
    public var headers: [(String, String)]

    /// The response body.
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name`, matched case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "text/plain; charset=utf-8")],
            body: Array(text.utf8))
    }

    /// An `application/json` response with `value` encoded (keys sorted, slashes kept).
    /// If encoding fails the result is a 500 error response instead.
    public static func json<Value: Encodable>(_ status: Int, _ value: Value) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return .error(500, "response could not be encoded as JSON")
        }
        return HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")], body: Array(data))
    }

    /// An `application/json` response whose body is `rawJSON`, sent as is.
    public static func json(_ status: Int, rawJSON: String) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "application/json")],
            body: Array(rawJSON.utf8))
    }

    /// A `text/html; charset=utf-8` response with status 200.
    public static func html(_ html: String) -> HTTPResponse {
        HTTPResponse(
            status: 200,
            headers: [("Content-Type", "text/html; charset=utf-8")],
            body: Array(html.utf8))
    }

    /// An `application/json` error body `{"error":"<message>"}`. The message is shown to
    /// the client, so it must not contain secrets or internal detail.
    public static func error(_ status: Int, _ message: String) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let body = (try? encoder.encode(["error": message])).map(Array.init)
            ?? Array(#"{"error":"internal error"}"#.utf8)
        return HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")], body: body)
    }
}

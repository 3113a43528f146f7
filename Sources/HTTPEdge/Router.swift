/// Dispatches requests by method and path pattern.
///
/// Patterns are split on `/`; a segment `:name` matches any one non-empty segment and
/// hands it to the handler as `params["name"]`. Routes are tried in the order added. A
/// path no route matches gets 404; a path that matches only under other methods gets 405
/// with an `Allow` header. A `HEAD` request falls back to the `GET` route.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest, [String: String]) -> HTTPResponse

    private struct Route: Sendable {
        let method: String
        let segments: [Substring]
        let handler: Handler
    }

    private var routes: [Route] = []

    public init() {}

    /// Adds a route. `method` is compared exactly (use upper case, e.g. "POST").
    public mutating func add(
        _ method: String, _ pattern: String, _ handler: @escaping Handler
    ) {
        routes.append(Route(method: method, segments: Self.split(pattern), handler: handler))
    }

    /// The response of the first route matching the request, or a 404 / 405 error.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let segments = Self.split(request.path)
        var allowed: [String] = []

        for method in [request.method] + (request.method == "HEAD" ? ["GET"] : []) {
            for route in routes {
                guard let params = Self.match(route.segments, segments) else { continue }
                if route.method == method { return route.handler(request, params) }
            }
        }
        for route in routes where Self.match(route.segments, segments) != nil {
            if !allowed.contains(route.method) { allowed.append(route.method) }
            if route.method == "GET", !allowed.contains("HEAD") { allowed.append("HEAD") }
        }

        guard !allowed.isEmpty else { return .error(404, "no such resource") }
        var response = HTTPResponse.error(405, "method \(request.method) not allowed here")
        response.headers.append(("Allow", allowed.joined(separator: ", ")))
        return response
    }

    private static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func match(
        _ pattern: [Substring], _ path: [Substring]
    ) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var params: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix(":") {
                params[String(expected.dropFirst())] = String(actual)
            } else if expected != actual {
                return nil
            }
        }
        return params
    }
}

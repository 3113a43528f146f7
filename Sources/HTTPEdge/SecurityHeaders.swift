/// The headers the server puts on every response.
public enum SecurityHeaders {
    /// Allows only the built-in page's own inline script and style (by hash), requests to
    /// the same origin, and nothing else; the page may not be framed.
    public static let contentSecurityPolicy = contentSecurityPolicy(connectingTo: [])

    /// The policy, with `origins` (the other nodes of a workspace) added to `connect-src`
    /// so the page may join a channel served by one of them.
    public static func contentSecurityPolicy(connectingTo origins: [String]) -> String {
        [
            "default-src 'none'",
            "script-src \(StaticPage.scriptHash)",
            "style-src \(StaticPage.styleHash)",
            (["connect-src 'self'"] + origins).joined(separator: " "),
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// Defaults sent unless the handler's response sets a header of the same name.
    public static let defaults: [(String, String)] = [
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Strict-Transport-Security", "max-age=31536000"),
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "microphone=(self), camera=(), geolocation=()"),
    ]

    /// `headers` followed by every default whose name they do not already use, and the
    /// `X-Request-Id` (which replaces any the handler set).
    static func merged(_ headers: [(String, String)], requestID: String) -> [(String, String)] {
        var result = headers.filter { $0.0.lowercased() != "x-request-id" }
        let taken = Set(result.map { $0.0.lowercased() })
        result += defaults.filter { !taken.contains($0.0.lowercased()) }
        result.append(("X-Request-Id", requestID))
        return result
    }
}

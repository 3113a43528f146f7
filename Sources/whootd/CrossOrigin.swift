import Foundation
import HTTPEdge

/// CORS for the WHIP endpoints, so the page served by one node can join a channel that
/// lives on another node, or rejoin through another when its own is gone.
///
/// Only the origins listed in `allowed_origins` (the workspace's and each node's https://
/// base URL) are answered; any other `Origin` gets a 403 on the preflight and no
/// `Access-Control-Allow-Origin` on the real request, so the browser refuses to use it. No
/// cookies are involved: join tokens travel in the Authorization header.
struct CrossOrigin: Sendable {
    /// Normalised origins: lower-case `scheme://host[:port]`, no path, no trailing slash.
    let allowed: Set<String>

    init(allowed: [String]) {
        self.allowed = Set(allowed.compactMap(Self.normalise))
    }

    /// `https://Host:8443/` -> `https://host:8443`; nil for anything but one https origin:
    /// a DNS name (letters, digits, hyphens, dot-separated labels) or a bracketed IPv6
    /// address, and an optional port. Nothing else may reach the page's CSP.
    static func normalise(_ text: String) -> String? {
        var value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value.hasSuffix("/") { value.removeLast() }
        guard value.hasPrefix("https://") else { return nil }
        var authority = Substring(value.dropFirst("https://".count))
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]"),
            authority[..<colon].last != ":"
        {
            let port = authority[authority.index(after: colon)...]
            guard (1...5).contains(port.count), port.allSatisfy(\.isASCIIDigit),
                let number = Int(port), (1...65_535).contains(number)
            else { return nil }
            authority = authority[..<colon]
        }
        if authority.hasPrefix("[") {
            let address = authority.dropFirst().dropLast()
            guard authority.hasSuffix("]"), !address.isEmpty,
                address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." })
            else { return nil }
            return value
        }
        let labels = authority.split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.isEmpty, labels.allSatisfy({ label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCIIDigit || ("a"..."z").contains($0) || $0 == "-" }
        }) else { return nil }
        return value
    }

    /// The allowed origin the request comes from, if it names one.
    func origin(of request: HTTPRequest) -> String? {
        guard let origin = request.header("origin").flatMap(Self.normalise),
            allowed.contains(origin)
        else { return nil }
        return origin
    }

    /// Answers an OPTIONS preflight on a WHIP path.
    func preflight(_ request: HTTPRequest) -> HTTPResponse {
        guard let origin = origin(of: request) else {
            return .error(403, "cross-origin requests from this origin are not allowed")
        }
        return HTTPResponse(status: 204, headers: [
            ("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
            ("Access-Control-Allow-Methods", "GET, POST, DELETE"),
            ("Access-Control-Allow-Headers", "Authorization, Content-Type"),
            ("Access-Control-Max-Age", "600"),
        ])
    }

    /// Adds the CORS headers to a WHIP response for an allowed origin.
    func decorate(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
        guard let origin = origin(of: request) else { return response }
        var decorated = response
        decorated.headers += [
            ("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
            ("Access-Control-Expose-Headers", "Location, \(WHIPService.rejoinTokenHeader)"),
        ]
        return decorated
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

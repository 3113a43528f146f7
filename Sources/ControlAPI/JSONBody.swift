import Admin
import HTTPEdge

/// A request body read strictly: a JSON object of at most `maxBytes` bytes, in UTF-8,
/// whose fields are all named in `allowed` and have the expected types. Anything else is
/// refused with a 4xx before the control plane is asked to change anything.
public struct JSONBody {
    /// The largest body an API request may carry, in bytes. Far above any valid request;
    /// the HTTPS edge itself refuses bodies over its own limit with 413 before this.
    public static let maxBytes = 8 * 1024

    public let fields: [String: JSONValue]

    /// Parses `request.body`. An empty body counts as `{}` only when `allowEmpty`.
    public init(_ request: HTTPRequest, allowed: Set<String>, allowEmpty: Bool = false) throws {
        let body = request.body
        guard body.count <= Self.maxBytes else {
            throw APIError(413, "request body is larger than \(Self.maxBytes) bytes")
        }
        if body.isEmpty && allowEmpty {
            fields = [:]
            return
        }
        let mediaType = request.header("content-type")?.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard mediaType == "application/json" else {
            throw APIError(415, "Content-Type must be application/json")
        }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw APIError(400, "request body is not valid UTF-8")
        }
        guard case .object(let object)? = try? JSONValue.parse(body) else {
            throw APIError(400, "request body must be one JSON object")
        }
        if let name = JSONDuplicateKeys.first(in: body) {
            throw APIError(400, "field \"\(ErrorText.printable(name))\" appears more than once")
        }
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw APIError(400, "unknown field \"\(ErrorText.printable(key))\"")
        }
        fields = object
    }

    /// A required string field.
    public func string(_ name: String) throws -> String {
        guard let value = try optionalString(name) else {
            throw APIError(400, "missing field \"\(name)\"")
        }
        return value
    }

    /// A string field that may be absent or null.
    public func optionalString(_ name: String) throws -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw APIError(400, "field \"\(name)\" must be a string")
        }
    }

    /// An integer field that may be absent or null.
    public func optionalInt(_ name: String) throws -> Int64? {
        switch fields[name] {
        case nil, .null?: return nil
        case .int(let value)?: return value
        default: throw APIError(400, "field \"\(name)\" must be an integer")
        }
    }
}

import Control
import Store

/// A refused admin request, answered as `{"ok":false,"error":"..."}`.
public enum AdminError: Error, Equatable, CustomStringConvertible {
    case badRequest(String)
    case unknownCommand(String)
    case permissionDenied(uid: UInt32)

    public var description: String {
        switch self {
        case .badRequest(let message): return message
        case .unknownCommand(let name): return "unknown command \"\(name)\""
        case .permissionDenied(let uid):
            return "uid \(uid) may not use the admin socket (need root, the daemon's user, "
                + "or the admin group)"
        }
    }
}

/// The credentials of the process at the other end of an admin connection (SO_PEERCRED).
public struct PeerCredentials: Sendable, Equatable {
    public let pid: Int32
    public let uid: UInt32
    public let gid: UInt32
}

/// One request line: `{"id": any, "command": "noun.verb", "args": {...}}`.
public struct AdminRequest: Sendable {
    /// Echoed in the response; any JSON value, `null` when absent.
    public let id: JSONValue
    public let command: String
    public let args: [String: JSONValue]
    public let peer: PeerCredentials
    /// A fresh id for this request, written to its audit events.
    public let requestID: String
    /// The admin connection the request came on, unique for the server's life; 0 when it
    /// came on none (tests).
    public let connection: UInt64

    /// The actor for audit: the peer's local uid.
    public var actor: Actor { .localUser(peer.uid, requestID: requestID) }

    /// Parses a request line. Unknown top-level fields are refused, so a typo is not
    /// silently ignored.
    init(line: [UInt8], peer: PeerCredentials, requestID: String, connection: UInt64 = 0)
        throws
    {
        guard case .object(let object) = try JSONValue.parse(line) else {
            throw AdminError.badRequest("request must be a JSON object")
        }
        for key in object.keys where !["id", "command", "args"].contains(key) {
            throw AdminError.badRequest("unknown request field \"\(key)\"")
        }
        guard case .string(let command)? = object["command"] else {
            throw AdminError.badRequest("request needs a \"command\" string")
        }
        switch object["args"] {
        case nil, .null?: args = [:]
        case .object(let args)?: self.args = args
        default: throw AdminError.badRequest("\"args\" must be an object")
        }
        self.id = object["id"] ?? .null
        self.command = command
        self.peer = peer
        self.requestID = requestID
        self.connection = connection
    }

    /// Refuses arguments outside `names`.
    public func allowOnly(_ names: Set<String>) throws {
        for key in args.keys.sorted() where !names.contains(key) {
            throw AdminError.badRequest("\(command): unknown argument \"\(key)\"")
        }
    }

    /// A required string argument.
    public func string(_ name: String) throws -> String {
        guard let value = try optionalString(name) else {
            throw AdminError.badRequest("\(command): missing argument \"\(name)\"")
        }
        return value
    }

    public func optionalString(_ name: String) throws -> String? {
        switch args[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw AdminError.badRequest("\(command): argument \"\(name)\" must be a string")
        }
    }

    public func optionalInt(_ name: String) throws -> Int64? {
        switch args[name] {
        case nil, .null?: return nil
        case .int(let value)?: return value
        default:
            throw AdminError.badRequest("\(command): argument \"\(name)\" must be an integer")
        }
    }
}

enum AdminResponse {
    static func success(id: JSONValue, result: JSONValue) -> [UInt8] {
        JSONValue.object(["id": id, "ok": true, "result": result]).encoded() + [0x0A]
    }

    static func failure(id: JSONValue, error: Error) -> [UInt8] {
        var object: [String: JSONValue] = ["id": id, "ok": false, "error": .string(message(error))]
        if let control = error as? ControlError { object["status"] = .int(Int64(control.status)) }
        return JSONValue.object(object).encoded() + [0x0A]
    }

    /// One line for the person at the terminal. Never includes a secret: no error type
    /// here carries one.
    static func message(_ error: Error) -> String {
        let text: String
        switch error {
        case let error as AdminError: text = error.description
        case let error as ControlError: text = error.description
        case let error as JoinTokenError: text = error.description
        case let error as StoreError: text = "database error: \(error.description)"
        default: text = "internal error: \(error)"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

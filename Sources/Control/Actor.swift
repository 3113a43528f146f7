import Wire

/// Who asked for a change, and from where: recorded in the change's audit event.
public struct Actor: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// whootd itself (start-up, demo workspace, housekeeping).
        case system
        /// A local user on the admin socket, identified by SO_PEERCRED.
        case localUser(uid: UInt32)
        /// A signed-in member of a tenant.
        case member(TenantID, MemberID)
    }

    public let kind: Kind
    /// The client's IP address as text, when the request came over the network.
    public let ip: String?
    /// An id that ties this request's audit events and logs together.
    public let requestID: String?

    public init(_ kind: Kind, ip: String? = nil, requestID: String? = nil) {
        self.kind = kind
        self.ip = ip
        self.requestID = requestID
    }

    public static let system = Actor(.system)

    public static func localUser(_ uid: UInt32, requestID: String? = nil) -> Actor {
        Actor(.localUser(uid: uid), requestID: requestID)
    }

    /// As written in the audit log: "system", "uid:<n>" or "member:<id>".
    public var description: String {
        switch kind {
        case .system: return "system"
        case .localUser(let uid): return "uid:\(uid)"
        case .member(_, let member): return "member:\(member.rawValue)"
        }
    }
}

import Wire

/// A member's role in their tenant. What each role may do is the control plane's
/// permission table; the store only keeps the name.
public enum MemberRole: String, Sendable, CaseIterable, Codable {
    case owner, admin, member, auditor
}

/// Where a member is in their life cycle. Removed members stay as rows so that audit
/// entries and history keep pointing at someone.
public enum MemberStatus: String, Sendable, CaseIterable, Codable {
    case invited, active, removed
}

public struct TenantRecord: Sendable, Equatable {
    public let id: TenantID
    public let slug: String
    public let name: String
    /// Unix time in ms.
    public let createdAtMs: Int64
}

public struct MemberRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let id: MemberID
    public let handle: String
    public let email: String?
    public let role: MemberRole
    public let status: MemberStatus
    /// Unix time in ms.
    public let createdAtMs: Int64
}

public struct ChannelRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let id: ChannelID
    public let name: String
    /// Unix time in ms.
    public let createdAtMs: Int64
}

/// A stored join token: only the SHA-256 of the token, never the token.
public struct JoinTokenRecord: Sendable, Equatable {
    public let tokenHash: [UInt8]
    public let tenant: TenantID
    public let channel: ChannelID
    public let member: MemberID
    /// Unix time in ms.
    public let createdAtMs: Int64
    public let expiresAtMs: Int64
    public let usedAtMs: Int64?
}

/// One audit event to append. `seq` is assigned by the store, per tenant.
public struct AuditEntry: Sendable, Equatable {
    /// "system", "uid:<n>" for the admin socket, "member:<id>".
    public var actor: String
    /// Dotted verb, e.g. "channel.create", "join_token.issue".
    public var action: String
    /// The resource acted on, e.g. "channel:7".
    public var target: String
    /// Unix time in ms.
    public var atMs: Int64
    public var ip: String?
    public var requestID: String?
    /// A JSON object as text; never contains a secret.
    public var metadataJSON: String

    public init(
        actor: String, action: String, target: String, atMs: Int64, ip: String? = nil,
        requestID: String? = nil, metadataJSON: String = "{}"
    ) {
        self.actor = actor
        self.action = action
        self.target = target
        self.atMs = atMs
        self.ip = ip
        self.requestID = requestID
        self.metadataJSON = metadataJSON
    }
}

/// A stored audit event with its chain fields (see `AuditChain`).
public struct AuditRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let seq: Int64
    public let entry: AuditEntry
    /// SHA-256 of the entry's canonical body, as stored (32 bytes; empty if missing).
    public let bodyHash: [UInt8]
    /// The previous entry's `entryHash`, as stored.
    public let prevHash: [UInt8]
    /// This entry's link in the chain, as stored.
    public let entryHash: [UInt8]

    public init(
        tenant: TenantID, seq: Int64, entry: AuditEntry, bodyHash: [UInt8] = [],
        prevHash: [UInt8] = [], entryHash: [UInt8] = []
    ) {
        self.tenant = tenant
        self.seq = seq
        self.entry = entry
        self.bodyHash = bodyHash
        self.prevHash = prevHash
        self.entryHash = entryHash
    }
}

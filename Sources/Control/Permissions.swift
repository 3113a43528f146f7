import Store

/// What a signed-in member may do. The table in `Role.permissions` is the whole policy.
public enum Permission: String, Sendable, CaseIterable {
    /// See the tenant's channels and members.
    case readDirectory
    /// Get a join token for oneself, for a channel one is assigned to.
    case joinChannel
    /// Create, rename and delete channels.
    case manageChannels
    /// Invite and remove members; assign them to channels.
    case manageMembers
    /// Change members' roles (only an owner may grant or take away `owner`).
    case manageRoles
    /// Read the audit log and take part in access reviews.
    case readAudit
    /// List, download and export recordings, read and attach transcripts, and turn
    /// recording and its retention on or off per channel. Owners and admins only: auditors
    /// see every recording access in the audit log but not the recordings.
    case recordings
    /// Set the tenant's MFA policy and reset members' MFA.
    case manageSecurity
}

extension MemberRole {
    /// The permission table: owner and admin run the tenant, a member talks, an auditor
    /// reads the directory and the audit log and changes nothing.
    public var permissions: Set<Permission> {
        switch self {
        case .owner: return Set(Permission.allCases)
        case .admin: return Set(Permission.allCases)
        case .member: return [.readDirectory, .joinChannel]
        case .auditor: return [.readDirectory, .readAudit]  // not .recordings
        }
    }
}

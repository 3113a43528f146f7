import Wire

/// A member's admission that no longer holds: the media plane drops their live sessions
/// (in `channel`, or in every channel of the tenant when `channel` is nil).
public struct Revocation: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case memberRemoved = "member removed"
        case roleChanged = "role changed"
        case unassigned = "unassigned from channel"
        case channelDeleted = "channel deleted"
    }

    public let tenant: TenantID
    public let member: MemberID
    /// nil when every channel of the tenant is affected.
    public let channel: ChannelID?
    public let reason: Reason

    public init(tenant: TenantID, member: MemberID, channel: ChannelID?, reason: Reason) {
        self.tenant = tenant
        self.member = member
        self.channel = channel
        self.reason = reason
    }

    public var description: String {
        "\(tenant) \(member) \(channel.map { "\($0)" } ?? "all channels"): \(reason.rawValue)"
    }
}

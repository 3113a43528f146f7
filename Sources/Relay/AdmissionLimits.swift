import Wire

/// Caps on the sessions the relay holds, checked when a session is admitted, so that a
/// flood of joins cannot grow the media plane without bound.
///
/// "Pending" sessions are admitted but not yet connected: each holds a DTLS endpoint and
/// waits up to the setup timeout for ICE and DTLS. They are counted overall and per
/// origin (the client IP address that asked for the session over HTTPS).
public struct AdmissionLimits: Sendable, Equatable {
    /// Live sessions (pending or connected) in one tenant.
    public var sessionsPerTenant: Int
    /// Live sessions (pending or connected) in one channel.
    public var sessionsPerChannel: Int
    /// Sessions that have not finished ICE and DTLS, over the whole relay.
    public var pendingSessions: Int
    /// Sessions that have not finished ICE and DTLS, per origin address.
    public var pendingPerOrigin: Int

    public init(
        sessionsPerTenant: Int = 1000, sessionsPerChannel: Int = 200,
        pendingSessions: Int = 500, pendingPerOrigin: Int = 20
    ) {
        self.sessionsPerTenant = sessionsPerTenant
        self.sessionsPerChannel = sessionsPerChannel
        self.pendingSessions = pendingSessions
        self.pendingPerOrigin = pendingPerOrigin
    }
}

/// Which admission limit refused a session; `label` names it in /metrics.
public enum AdmissionLimit: Int, CaseIterable, Sendable {
    case sessionsPerTenant
    case sessionsPerChannel
    case pendingSessions
    case pendingPerOrigin

    public var label: String {
        switch self {
        case .sessionsPerTenant: return "sessions_per_tenant"
        case .sessionsPerChannel: return "sessions_per_channel"
        case .pendingSessions: return "pending_sessions"
        case .pendingPerOrigin: return "pending_sessions_per_ip"
        }
    }
}

/// A session the relay would not admit, with a message fit for the client.
public struct AdmissionRefusal: Error, Equatable, CustomStringConvertible {
    public let limit: AdmissionLimit
    /// The limit's value when it refused.
    public let value: Int

    public var description: String {
        switch limit {
        case .sessionsPerTenant: return "the tenant already has \(value) live sessions"
        case .sessionsPerChannel: return "the channel already has \(value) live sessions"
        case .pendingSessions:
            return "the relay has \(value) sessions still connecting; try again shortly"
        case .pendingPerOrigin:
            return "this address has \(value) sessions still connecting; finish or end them"
        }
    }
}

/// Session counts behind `AdmissionLimits`. A value kept under the registry's lock:
/// `refusal` checks, `admitted` counts, `connected` and `closed` release.
struct AdmissionCounts {
    var perTenant: [TenantID: Int] = [:]
    var perChannel: [RoomKey: Int] = [:]
    var pendingOrigins: [SessionID: String] = [:]
    var pendingPerOrigin: [String: Int] = [:]
    /// How often each limit refused, indexed by `AdmissionLimit.rawValue`.
    var refused = [UInt64](repeating: 0, count: AdmissionLimit.allCases.count)

    var pending: Int { pendingOrigins.count }

    /// The first limit a new pending session from `origin` would pass, if any. With no
    /// room, only the pending limits are checked (a pre-check before the join is paid for).
    func refusal(room: RoomKey?, origin: String, limits: AdmissionLimits) -> AdmissionRefusal? {
        if pending >= limits.pendingSessions {
            return AdmissionRefusal(limit: .pendingSessions, value: limits.pendingSessions)
        }
        if pendingPerOrigin[origin, default: 0] >= limits.pendingPerOrigin {
            return AdmissionRefusal(limit: .pendingPerOrigin, value: limits.pendingPerOrigin)
        }
        guard let room else { return nil }
        if perTenant[room.tenant, default: 0] >= limits.sessionsPerTenant {
            return AdmissionRefusal(limit: .sessionsPerTenant, value: limits.sessionsPerTenant)
        }
        if perChannel[room, default: 0] >= limits.sessionsPerChannel {
            return AdmissionRefusal(limit: .sessionsPerChannel, value: limits.sessionsPerChannel)
        }
        return nil
    }

    mutating func count(_ refusal: AdmissionRefusal) {
        refused[refusal.limit.rawValue] += 1
    }

    mutating func admitted(_ id: SessionID, room: RoomKey, origin: String) {
        perTenant[room.tenant, default: 0] += 1
        perChannel[room, default: 0] += 1
        pendingOrigins[id] = origin
        pendingPerOrigin[origin, default: 0] += 1
    }

    /// The session finished DTLS: it no longer counts as pending.
    mutating func connected(_ id: SessionID) {
        guard let origin = pendingOrigins.removeValue(forKey: id) else { return }
        Self.decrement(&pendingPerOrigin, origin)
    }

    mutating func closed(_ id: SessionID, room: RoomKey) {
        connected(id)
        Self.decrement(&perTenant, room.tenant)
        Self.decrement(&perChannel, room)
    }

    /// Removes a key whose count reaches zero, so idle keys take no memory.
    private static func decrement<Key: Hashable>(_ counts: inout [Key: Int], _ key: Key) {
        guard let count = counts[key] else { return }
        counts[key] = count > 1 ? count - 1 : nil
    }
}

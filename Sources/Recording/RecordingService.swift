import Control
import Crypto
import Foundation
import Logging
import Store
import Wire

/// Recording's control side: per-channel settings, audited access to recordings and
/// transcripts, retention, and deletion with a channel.
///
/// Access rules: a signed-in member needs the `recordings` permission (owners and
/// admins); a local administrator on the admin socket acts for any tenant. Every access,
/// allowed or refused, is a `recording.access` audit event naming who, which recording,
/// the operation, and where from (client IP, or the admin socket's uid).
///
/// Thread use: every method may be called from any thread.
public final class RecordingService: @unchecked Sendable {
    static let logger = Logger("recording")

    /// Who is asking: a signed-in member (permission checked) or a local administrator.
    public enum Principal: Sendable {
        case member(Caller)
        case admin(tenant: TenantID, actor: Actor)

        var tenant: TenantID {
            switch self {
            case .member(let caller): return caller.tenant
            case .admin(let tenant, _): return tenant
            }
        }

        var actor: Actor {
            switch self {
            case .member(let caller): return caller.actor
            case .admin(_, let actor): return actor
            }
        }

        var via: String {
            switch self {
            case .member: return "api"
            case .admin: return "admin-socket"
            }
        }
    }

    /// A retention setting: a number of days after a recording starts, or keep.
    public enum Retention: Sendable, Equatable {
        case days(Int)
        case keep

        var days: Int? {
            if case .days(let count) = self { return count }
            return nil
        }
    }

    public let keys: RecordingKeys
    public let writer: RecordingWriter
    let control: ControlPlane
    let store: Store
    let stateDirectory: String
    let clock: () -> Int64
    private let tapLock = NSLock()
    private var tapHandler: ((TenantID, ChannelID, RecordingTap?) -> Void)?

    /// - Parameter clock: Unix time in ms; tests pass a manual clock.
    public init(
        control: ControlPlane, keys: RecordingKeys, writer: RecordingWriter,
        stateDirectory: String, clock: @escaping () -> Int64
    ) {
        self.control = control
        store = control.store
        self.keys = keys
        self.writer = writer
        self.stateDirectory = stateDirectory
        self.clock = clock
        control.beforeChannelDeletion { [unowned self] transaction, scope, channel, actor, now in
            try deleteRecordings(in: transaction, scope, channel: channel, actor: actor, at: now)
        }
    }

    /// Registers the media plane's hook: called with a tap when a channel's recording
    /// turns on and with nil when it turns off. Called at once for every channel that has
    /// recording on.
    public func onTapChange(_ handler: @escaping (TenantID, ChannelID, RecordingTap?) -> Void)
        throws
    {
        tapLock.lock()
        tapHandler = handler
        tapLock.unlock()
        for (tenant, channel) in try store.read({ try $0.channelsWithRecordingOn() }) {
            handler(tenant, channel, writer.tap(tenant: tenant, channel: channel))
        }
    }

    /// A channel's settings.
    public func settings(_ principal: Principal, channel: ChannelID) throws
        -> RecordingSettingsRecord
    {
        try authorize(principal, "settings.read", target: "channel:\(channel.rawValue)")
        return try store.read {
            try requireChannel($0, TenantScope(principal.tenant), channel)
            return try $0.recordingSettings(TenantScope(principal.tenant), channel: channel)
        }
    }

    /// Turns recording on or off and/or changes retention for a channel; audited as
    /// `recording.settings` with the old and new values. Changing retention moves the
    /// expiry of the channel's existing recordings too.
    @discardableResult
    public func update(
        _ principal: Principal, channel: ChannelID, enabled: Bool? = nil,
        retention: Retention? = nil
    ) throws -> RecordingSettingsRecord {
        try authorize(principal, "settings.change", target: "channel:\(channel.rawValue)")
        let scope = TenantScope(principal.tenant)
        let now = clock()
        let (old, new) = try store.write { transaction in
            try requireChannel(transaction, scope, channel)
            let old = try transaction.recordingSettings(scope, channel: channel)
            var new = old
            if let enabled { new.enabled = enabled }
            if let retention {
                if case .days(let days) = retention, !(1...36_500).contains(days) {
                    throw ControlError.badRequest("retention must be 1 to 36500 days, or keep")
                }
                new.retentionDays = retention.days
            }
            try transaction.saveRecordingSettings(new, nowMs: now)
            try Self.audit(
                transaction, scope, principal.actor, .recordingSettings,
                target: "channel:\(channel.rawValue)", at: now, metadata: [
                    "enabled": new.enabled, "was_enabled": old.enabled,
                    "retention_days": new.retentionDays.map { $0 as Any } ?? "keep",
                    "was_retention_days": old.retentionDays.map { $0 as Any } ?? "keep",
                    "via": principal.via,
                ])
            return (old, new)
        }
        if old.enabled != new.enabled { applyTap(new) }
        return new
    }

    private func applyTap(_ settings: RecordingSettingsRecord) {
        tapLock.lock()
        let handler = tapHandler
        tapLock.unlock()
        if settings.enabled {
            handler?(settings.tenant, settings.channel,
                     writer.tap(tenant: settings.tenant, channel: settings.channel))
        } else {
            handler?(settings.tenant, settings.channel, nil)
            writer.stopRecording(tenant: settings.tenant, channel: settings.channel)
        }
    }

    func requireChannel(_ transaction: ReadTransaction, _ scope: TenantScope, _ channel: ChannelID)
        throws
    {
        guard try transaction.channel(scope, id: channel) != nil else {
            throw ControlError.notFound("channel \(channel.rawValue) not found")
        }
    }

    /// Checks the principal's permission; a refusal is audited, then thrown as
    /// `.forbidden`.
    func authorize(_ principal: Principal, _ operation: String, target: String) throws {
        guard case .member(let caller) = principal else { return }
        do {
            try caller.require(.recordings)
        } catch {
            let now = clock()
            try store.write { transaction in
                try Self.audit(
                    transaction, caller.scope(), caller.actor, .recordingAccess,
                    target: target, at: now,
                    metadata: ["operation": operation, "outcome": "refused", "via": "api"])
            }
            throw error
        }
    }

    /// Appends an audit event in `transaction` through the store's audit path.
    static func audit(
        _ transaction: WriteTransaction, _ scope: TenantScope, _ actor: Actor,
        _ action: AuditAction,
        target: String, at nowMs: Int64, metadata: [String: Any]
    ) throws {
        let json = try JSONSerialization.data(
            withJSONObject: metadata, options: [.sortedKeys, .withoutEscapingSlashes])
        try transaction.appendAudit(scope, AuditEntry(
            actor: actor.description, action: action.rawValue, target: target, atMs: nowMs,
            ip: actor.ip, requestID: actor.requestID,
            metadataJSON: String(decoding: json, as: UTF8.self)))
    }
}

extension Caller {
    func scope() -> TenantScope { TenantScope(tenant) }
}

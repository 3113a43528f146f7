import Foundation
import Store
import Wire

/// Work that must happen inside the transaction that deletes a channel, before its row
/// goes: recording deletes the channel's recordings there (wrapped keys destroyed and each
/// deletion audited in the same commit; files unlinked after it).
public typealias ChannelDeletionHook = (
    _ transaction: WriteTransaction, _ scope: TenantScope, _ channel: ChannelID,
    _ actor: Actor, _ nowMs: Int64
) throws -> Void

final class ChannelDeletionHooks: @unchecked Sendable {
    private let lock = NSLock()
    private var hooks: [ChannelDeletionHook] = []

    func add(_ hook: @escaping ChannelDeletionHook) {
        lock.lock()
        hooks.append(hook)
        lock.unlock()
    }

    func run(
        _ transaction: WriteTransaction, _ scope: TenantScope, _ channel: ChannelID,
        _ actor: Actor, _ nowMs: Int64
    ) throws {
        lock.lock()
        let current = hooks
        lock.unlock()
        for hook in current { try hook(transaction, scope, channel, actor, nowMs) }
    }
}

extension ControlPlane {
    /// Registers `hook` to run in every channel deletion's transaction; a hook that throws
    /// rolls the deletion back.
    public func beforeChannelDeletion(_ hook: @escaping ChannelDeletionHook) {
        channelDeletionHooks.add(hook)
    }
}

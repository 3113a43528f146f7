import Crypto
import Foundation
import Store
import Wire

/// Exports that a client fetches in several requests (the admin socket and the HTTPS API
/// answer one chunk per request). Each is known by a random id, bound to the tenant and
/// caller that began it, and forgotten after `lifetimeMs` idle or when finished.
/// Thread-safe.
public final class AuditExportRegistry: @unchecked Sendable {
    /// How long an unfinished export may sit idle, in ms.
    public let lifetimeMs: Int64 = 10 * 60_000
    /// Exports kept at once; the least recently used is dropped beyond this.
    public let capacity = 32

    private struct Slot {
        var cursor: AuditExportCursor
        var owner: String
        var touchedMs: Int64
    }

    private let lock = NSLock()
    private var slots: [String: Slot] = [:]

    init() {}

    /// Keeps `cursor` for `owner` (an actor description) and returns its id.
    public func keep(_ cursor: AuditExportCursor, owner: String, now: Int64) -> String {
        let id = "exp_" + Base64URL.encode(SecureRandom.bytes(16))
        lock.lock()
        defer { lock.unlock() }
        slots = slots.filter { now - $0.value.touchedMs < lifetimeMs }
        if slots.count >= capacity,
            let oldest = slots.min(by: { $0.value.touchedMs < $1.value.touchedMs })?.key
        {
            slots[oldest] = nil
        }
        slots[id] = Slot(cursor: cursor, owner: owner, touchedMs: now)
        return id
    }

    /// Takes the cursor `id` out for the next chunk, if `owner` began it and it is fresh.
    public func take(_ id: String, owner: String, now: Int64) -> AuditExportCursor? {
        lock.lock()
        defer { lock.unlock() }
        guard let slot = slots[id], slot.owner == owner, now - slot.touchedMs < lifetimeMs
        else { return nil }
        slots[id] = nil
        return slot.cursor
    }

    /// Puts a cursor back under its id after a chunk (not when it finished).
    public func put(_ id: String, _ cursor: AuditExportCursor, owner: String, now: Int64) {
        guard !cursor.isFinished else { return }
        lock.lock()
        slots[id] = Slot(cursor: cursor, owner: owner, touchedMs: now)
        lock.unlock()
    }
}

extension ControlPlane {
    /// One chunk of an export for a client that fetches it request by request: with no
    /// `continuing` id, begins a new export (audited); otherwise continues that one.
    /// Returns the CSV bytes and the id to continue with (nil when the export is done).
    /// Up to `maxEntries` entry and link rows per chunk.
    public func auditExportChunk(
        tenant: TenantID, filter: AuditFilter, actor: Actor, continuing: String?,
        maxEntries: Int = 2_000
    ) throws -> (csv: [UInt8], next: String?) {
        let registry = auditSettings.exports
        let owner = "\(tenant.rawValue)/\(actor.description)"
        let now = clock()
        var cursor: AuditExportCursor
        var id: String
        if let continuing {
            guard let found = registry.take(continuing, owner: owner, now: now),
                found.tenant == tenant
            else { throw ControlError.notFound("export \(continuing) is unknown or expired") }
            cursor = found
            id = continuing
        } else {
            cursor = try beginAuditExport(tenant: tenant, filter: filter, actor: actor)
            id = ""
        }
        let chunk = try nextAuditExportChunk(&cursor, maxEntries: maxEntries) ?? []
        if cursor.isFinished { return (chunk, nil) }
        if id.isEmpty {
            id = registry.keep(cursor, owner: owner, now: now)
        } else {
            registry.put(id, cursor, owner: owner, now: now)
        }
        return (chunk, id)
    }
}

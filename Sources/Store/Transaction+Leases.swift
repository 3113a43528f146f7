import Wire

/// Which node serves a channel, and until when (Unix ms). Written only through
/// `claimChannelLease` and `renewChannelLeases`.
public struct ChannelLease: Sendable, Equatable {
    public let tenant: TenantID
    public let channel: ChannelID
    /// The serving node's id (random per process start).
    public let node: String
    /// The serving node's public HTTPS base URL, where joins are redirected.
    public let nodeURL: String
    public let expiresAtMs: Int64
}

extension WriteTransaction {
    /// Takes the lease of `channel` for `node` until `untilMs`, if no other node holds an
    /// unexpired one, and returns the lease in force afterwards (this node's or another's).
    /// A lease held under the same `nodeURL` counts as this node's: only one process can
    /// serve a URL, so it was this node before a restart (after kill -9, say), whose
    /// sessions are gone.
    public func claimChannelLease(
        _ scope: TenantScope, channel: ChannelID, node: String, nodeURL: String,
        nowMs: Int64, untilMs: Int64
    ) throws -> ChannelLease {
        _ = try scoped(
            scope, """
                INSERT INTO channel_leases (tenant_id, channel_id, node, node_url,
                    expires_at_ms)
                VALUES (?1, ?2, ?3, ?4, ?6)
                ON CONFLICT (tenant_id, channel_id) DO UPDATE SET node = excluded.node,
                    node_url = excluded.node_url, expires_at_ms = excluded.expires_at_ms
                WHERE channel_leases.node = excluded.node
                    OR channel_leases.node_url = excluded.node_url
                    OR channel_leases.expires_at_ms <= ?5
                """,
            [.integer(channel.rawValue), .text(node), .text(nodeURL), .integer(nowMs),
             .integer(untilMs)])
        let row = try scoped(
            scope, """
                SELECT node, node_url, expires_at_ms FROM channel_leases
                WHERE tenant_id = ?1 AND channel_id = ?2
                """, [.integer(channel.rawValue)])
        guard let row = row.first else {
            throw StoreError("claim lease", message: "lease row vanished")
        }
        return ChannelLease(
            tenant: scope.tenant, channel: channel, node: row.text(0), nodeURL: row.text(1),
            expiresAtMs: row.int(2))
    }

    /// Extends `node`'s lease of `channel` to `untilMs`; false when the node no longer
    /// holds it (it expired and another node took it).
    public func renewChannelLease(
        _ scope: TenantScope, channel: ChannelID, node: String, untilMs: Int64
    ) throws -> Bool {
        _ = try scoped(
            scope, """
                UPDATE channel_leases SET expires_at_ms = ?4
                WHERE tenant_id = ?1 AND channel_id = ?2 AND node = ?3
                """, [.integer(channel.rawValue), .text(node), .integer(untilMs)])
        return changes == 1
    }

    /// Gives up `node`'s lease of `channel` (its last session left).
    public func releaseChannelLease(_ scope: TenantScope, channel: ChannelID, node: String)
        throws
    {
        _ = try scoped(
            scope, "DELETE FROM channel_leases WHERE tenant_id = ?1 AND channel_id = ?2 "
                + "AND node = ?3", [.integer(channel.rawValue), .text(node)])
    }

    /// Sends `payload` on the database's notification channel `channel` when this
    /// transaction commits (PostgreSQL NOTIFY). SQLite has one node and does nothing.
    public func notifyNodes(_ channel: String, _ payload: String) throws {
        guard dialect == .postgres else { return }
        _ = try connection.run("SELECT pg_notify(?1, ?2)", [.text(channel), .text(payload)])
    }
}

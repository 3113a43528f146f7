import Wire

extension ReadTransaction {
    private static let channelColumns = "SELECT tenant_id, id, name, created_at_ms FROM channels"

    public func channel(_ scope: TenantScope, name: String) throws -> ChannelRecord? {
        try scoped(
            scope, Self.channelColumns + " WHERE tenant_id = ?1 AND name = ?2", [.text(name)]
        ).first.map(Self.channelRecord)
    }

    public func channel(_ scope: TenantScope, id: ChannelID) throws -> ChannelRecord? {
        try scoped(
            scope, Self.channelColumns + " WHERE tenant_id = ?1 AND id = ?2",
            [.integer(id.rawValue)]
        ).first.map(Self.channelRecord)
    }

    public func channels(_ scope: TenantScope) throws -> [ChannelRecord] {
        try scoped(scope, Self.channelColumns + " WHERE tenant_id = ?1 ORDER BY name")
            .map(Self.channelRecord)
    }

    /// Whether `member` is assigned to `channel`, both in the scope's tenant.
    public func isAssigned(_ scope: TenantScope, member: MemberID, channel: ChannelID) throws
        -> Bool
    {
        try !scoped(
            scope, """
                SELECT 1 FROM channel_assignments
                WHERE tenant_id = ?1 AND channel_id = ?2 AND member_id = ?3
                """,
            [.integer(channel.rawValue), .integer(member.rawValue)]
        ).isEmpty
    }

    /// The channels `member` is assigned to, by id.
    public func assignedChannels(_ scope: TenantScope, member: MemberID) throws -> [ChannelID] {
        try scoped(
            scope, """
                SELECT channel_id FROM channel_assignments
                WHERE tenant_id = ?1 AND member_id = ?2 ORDER BY channel_id
                """,
            [.integer(member.rawValue)]
        ).map { ChannelID($0.int(0)) }
    }

    /// The members assigned to `channel`, by id.
    public func assignedMembers(_ scope: TenantScope, channel: ChannelID) throws -> [MemberID] {
        try scoped(
            scope, """
                SELECT member_id FROM channel_assignments
                WHERE tenant_id = ?1 AND channel_id = ?2 ORDER BY member_id
                """,
            [.integer(channel.rawValue)]
        ).map { MemberID($0.int(0)) }
    }

    static func channelRecord(_ row: Row) -> ChannelRecord {
        ChannelRecord(
            tenant: TenantID(row.int(0)), id: ChannelID(row.int(1)), name: row.text(2),
            createdAtMs: row.int(3))
    }
}

extension WriteTransaction {
    /// Inserts a channel. Throws a unique-violation `StoreError` when the name is taken in
    /// this tenant.
    public func insertChannel(_ scope: TenantScope, name: String, nowMs: Int64) throws
        -> ChannelID
    {
        let id = try insertScoped(
            scope, "INSERT INTO channels (tenant_id, name, created_at_ms) VALUES (?1, ?2, ?3)",
            [.text(name), .integer(nowMs)])
        return ChannelID(id)
    }

    /// Renames a channel; returns false when no such channel is in the scope.
    public func renameChannel(_ scope: TenantScope, channel: ChannelID, name: String) throws
        -> Bool
    {
        _ = try scoped(
            scope, "UPDATE channels SET name = ?3 WHERE tenant_id = ?1 AND id = ?2",
            [.integer(channel.rawValue), .text(name)])
        return changes == 1
    }

    /// Deletes a channel with its assignments and join tokens; false when not in scope.
    public func deleteChannel(_ scope: TenantScope, channel: ChannelID) throws -> Bool {
        _ = try scoped(
            scope, "DELETE FROM channels WHERE tenant_id = ?1 AND id = ?2",
            [.integer(channel.rawValue)])
        return changes == 1
    }

    /// Assigns `member` to `channel`. Returns false when the assignment already existed.
    /// The composite foreign keys refuse a member or channel of another tenant.
    public func insertAssignment(
        _ scope: TenantScope, member: MemberID, channel: ChannelID, nowMs: Int64
    ) throws -> Bool {
        _ = try scoped(
            scope, """
                INSERT INTO channel_assignments (tenant_id, channel_id, member_id, created_at_ms)
                VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING
                """,
            [.integer(channel.rawValue), .integer(member.rawValue), .integer(nowMs)])
        return changes == 1
    }

    /// Removes an assignment. Returns false when there was none.
    public func deleteAssignment(_ scope: TenantScope, member: MemberID, channel: ChannelID)
        throws -> Bool
    {
        _ = try scoped(
            scope, """
                DELETE FROM channel_assignments
                WHERE tenant_id = ?1 AND channel_id = ?2 AND member_id = ?3
                """,
            [.integer(channel.rawValue), .integer(member.rawValue)])
        return changes == 1
    }

    /// Removes every assignment of `member`; returns the channels they were assigned to.
    public func deleteAssignments(_ scope: TenantScope, member: MemberID) throws -> [ChannelID] {
        let channels = try assignedChannels(scope, member: member)
        _ = try scoped(
            scope, "DELETE FROM channel_assignments WHERE tenant_id = ?1 AND member_id = ?2",
            [.integer(member.rawValue)])
        return channels
    }
}

import Store
import Wire

/// Tenants, and finding a tenant's channels and members by name.
extension ControlPlane {
    /// Creates a tenant. Throws `.conflict` when the slug is taken, `.badRequest` when the
    /// slug or name is not valid.
    @discardableResult
    public func createTenant(slug: String, name: String, actor: Actor) throws -> TenantID {
        let slug = try Names.slug(slug)
        let name = try Names.displayName(name, kind: "tenant name")
        let now = clock()

        return try store.write { transaction in
            guard try transaction.tenant(slug: slug) == nil else {
                throw ControlError.conflict("tenant \"\(slug)\" already exists")
            }
            let id = try transaction.insertTenant(slug: slug, name: name, nowMs: now)
            try audit(
                transaction, TenantScope(id), actor, .tenantCreate,
                target: "tenant:\(id.rawValue)", at: now, metadata: ["slug": slug, "name": name])
            return id
        }
    }

    /// Every tenant, by slug.
    public func tenants() throws -> [TenantRecord] {
        try store.read { try $0.tenants() }
    }

    /// The tenant with `slug`, or `.notFound`.
    public func tenant(slug: String) throws -> TenantRecord {
        guard let tenant = try store.read({ try $0.tenant(slug: slug) }) else {
            throw ControlError.notFound("tenant \"\(slug)\" not found")
        }
        return tenant
    }

    public func tenantID(slug: String) throws -> TenantID { try tenant(slug: slug).id }

    /// The channel named `name` in `tenant`, or `.notFound`.
    public func channel(tenant: TenantID, name: String) throws -> ChannelRecord {
        let record = try store.read { try $0.channel(TenantScope(tenant), name: name) }
        guard let record else { throw ControlError.notFound("channel \"\(name)\" not found") }
        return record
    }

    public func channelID(tenant: TenantID, name: String) throws -> ChannelID {
        try channel(tenant: tenant, name: name).id
    }

    /// The member with `handle` in `tenant`, or `.notFound`.
    public func member(tenant: TenantID, handle: String) throws -> MemberRecord {
        let record = try store.read { try $0.member(TenantScope(tenant), handle: handle) }
        guard let record else { throw ControlError.notFound("member \"\(handle)\" not found") }
        return record
    }

    public func memberID(tenant: TenantID, handle: String) throws -> MemberID {
        try member(tenant: tenant, handle: handle).id
    }

    /// A tenant's channels, by name.
    public func channels(tenant: TenantID) throws -> [ChannelRecord] {
        try store.read { try $0.channels(TenantScope(tenant)) }
    }

    /// A tenant's members, by handle (removed members included).
    public func members(tenant: TenantID) throws -> [MemberRecord] {
        try store.read { try $0.members(TenantScope(tenant)) }
    }

    /// The members assigned to `channel` of `tenant`.
    public func assignedMembers(tenant: TenantID, channel: ChannelID) throws -> [MemberID] {
        try store.read { try $0.assignedMembers(TenantScope(tenant), channel: channel) }
    }

    /// The channels `member` of `tenant` is assigned to.
    public func assignedChannels(tenant: TenantID, member: MemberID) throws -> [ChannelID] {
        try store.read { try $0.assignedChannels(TenantScope(tenant), member: member) }
    }
}

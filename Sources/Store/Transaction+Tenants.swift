import Wire

/// The tenant directory. Tenants are not tenant data of one another: listing and finding
/// them by slug is global by nature.
extension ReadTransaction {
    public func tenant(slug: String) throws -> TenantRecord? {
        try global(
            "SELECT id, slug, name, created_at_ms FROM tenants WHERE slug = ?1", [.text(slug)]
        ).first.map(Self.tenantRecord)
    }

    public func tenant(id: TenantID) throws -> TenantRecord? {
        try global(
            "SELECT id, slug, name, created_at_ms FROM tenants WHERE id = ?1",
            [.integer(id.rawValue)]
        ).first.map(Self.tenantRecord)
    }

    public func tenants() throws -> [TenantRecord] {
        try global("SELECT id, slug, name, created_at_ms FROM tenants ORDER BY slug")
            .map(Self.tenantRecord)
    }

    static func tenantRecord(_ row: Row) -> TenantRecord {
        TenantRecord(
            id: TenantID(row.int(0)), slug: row.text(1), name: row.text(2),
            createdAtMs: row.int(3))
    }
}

extension WriteTransaction {
    /// Inserts a tenant. Throws a unique-violation `StoreError` when the slug is taken.
    public func insertTenant(slug: String, name: String, nowMs: Int64) throws -> TenantID {
        let id = try insertGlobal(
            "INSERT INTO tenants (slug, name, created_at_ms) VALUES (?1, ?2, ?3)",
            [.text(slug), .text(name), .integer(nowMs)])
        return TenantID(id)
    }
}

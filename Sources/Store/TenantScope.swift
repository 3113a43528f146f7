import Wire

/// The tenant that a query of tenant data is confined to.
///
/// Every store method that reads or writes a tenant's rows takes one of these, and the SQL
/// behind it filters on `tenant_id = ?1` with the scope bound to `?1` (see
/// `ReadTransaction.scoped`). This stands in for the row-level security policies that
/// SQLite lacks: a query of tenant data without a tenant cannot be written through the
/// store's API. Deciding *whether* a caller may act in a tenant is the control plane's job.
public struct TenantScope: Hashable, Sendable, CustomStringConvertible {
    public let tenant: TenantID

    public init(_ tenant: TenantID) { self.tenant = tenant }

    public var description: String { "scope(\(tenant))" }
}

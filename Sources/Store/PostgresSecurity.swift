import Foundation

/// Row-level security on PostgreSQL: tenant isolation as the database's own rule.
///
/// Every table with a `tenant_id` column gets ENABLE and FORCE ROW LEVEL SECURITY and the
/// policy `whoot_tenant`: a row is visible, and may be written, only when its `tenant_id`
/// equals the transaction's `whoot.tenant` setting, which `ReadTransaction.scoped` sets
/// with `set_config(..., true)` (the SQL form of SET LOCAL: it ends with the transaction).
/// Without a setting, no tenant row is visible at all.
///
/// Unscoped queries, each by design:
/// - `tenants`, the directory, carries no tenant data and has no policy; the application
///   may read it and add to it, not change or delete it.
/// - Tables with a `token_hash` (join tokens, login sessions, invitations, MFA challenges)
///   have a second, SELECT-only policy `whoot_capability`: the one row whose hash equals
///   the transaction's `whoot.capability` is visible. A caller sees a row only if it holds
///   the token; changes to those rows are tenant-scoped as usual.
/// - Sweeps over all tenants run once per tenant (`ReadTransaction.acrossTenants`).
///
/// What this guards against: SQL that forgets its tenant filter or names another tenant's
/// ids returns no rows and changes nothing. It does not guard against code that sets
/// `whoot.tenant` to a tenant it should not act for: deciding the tenant stays the control
/// plane's job, as on SQLite.
///
/// The policies are derived from the catalog after every migration run, so a table added
/// by a later migration is covered without repeating them. They are applied by the owner
/// role; the application's role gets plain table privileges and owns nothing.
enum PostgresSecurity {
    /// Installs the helper functions, policies and grants; idempotent. `application` is
    /// the role whootd connects as.
    static func apply(to owner: PostgresConnection, application: String) throws {
        try owner.begin(write: true)
        do {
            try owner.exec(functions)
            let tables = try owner.run(tenantTablesQuery, [])
            for table in tables {
                try owner.exec(policies(table: table.text(0), capability: table.int(1) != 0))
            }
            try owner.exec(grants(to: quoted(application)))
            try owner.exec("COMMIT")
        } catch {
            try? owner.exec("ROLLBACK")
            throw StoreError("install row-level security", message: String(describing: error))
        }
    }

    /// Refuses an application role that could see past the policies: a superuser, a role
    /// with BYPASSRLS, or one that owns a table in the schema.
    static func checkApplicationRole(_ application: PostgresConnection) throws {
        let row = try application.run(
            """
            SELECT r.rolsuper OR r.rolbypassrls,
                (SELECT count(*) FROM pg_class c
                 WHERE c.relowner = r.oid AND c.relnamespace = current_schema()::regnamespace)
            FROM pg_roles r WHERE r.rolname = current_user
            """, []
        ).first
        guard let row, row.int(0) == 0, row.int(1) == 0 else {
            throw StoreError(
                "open PostgreSQL store", message: "role \(try application.currentUser()) "
                    + "is a superuser, has BYPASSRLS or owns tables; whootd must connect as a "
                    + "role that row-level security applies to")
        }
    }

    private static let functions = """
        CREATE OR REPLACE FUNCTION whoot_current_tenant() RETURNS bigint
            LANGUAGE sql STABLE
            AS $$ SELECT nullif(current_setting('whoot.tenant', true), '')::bigint $$;
        CREATE OR REPLACE FUNCTION whoot_capability() RETURNS bytea
            LANGUAGE sql STABLE
            AS $$ SELECT decode(nullif(current_setting('whoot.capability', true), ''), 'hex') $$;
        """

    /// Tables of the current schema with a `tenant_id` column, and whether each also has a
    /// `token_hash` column.
    private static let tenantTablesQuery = """
        SELECT c.relname::text, bool_or(a.attname = 'token_hash')
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
            AND a.attnum > 0 AND NOT a.attisdropped
        GROUP BY c.relname
        HAVING bool_or(a.attname = 'tenant_id')
        ORDER BY 1
        """

    private static func policies(table: String, capability: Bool) -> String {
        let name = quoted(table)
        var sql = """
            ALTER TABLE \(name) ENABLE ROW LEVEL SECURITY;
            ALTER TABLE \(name) FORCE ROW LEVEL SECURITY;
            DROP POLICY IF EXISTS whoot_tenant ON \(name);
            CREATE POLICY whoot_tenant ON \(name)
                USING (tenant_id = whoot_current_tenant())
                WITH CHECK (tenant_id = whoot_current_tenant());
            DROP POLICY IF EXISTS whoot_capability ON \(name);

            """
        if capability {
            sql += """
                CREATE POLICY whoot_capability ON \(name) FOR SELECT
                    USING (token_hash = whoot_capability());
                """
        }
        return sql
    }

    /// Privileges of the application role: rows of tenant tables, append-only audit
    /// tables, the directory without UPDATE or DELETE, the schema version read-only.
    private static func grants(to role: String) -> String {
        """
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \(role);
        GRANT USAGE ON SCHEMA public TO \(role);
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role);
        REVOKE UPDATE, DELETE ON audit_events, audit_checkpoints, tenants FROM \(role);
        REVOKE INSERT, UPDATE, DELETE ON schema_version FROM \(role);
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO \(role);
        """
    }

    /// `identifier` as a double-quoted SQL identifier.
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// One schema change, compiled into the binary and applied once, in its own transaction.
struct Migration {
    let version: Int
    let name: String
    let sql: String
}

/// The schema's history. Append only: a released migration is never edited, a later one
/// changes what it made. Later issues add audit chaining (hash columns and triggers that
/// refuse UPDATE and DELETE on `audit_events`), MFA (per-tenant policy, TOTP secrets,
/// recovery codes) and login sessions as new migrations.
///
/// Every table of tenant data has a `tenant_id` column, and rows that refer to other rows
/// of the same tenant do so through composite foreign keys `(tenant_id, id)`, so the
/// database itself refuses an assignment or token that mixes two tenants.
enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, name: "tenants, members, channels, join tokens, audit", sql: """
            CREATE TABLE tenants (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                slug TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                created_at_ms INTEGER NOT NULL
            ) STRICT;

            CREATE TABLE members (
                tenant_id INTEGER NOT NULL REFERENCES tenants(id),
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                handle TEXT NOT NULL,
                email TEXT,
                role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'auditor')),
                password_hash TEXT,
                status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'removed')),
                created_at_ms INTEGER NOT NULL,
                UNIQUE (tenant_id, handle),
                UNIQUE (tenant_id, id)
            ) STRICT;

            CREATE TABLE channels (
                tenant_id INTEGER NOT NULL REFERENCES tenants(id),
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL,
                created_at_ms INTEGER NOT NULL,
                UNIQUE (tenant_id, name),
                UNIQUE (tenant_id, id)
            ) STRICT;

            CREATE TABLE channel_assignments (
                tenant_id INTEGER NOT NULL,
                channel_id INTEGER NOT NULL,
                member_id INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, channel_id, member_id),
                FOREIGN KEY (tenant_id, channel_id) REFERENCES channels(tenant_id, id)
                    ON DELETE CASCADE,
                FOREIGN KEY (tenant_id, member_id) REFERENCES members(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX channel_assignments_member
                ON channel_assignments (tenant_id, member_id);

            CREATE TABLE join_tokens (
                token_hash BLOB PRIMARY KEY,
                tenant_id INTEGER NOT NULL,
                channel_id INTEGER NOT NULL,
                member_id INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                expires_at_ms INTEGER NOT NULL,
                used_at_ms INTEGER,
                FOREIGN KEY (tenant_id, channel_id) REFERENCES channels(tenant_id, id)
                    ON DELETE CASCADE,
                FOREIGN KEY (tenant_id, member_id) REFERENCES members(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT;
            CREATE INDEX join_tokens_expiry ON join_tokens (expires_at_ms);

            CREATE TABLE audit_events (
                tenant_id INTEGER NOT NULL REFERENCES tenants(id),
                seq INTEGER NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                at_ms INTEGER NOT NULL,
                ip TEXT,
                request_id TEXT,
                metadata TEXT NOT NULL DEFAULT '{}',
                PRIMARY KEY (tenant_id, seq)
            ) STRICT;
            """),
        Migration(version: 2, name: "login sessions and invitations", sql: """
            CREATE TABLE login_sessions (
                token_hash BLOB PRIMARY KEY,
                tenant_id INTEGER NOT NULL,
                member_id INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                expires_at_ms INTEGER NOT NULL,
                FOREIGN KEY (tenant_id, member_id) REFERENCES members(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT;
            CREATE INDEX login_sessions_member ON login_sessions (tenant_id, member_id);

            CREATE TABLE invitations (
                token_hash BLOB PRIMARY KEY,
                tenant_id INTEGER NOT NULL,
                member_id INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                expires_at_ms INTEGER NOT NULL,
                FOREIGN KEY (tenant_id, member_id) REFERENCES members(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT;
            """),
        Migration(version: 3, name: "MFA: tenant policy, TOTP secrets, recovery codes", sql: """
            CREATE TABLE mfa_policies (
                tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),
                policy TEXT NOT NULL CHECK (policy IN ('disabled', 'optional', 'enforced')),
                changed_at_ms INTEGER NOT NULL
            ) STRICT;

            CREATE TABLE mfa_secrets (
                tenant_id INTEGER NOT NULL,
                member_id INTEGER NOT NULL,
                sealed_secret BLOB NOT NULL,
                algorithm TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
                digits INTEGER NOT NULL,
                period_s INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                confirmed_at_ms INTEGER,
                last_step INTEGER,
                PRIMARY KEY (tenant_id, member_id),
                FOREIGN KEY (tenant_id, member_id) REFERENCES members(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT, WITHOUT ROWID;

            CREATE TABLE mfa_recovery_codes (
                code_hash BLOB PRIMARY KEY,
                tenant_id INTEGER NOT NULL,
                member_id INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                used_at_ms INTEGER,
                FOREIGN KEY (tenant_id, member_id) REFERENCES members(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT;
            CREATE INDEX mfa_recovery_codes_member ON mfa_recovery_codes (tenant_id, member_id);

            CREATE TABLE mfa_challenges (
                token_hash BLOB PRIMARY KEY,
                tenant_id INTEGER NOT NULL,
                member_id INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                expires_at_ms INTEGER NOT NULL,
                FOREIGN KEY (tenant_id, member_id) REFERENCES members(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT;
            """),
    ]

    /// The schema version this binary writes.
    static var latest: Int { all.last?.version ?? 0 }

    /// Brings the database up to `latest`, one transaction per migration. Re-running it on
    /// an up-to-date database changes nothing. A database from a newer binary is refused.
    static func apply(to connection: Connection, nowMs: Int64) throws {
        try connection.exec("""
            CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at_ms INTEGER NOT NULL
            ) STRICT
            """)
        let current = try version(of: connection)
        guard current <= latest else {
            throw StoreError(
                "migrate", message: "database schema version \(current) is newer than this "
                    + "binary's \(latest); refusing to open it")
        }

        for migration in all where migration.version > current {
            try connection.exec("BEGIN IMMEDIATE")
            do {
                try connection.exec(migration.sql)
                _ = try connection.run(
                    "INSERT INTO schema_version (version, name, applied_at_ms) VALUES (?1, ?2, ?3)",
                    [.integer(Int64(migration.version)), .text(migration.name), .integer(nowMs)])
                try connection.exec("COMMIT")
            } catch {
                try? connection.exec("ROLLBACK")
                throw StoreError(
                    "migration \(migration.version) (\(migration.name))",
                    message: String(describing: error))
            }
        }
    }

    static func version(of connection: Connection) throws -> Int {
        let rows = try connection.run("SELECT coalesce(max(version), 0) FROM schema_version")
        return Int(rows.first?.int(0) ?? 0)
    }
}

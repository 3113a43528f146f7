/// One schema change, compiled into the binary and applied once, in its own transaction.
struct Migration {
    let version: Int
    let name: String
    /// The change in SQLite's syntax; PostgreSQL runs `SQLDialect.postgresDDL(sql)`.
    let sql: String
    /// PostgreSQL statements run after the rewritten `sql`: the PostgreSQL form of what
    /// the rewrite drops (SQLite triggers). Empty for most migrations.
    var postgres = ""
}

/// The schema's history. Append only: a released migration is never edited, a later one
/// changes what it made. Version 3 adds the audit hash chain with triggers that refuse
/// UPDATE and DELETE on `audit_events`, signed checkpoints and access reviews.
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
        Migration(version: 3, name: "audit hash chain, checkpoints, access reviews", sql: """
            ALTER TABLE audit_events ADD COLUMN body_hash BLOB;
            ALTER TABLE audit_events ADD COLUMN prev_hash BLOB;
            ALTER TABLE audit_events ADD COLUMN entry_hash BLOB;

            -- The audit log is append-only. The one update allowed fills in the hash
            -- columns of an entry written before the chain existed (Store.init seals them).
            CREATE TRIGGER audit_events_refuse_update BEFORE UPDATE ON audit_events
            WHEN OLD.entry_hash IS NOT NULL OR NEW.tenant_id IS NOT OLD.tenant_id
                OR NEW.seq IS NOT OLD.seq OR NEW.actor IS NOT OLD.actor
                OR NEW.action IS NOT OLD.action OR NEW.target IS NOT OLD.target
                OR NEW.at_ms IS NOT OLD.at_ms OR NEW.ip IS NOT OLD.ip
                OR NEW.request_id IS NOT OLD.request_id OR NEW.metadata IS NOT OLD.metadata
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
            CREATE TRIGGER audit_events_refuse_delete BEFORE DELETE ON audit_events
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

            CREATE TABLE audit_checkpoints (
                tenant_id INTEGER NOT NULL REFERENCES tenants(id),
                seq INTEGER NOT NULL,
                entry_hash BLOB NOT NULL,
                at_ms INTEGER NOT NULL,
                key_id TEXT NOT NULL,
                signature BLOB NOT NULL,
                PRIMARY KEY (tenant_id, seq)
            ) STRICT;
            CREATE TRIGGER audit_checkpoints_refuse_update BEFORE UPDATE ON audit_checkpoints
            BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
            CREATE TRIGGER audit_checkpoints_refuse_delete BEFORE DELETE ON audit_checkpoints
            BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;

            CREATE TABLE access_reviews (
                tenant_id INTEGER NOT NULL REFERENCES tenants(id),
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                started_by TEXT NOT NULL,
                started_at_ms INTEGER NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('open', 'completed')),
                completed_by TEXT,
                completed_at_ms INTEGER,
                UNIQUE (tenant_id, id)
            ) STRICT;

            -- One row per member in the review's snapshot; the decision columns stay NULL
            -- until a reviewer decides.
            CREATE TABLE access_review_items (
                tenant_id INTEGER NOT NULL,
                review_id INTEGER NOT NULL,
                member_id INTEGER NOT NULL,
                handle TEXT NOT NULL,
                role TEXT NOT NULL,
                status TEXT NOT NULL,
                permissions TEXT NOT NULL,
                channels TEXT NOT NULL,
                decision TEXT CHECK (decision IN ('approve', 'modify', 'revoke')),
                new_role TEXT,
                new_channels TEXT,
                comment TEXT,
                reviewer TEXT,
                decided_at_ms INTEGER,
                PRIMARY KEY (tenant_id, review_id, member_id),
                FOREIGN KEY (tenant_id, review_id) REFERENCES access_reviews(tenant_id, id),
                FOREIGN KEY (tenant_id, member_id) REFERENCES members(tenant_id, id)
            ) STRICT, WITHOUT ROWID;
            """, postgres: """
            CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR OLD.entry_hash IS NOT NULL
                    OR (NEW.tenant_id, NEW.seq, NEW.actor, NEW.action, NEW.target, NEW.at_ms,
                        NEW.ip, NEW.request_id, NEW.metadata)
                    IS DISTINCT FROM (OLD.tenant_id, OLD.seq, OLD.actor, OLD.action,
                        OLD.target, OLD.at_ms, OLD.ip, OLD.request_id, OLD.metadata)
                THEN
                    RAISE EXCEPTION 'audit events are append-only';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER audit_events_refuse_change BEFORE UPDATE OR DELETE ON audit_events
                FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();

            CREATE FUNCTION audit_checkpoints_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit checkpoints are append-only';
            END $$;
            CREATE TRIGGER audit_checkpoints_refuse_change
                BEFORE UPDATE OR DELETE ON audit_checkpoints
                FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change();
            """),
        // Recording (issue 7): per-channel settings, per-tenant keys wrapped by the master
        // key, recordings and transcripts with their wrapped file keys. A recording row is
        // deleted only through the recording service, which audits it and unlinks the file;
        // so recordings do not cascade from channels.
        Migration(version: 4, name: "recordings, transcripts, recording settings", sql: """
            CREATE TABLE recording_settings (
                tenant_id INTEGER NOT NULL,
                channel_id INTEGER NOT NULL,
                enabled INTEGER NOT NULL DEFAULT 0,
                retention_days INTEGER,
                updated_at_ms INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, channel_id),
                FOREIGN KEY (tenant_id, channel_id) REFERENCES channels(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT;

            CREATE TABLE recording_tenant_keys (
                tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),
                wrapped_key BLOB NOT NULL,
                created_at_ms INTEGER NOT NULL
            ) STRICT;

            CREATE TABLE recordings (
                tenant_id INTEGER NOT NULL,
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                file_id TEXT NOT NULL UNIQUE,
                channel_id INTEGER NOT NULL,
                path TEXT NOT NULL,
                started_at_ms INTEGER NOT NULL,
                ended_at_ms INTEGER,
                duration_ms INTEGER,
                bytes INTEGER,
                complete INTEGER NOT NULL DEFAULT 0,
                wrapped_key BLOB NOT NULL,
                expires_at_ms INTEGER,
                UNIQUE (tenant_id, id),
                FOREIGN KEY (tenant_id, channel_id) REFERENCES channels(tenant_id, id)
            ) STRICT;
            CREATE INDEX recordings_channel ON recordings (tenant_id, channel_id, started_at_ms);
            CREATE INDEX recordings_expiry ON recordings (expires_at_ms)
                WHERE expires_at_ms IS NOT NULL;

            CREATE TABLE transcripts (
                tenant_id INTEGER NOT NULL,
                recording_id INTEGER NOT NULL,
                file_id TEXT NOT NULL UNIQUE,
                path TEXT NOT NULL,
                wrapped_key BLOB NOT NULL,
                bytes INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, recording_id),
                FOREIGN KEY (tenant_id, recording_id) REFERENCES recordings(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT;
            """),
        Migration(version: 5, name: "MFA: tenant policy, TOTP secrets, recovery codes", sql: """
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
        // Several nodes on one database (issue 10): which node serves a channel, until when.
        // A node renews its leases; an expired lease may be taken by any node.
        Migration(version: 6, name: "channel leases", sql: """
            CREATE TABLE channel_leases (
                tenant_id INTEGER NOT NULL,
                channel_id INTEGER NOT NULL,
                node TEXT NOT NULL,
                node_url TEXT NOT NULL,
                expires_at_ms INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, channel_id),
                FOREIGN KEY (tenant_id, channel_id) REFERENCES channels(tenant_id, id)
                    ON DELETE CASCADE
            ) STRICT;
            CREATE INDEX channel_leases_node ON channel_leases (node);
            """),
    ]

    /// The schema version this binary writes.
    static var latest: Int { all.last?.version ?? 0 }

    /// Brings the database up to `latest`, one transaction per migration. Re-running it on
    /// an up-to-date database changes nothing. A database from a newer binary is refused.
    static func apply(to connection: DatabaseBackend, nowMs: Int64) throws {
        try connection.exec(script("""
            CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at_ms INTEGER NOT NULL
            ) STRICT
            """, for: connection.dialect))
        let current = try version(of: connection)
        guard current <= latest else {
            throw StoreError(
                "migrate", message: "database schema version \(current) is newer than this "
                    + "binary's \(latest); refusing to open it")
        }

        for migration in all where migration.version > current {
            try connection.begin(write: true)
            do {
                try connection.exec(script(migration.sql, for: connection.dialect))
                if connection.dialect == .postgres && !migration.postgres.isEmpty {
                    try connection.exec(migration.postgres)
                }
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

    static func version(of connection: DatabaseBackend) throws -> Int {
        let rows = try connection.run("SELECT coalesce(max(version), 0) FROM schema_version", [])
        return Int(rows.first?.int(0) ?? 0)
    }

    private static func script(_ sql: String, for dialect: SQLDialect) -> String {
        dialect == .postgres ? SQLDialect.postgresDDL(sql) : sql
    }
}

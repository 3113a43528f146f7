import Control
import Crypto
import Foundation
@testable import Store
import Testing
import Wire

/// PostgreSQL only: the database itself keeps tenants apart. Raw SQL through the
/// application's role (`whoot_app`), bypassing the store's API, sees and changes nothing
/// outside the tenant the transaction names. Runs when WHOOT_TEST_POSTGRES names a cluster.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["WHOOT_TEST_POSTGRES"] != nil))
struct RowLevelSecurityTests {
    let fixture: Fixture
    let database: PostgresTestDatabase
    let acme: TenantID
    let other: TenantID

    init() throws {
        fixture = try Fixture()
        database = try #require(fixture.postgres)
        acme = try fixture.tenant("acme", channels: ["ops"], members: ["ann"])
        other = try fixture.tenant("other", channels: ["ops", "secret"], members: ["eve"])
    }

    func count(_ connection: PostgresConnection, _ table: String) throws -> Int64 {
        try connection.run("SELECT count(*) FROM \(table)", []).first?.int(0) ?? -1
    }

    @Test func sqlThatForgetsTheTenantSeesNoRowsAndChangesNothing() throws {
        let app = try database.connect(as: "whoot_app")
        for table in ["members", "channels", "channel_assignments", "audit_events"] {
            #expect(try count(app, table) == 0, "\(table) visible without a tenant")
        }

        _ = try app.run("UPDATE members SET role = 'owner'", [])
        #expect(app.changes == 0)
        _ = try app.run("DELETE FROM channel_assignments", [])
        #expect(app.changes == 0)
        #expect(throws: StoreError.self) {
            try app.run(
                "INSERT INTO channels (tenant_id, name, created_at_ms) VALUES (?1, 'x', 0)",
                [.integer(other.rawValue)])
        }

        // FORCE ROW LEVEL SECURITY: even the owner must name the tenant to see its rows.
        let owner = try database.connect(as: "whoot_owner")
        #expect(try count(owner, "members") == 0)
        try owner.begin(write: false)
        try owner.setTenant(other.rawValue)
        #expect(try owner.run("SELECT role FROM members", []).map { $0.text(0) } == ["member"])
        #expect(try count(owner, "channel_assignments") == 2)
        try owner.exec("COMMIT")
    }

    @Test func sqlNamingAnotherTenantsIdsReturnsNoRowsAndChangesNothing() throws {
        let eve = try fixture.control.memberID(tenant: other, handle: "eve")
        let secret = try fixture.control.channelID(tenant: other, name: "secret")
        let app = try database.connect(as: "whoot_app")

        try app.begin(write: true)
        try app.setTenant(acme.rawValue)
        let eveRows = try app.run(
            "SELECT handle FROM members WHERE id = ?1", [.integer(eve.rawValue)])
        #expect(eveRows.isEmpty)
        let otherChannels = try app.run(
            "SELECT name FROM channels WHERE tenant_id = ?1", [.integer(other.rawValue)])
        #expect(otherChannels.isEmpty)
        _ = try app.run(
            "UPDATE members SET role = 'owner' WHERE id = ?1", [.integer(eve.rawValue)])
        #expect(app.changes == 0)
        _ = try app.run(
            "DELETE FROM channels WHERE id = ?1", [.integer(secret.rawValue)])
        #expect(app.changes == 0)
        try app.exec("COMMIT")

        try app.begin(write: true)
        try app.setTenant(acme.rawValue)
        #expect(throws: StoreError.self) {
            try app.run(
                "INSERT INTO channels (tenant_id, name, created_at_ms) VALUES (?1, 'planted', 0)",
                [.integer(other.rawValue)])
        }
        try app.exec("ROLLBACK")

        #expect(try fixture.control.member(tenant: other, handle: "eve").role == .member)
        #expect(try fixture.control.channels(tenant: other).map(\.name) == ["ops", "secret"])
    }

    @Test func applicationRoleCannotTurnTheRulesOff() throws {
        let app = try database.connect(as: "whoot_app")
        #expect(throws: StoreError.self) {
            try app.exec("ALTER TABLE members DISABLE ROW LEVEL SECURITY")
        }
        #expect(throws: StoreError.self) { try app.exec("DROP POLICY whoot_tenant ON members") }
        #expect(throws: StoreError.self) { try app.exec("DELETE FROM audit_events") }
        try app.exec("SET row_security = off")
        #expect(throws: StoreError.self) { try count(app, "members") }
    }

    @Test func aTokenRowIsVisibleOnlyToTheHolderOfItsHash() throws {
        let ann = try fixture.control.memberID(tenant: acme, handle: "ann")
        let ops = try fixture.control.channelID(tenant: acme, name: "ops")
        let token = try fixture.control.issueJoinToken(
            tenant: acme, channel: ops, member: ann, now: fixture.nowMs, actor: .system)
        let hash = Digest.sha256(token.reveal)
        let app = try database.connect(as: "whoot_app")

        try app.begin(write: false)
        #expect(try count(app, "join_tokens") == 0)
        try app.setCapability(Array(repeating: 7, count: 32))
        #expect(try count(app, "join_tokens") == 0)
        try app.setCapability(hash)
        #expect(try count(app, "join_tokens") == 1)
        try app.exec("COMMIT")
        #expect(try count(app, "join_tokens") == 0)
    }

    @Test func storeRefusesARoleThatOwnsTheTables() throws {
        #expect(throws: StoreError.self) {
            try Store(postgres: Secret(database.conninfo(role: "whoot_owner")))
        }
    }

    @Test func concurrentWritersKeepOneVerifiableChainPerTenant() throws {
        let stores = try (0..<4).map { _ in try fixture.openStore() }
        let writes = 25
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            for n in 0..<writes {
                _ = try? stores[index].write { transaction in
                    try transaction.appendAudit(
                        TenantScope(acme),
                        AuditEntry(
                            actor: "writer-\(index)", action: "test.write", target: "\(n)",
                            atMs: 1))
                }
            }
        }

        let log = try fixture.auditLog(acme)
        let written = log.filter { $0.entry.action == "test.write" }
        #expect(written.count == stores.count * writes)
        #expect(log.map(\.seq) == Array(1...Int64(log.count)))
        #expect(try fixture.control.verifyAudit(tenant: acme).ok)
    }
}

import Control
import Foundation
import Store
import Testing
import Wire

@Suite struct StoreTests {
    @Test func reopeningAppliesNoMigrationTwiceAndKeepsData() throws {
        let fixture = try Fixture()
        let tenant = try fixture.control.createTenant(slug: "acme", name: "Acme", actor: .system)
        #expect(try fixture.control.store.schemaVersion == Store.latestSchemaVersion)

        for _ in 0..<2 {
            let reopened = try fixture.open()
            #expect(try reopened.store.schemaVersion == Store.latestSchemaVersion)
            #expect(try reopened.tenantID(slug: "acme") == tenant)
        }
    }

    @Test func databaseIsInWALModeWithForeignKeys() throws {
        let fixture = try Fixture()
        try fixture.control.createTenant(slug: "acme", name: "Acme", actor: .system)
        #expect(FileManager.default.fileExists(atPath: fixture.path + "-wal"))
        // A member pointing at a tenant that does not exist is refused by the foreign key.
        #expect(throws: StoreError.self) {
            try fixture.control.store.write { transaction in
                _ = try transaction.insertMember(
                    TenantScope(TenantID(999)), handle: "x", email: nil, role: .member,
                    status: .active, nowMs: 0)
            }
        }
    }

    @Test func failedWriteRollsBackTogetherWithItsAuditEvent() throws {
        let fixture = try Fixture()
        let tenant = try fixture.control.createTenant(slug: "acme", name: "Acme", actor: .system)
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try fixture.control.store.write { transaction in
                _ = try transaction.insertChannel(TenantScope(tenant), name: "gone", nowMs: 1)
                try transaction.appendAudit(
                    TenantScope(tenant), AuditEntry(actor: "system", action: "x", target: "y",
                                                    atMs: 1))
                throw Abort()
            }
        }
        #expect(try fixture.control.channels(tenant: tenant).isEmpty)
        let events = try fixture.control.store.read { try $0.auditEvents(TenantScope(tenant)) }
        #expect(events.map(\.entry.action) == ["tenant.create"])
    }

    @Test func auditSequenceCountsPerTenantWithEveryField() throws {
        let fixture = try Fixture()
        let a = try fixture.tenant("a", channels: ["c1"], members: [])
        let b = try fixture.tenant("b", channels: [], members: [])
        let actor = Actor(.localUser(uid: 42), ip: "192.0.2.1", requestID: "req-1")
        try fixture.control.createChannel(tenant: a, name: "c2", actor: actor)

        let eventsA = try fixture.control.store.read { try $0.auditEvents(TenantScope(a)) }
        let eventsB = try fixture.control.store.read { try $0.auditEvents(TenantScope(b)) }
        #expect(eventsA.map(\.seq) == [1, 2, 3])
        #expect(eventsB.map(\.seq) == [1])
        let last = try #require(eventsA.last)
        #expect(last.entry.actor == "uid:42")
        #expect(last.entry.action == "channel.create")
        #expect(last.entry.ip == "192.0.2.1" && last.entry.requestID == "req-1")
        #expect(last.entry.atMs == fixture.nowMs)
        #expect(last.entry.metadataJSON == #"{"name":"c2"}"#)
    }

    @Test func demoWorkspaceIsCreatedOnceAndReused() throws {
        let fixture = try Fixture()
        let first = try fixture.control.ensureDemo()
        let second = try fixture.open().ensureDemo()
        #expect(first == second)
        #expect(try fixture.control.assignedMembers(tenant: first.tenant, channel: first.channel)
            == [first.alice, first.bob].sorted())
        let token = try fixture.control.issueJoinToken(
            tenant: "demo", channel: "lobby", member: "bob", now: fixture.nowMs, actor: .system)
        #expect(try fixture.control.redeemJoinToken(token.reveal, now: fixture.nowMs).member
            == first.bob)
        #expect(try fixture.control.tenants().count == 1)
    }
}

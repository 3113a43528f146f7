import Control
import Store
import Testing
import Wire

@Suite struct TenantIsolationTests {
    let fixture: Fixture
    let control: ControlPlane
    let acme: TenantID
    let other: TenantID

    init() throws {
        fixture = try Fixture()
        control = fixture.control
        acme = try fixture.tenant("acme", channels: ["ops"], members: ["ann"])
        other = try fixture.tenant("other", channels: ["ops", "secret"], members: ["eve"])
    }

    @Test func lookupsByNameSeeOnlyTheirTenant() throws {
        #expect(throws: ControlError.notFound("channel \"secret\" not found")) {
            try control.channelID(tenant: acme, name: "secret")
        }
        #expect(throws: ControlError.notFound("member \"eve\" not found")) {
            try control.memberID(tenant: acme, handle: "eve")
        }
        let acmeOps = try control.channelID(tenant: acme, name: "ops")
        let otherOps = try control.channelID(tenant: other, name: "ops")
        #expect(acmeOps != otherOps)
        #expect(try control.channels(tenant: acme).map(\.name) == ["ops"])
        #expect(try control.members(tenant: other).map(\.handle) == ["eve"])
    }

    @Test func anotherTenantsIdsAreNotFoundAndChangeNothing() throws {
        let eve = try control.memberID(tenant: other, handle: "eve")
        let secret = try control.channelID(tenant: other, name: "secret")
        let ann = try control.memberID(tenant: acme, handle: "ann")
        let acmeOps = try control.channelID(tenant: acme, name: "ops")
        let before = try auditCounts()

        let attempts: [(String, () throws -> Void)] = [
            ("assign foreign member", { try control.assign(
                member: eve, channel: acmeOps, in: acme, actor: .system) }),
            ("assign to foreign channel", { try control.assign(
                member: ann, channel: secret, in: acme, actor: .system) }),
            ("unassign foreign", { try control.unassign(
                member: eve, channel: secret, in: acme, actor: .system) }),
            ("remove foreign member", { try control.removeMember(
                tenant: acme, member: eve, actor: .system) }),
            ("role of foreign member", { try control.changeRole(
                tenant: acme, member: eve, to: .admin, actor: .system) }),
        ]
        for (name, attempt) in attempts {
            #expect(throws: ControlError.self, "\(name)") { try attempt() }
            do { try attempt() } catch let error as ControlError {
                #expect(error.status == 404, "\(name): \(error)")
            }
        }

        #expect(try control.members(tenant: other).first?.status == .invited)
        #expect(try control.members(tenant: other).first?.role == .member)
        #expect(try control.assignedMembers(tenant: other, channel: secret) == [eve])
        #expect(try auditCounts() == before)
    }

    @Test func databaseRefusesAnAssignmentThatMixesTenants() throws {
        let eve = try control.memberID(tenant: other, handle: "eve")
        let acmeOps = try control.channelID(tenant: acme, name: "ops")
        #expect(throws: StoreError.self) {
            try control.store.write { transaction in
                _ = try transaction.insertAssignment(
                    TenantScope(acme), member: eve, channel: acmeOps, nowMs: 0)
            }
        }
    }

    @Test func namesWithSQLMetacharactersAreRefusedOrStoredLiterally() throws {
        #expect(throws: ControlError.self) {
            try control.createChannel(tenant: acme, name: "x'; DROP TABLE channels;--",
                                      actor: .system)
        }
        let id = try control.createTenant(
            slug: "quotes", name: "O'Brien \"Ltd\"; DROP TABLE tenants;--", actor: .system)
        #expect(try control.tenant(slug: "quotes").name == "O'Brien \"Ltd\"; DROP TABLE tenants;--")
        #expect(try control.tenants().map(\.id).contains(id))
        #expect(try control.tenants().count == 3)
    }

    @Test func duplicateNamesConflictWithinATenantOnly() throws {
        #expect(throws: ControlError.conflict("channel \"ops\" already exists")) {
            try control.createChannel(tenant: acme, name: "ops", actor: .system)
        }
        #expect(throws: ControlError.conflict("tenant \"acme\" already exists")) {
            try control.createTenant(slug: "acme", name: "Again", actor: .system)
        }
        try control.inviteMember(tenant: acme, handle: "eve", actor: .system)
    }

    private func auditCounts() throws -> [Int] {
        try [acme, other].map { tenant in
            try control.store.read { try $0.auditEvents(TenantScope(tenant)).count }
        }
    }
}

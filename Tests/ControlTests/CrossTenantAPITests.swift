import Control
import Store
import Testing
import Wire

@Suite struct CrossTenantAPITests {
    /// Every API operation that takes an id, given ids of another tenant, answers 404 and
    /// changes nothing, even for an owner.
    @Test func anotherTenantsIdsAnswerNotFoundAndChangeNothing() throws {
        let fixture = try Fixture()
        let control = fixture.control!
        let acme = try Workspace(fixture, slug: "acme")
        let other = try Workspace(fixture, slug: "other")
        let owner = try #require(acme.callers[.owner])
        let theirMember = try control.memberID(tenant: other.tenant, handle: "pat")
        let theirChannel = other.lobby
        let ourMember = try control.memberID(tenant: acme.tenant, handle: "pat")
        let now = fixture.nowMs

        let operations: [(String, () throws -> Void)] = [
            ("rename", { try control.renameChannel(owner, channel: theirChannel, to: "x") }),
            ("delete", { try control.deleteChannel(owner, channel: theirChannel) }),
            ("assign their member",
             { _ = try control.assign(owner, member: theirMember, channel: acme.lobby) }),
            ("assign to their channel",
             { _ = try control.assign(owner, member: ourMember, channel: theirChannel) }),
            ("unassign", { _ = try control.unassign(owner, member: theirMember,
                                                    channel: theirChannel) }),
            ("remove", { _ = try control.removeMember(owner, member: theirMember) }),
            ("role", { _ = try control.setRole(owner, member: theirMember, to: .auditor) }),
            ("join", { _ = try control.issueJoinToken(owner, channel: theirChannel, now: now) }),
        ]
        let before = try snapshot(control, other.tenant)
        for (name, operation) in operations {
            do {
                try operation()
                Issue.record("\(name) succeeded across tenants")
            } catch let error as ControlError {
                #expect(error.status == 404, "\(name): \(error)")
            }
        }
        #expect(try snapshot(control, other.tenant) == before)
    }

    /// Same check with ids drawn at random from both tenants: an operation either names
    /// only the caller's own objects or answers 404.
    @Test func randomlySwappedIdsNeverReachAnotherTenant() throws {
        let fixture = try Fixture()
        let control = fixture.control!
        let acme = try Workspace(fixture, slug: "acme")
        let other = try Workspace(fixture, slug: "other")
        let owner = try #require(acme.callers[.owner])
        let ours = Set(try control.members(tenant: acme.tenant).map(\.id))
        let members = ours.union(try control.members(tenant: other.tenant).map(\.id))
        let channels = [acme.lobby, other.lobby]
        let before = try snapshot(control, other.tenant)
        var generator = SystemRandomNumberGenerator()

        for _ in 0..<40 {
            let member = members.randomElement(using: &generator)!
            let channel = channels.randomElement(using: &generator)!
            let foreign = !ours.contains(member) || channel != acme.lobby
            do {
                _ = try control.assign(owner, member: member, channel: channel)
                #expect(!foreign)
            } catch let error as ControlError {
                #expect(foreign && error.status == 404 || !foreign && error.status != 404)
            }
        }
        #expect(try snapshot(control, other.tenant) == before)
    }

    private func snapshot(_ control: ControlPlane, _ tenant: TenantID) throws -> [String] {
        let members = try control.members(tenant: tenant).map {
            "\($0.handle):\($0.role.rawValue):\($0.status.rawValue)"
        }
        let channels = try control.channels(tenant: tenant).map { channel in
            let assigned = try control.assignedMembers(tenant: tenant, channel: channel.id)
            return "\(channel.name):\(assigned.map(\.rawValue))"
        }
        let audit = try control.store.read { try $0.auditEvents(TenantScope(tenant)).count }
        return members + channels + ["audit:\(audit)"]
    }
}

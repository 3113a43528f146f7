import Control
import Foundation
import Store
import Testing
import Wire

@Suite struct RevocationTests {
    final class Recorder {
        private let lock = NSLock()
        private var items: [Revocation] = []
        func add(_ revocation: Revocation) { lock.lock(); items.append(revocation); lock.unlock() }
        var all: [Revocation] { lock.lock(); defer { lock.unlock() }; return items }
    }

    @Test func removalRoleChangeAndUnassignmentAreAnnouncedAfterCommit() throws {
        let fixture = try Fixture()
        let control = fixture.control!
        let tenant = try fixture.tenant("acme", channels: ["ops"], members: ["ann", "bo"])
        let ann = try control.memberID(tenant: tenant, handle: "ann")
        let bo = try control.memberID(tenant: tenant, handle: "bo")
        let ops = try control.channelID(tenant: tenant, name: "ops")
        let recorder = Recorder()
        control.onRevocation { revocation in
            // Called after commit: the change is already visible to a new read.
            let status = try? control.members(tenant: tenant).first { $0.id == revocation.member }
            if revocation.reason == .memberRemoved { #expect(status?.status == .removed) }
            recorder.add(revocation)
        }

        try control.unassign(member: ann, channel: ops, in: tenant, actor: .system)
        try control.changeRole(tenant: tenant, member: bo, to: .admin, actor: .system)
        try control.removeMember(tenant: tenant, member: bo, actor: .system)

        #expect(recorder.all == [
            Revocation(tenant: tenant, member: ann, channel: ops, reason: .unassigned),
            Revocation(tenant: tenant, member: bo, channel: nil, reason: .roleChanged),
            Revocation(tenant: tenant, member: bo, channel: nil, reason: .memberRemoved),
        ])
    }

    @Test func changesThatChangeNothingAnnounceNothing() throws {
        let fixture = try Fixture()
        let control = fixture.control!
        let tenant = try fixture.tenant("acme", channels: ["ops"], members: ["ann"])
        let ann = try control.memberID(tenant: tenant, handle: "ann")
        let ops = try control.channelID(tenant: tenant, name: "ops")
        let recorder = Recorder()
        control.onRevocation(recorder.add)

        #expect(try control.changeRole(tenant: tenant, member: ann, to: .member, actor: .system)
            == false)
        #expect(try control.assign(member: ann, channel: ops, in: tenant, actor: .system) == false)
        try control.removeMember(tenant: tenant, member: ann, actor: .system)
        #expect(try control.removeMember(tenant: tenant, member: ann, actor: .system) == false)
        #expect(try control.unassign(member: ann, channel: ops, in: tenant, actor: .system)
            == false)
        #expect(recorder.all.count == 1)
    }
}

import Control
import Crypto
import Foundation
import Store
import Testing
import Wire

@Suite struct AccessReviewTests {
    let fixture: Fixture
    let control: ControlPlane
    let tenant: TenantID
    var revocations: Revocations

    final class Revocations: @unchecked Sendable {
        var items: [Revocation] = []
    }

    init() throws {
        fixture = try Fixture()
        control = fixture.control
        try fixture.sealAudit()
        tenant = try fixture.tenant("acme", channels: ["ops", "sales"], members: ["ann", "bob"])
        try control.inviteMember(tenant: tenant, handle: "cat", role: .admin, actor: .system)
        try control.inviteMember(tenant: tenant, handle: "dan", role: .admin, actor: .system)
        let seen = Revocations()
        control.onRevocation { seen.items.append($0) }
        revocations = seen
    }

    func caller(_ handle: String) throws -> Caller {
        let member = try control.memberID(tenant: tenant, handle: handle)
        let invitation = try control.issueInvitation(
            tenant: tenant, member: member, now: fixture.nowMs, actor: .system)
        _ = try control.acceptInvitation(
            invitation.reveal, password: Secret("password of \(handle)!"), now: fixture.nowMs)
        let login = try control.login(
            tenant: "acme", handle: handle, password: Secret("password of \(handle)!"),
            ip: "192.0.2.1", now: fixture.nowMs)
        return try control.authenticate(session: login.token.reveal, now: fixture.nowMs)
    }

    func id(_ handle: String) throws -> MemberID {
        try control.memberID(tenant: tenant, handle: handle)
    }

    @Test func fullCycleAppliesDecisionsAtOnceAndCompletesOnlyWhenEveryoneIsDecided() throws {
        let cat = try caller("cat")
        let dan = try caller("dan")
        let review = try control.startAccessReview(cat)
        #expect(review.items.map(\.handle) == ["ann", "bob", "cat", "dan"])
        #expect(review.items[0].channels == "ops;sales")
        #expect(review.items[2].permissions.contains("manageRoles"))

        #expect(throws: ControlError.forbidden("you cannot decide on your own access")) {
            try control.decideAccessReview(
                cat, review: review.record.id, member: cat.member, decision: .approve,
                comment: "me")
        }
        _ = try control.decideAccessReview(
            cat, review: review.record.id, member: try id("ann"), decision: .approve,
            comment: "needs both")
        _ = try control.decideAccessReview(
            cat, review: review.record.id, member: try id("bob"),
            decision: .modify(role: .auditor, channels: ["ops"]), comment: "sales no more")
        #expect(try control.assignedChannels(tenant: tenant, member: try id("bob")).count == 1)
        #expect(try control.member(tenant: tenant, handle: "bob").role == .auditor)
        #expect(throws: ControlError.self) {
            try control.completeAccessReview(cat, review: review.record.id)
        }
        _ = try control.decideAccessReview(
            cat, review: review.record.id, member: dan.member, decision: .revoke,
            comment: "left the team")
        #expect(try control.member(tenant: tenant, handle: "dan").status == .removed)
        #expect(revocations.items.contains {
            $0.member == dan.member && $0.reason == .memberRemoved
        })
        #expect(revocations.items.contains {
            $0.member == (try? id("bob")) && $0.channel != nil && $0.reason == .unassigned
        })

        // cat cannot approve cat; another admin must, and dan was just revoked.
        let eve = try control.inviteMember(tenant: tenant, handle: "eve", role: .admin,
                                           actor: .system)
        _ = eve
        let eveCaller = try caller("eve")
        _ = try control.decideAccessReview(
            eveCaller, review: review.record.id, member: cat.member, decision: .approve,
            comment: "still the admin")
        let done = try control.completeAccessReview(eveCaller, review: review.record.id)
        #expect(done.record.status == "completed" && done.undecided.isEmpty)

        let log = try fixture.auditLog(tenant)
        let complete = try #require(log.last { $0.entry.action == "review.complete" })
        #expect(complete.entry.metadataJSON.contains("\"revoked\":1"))
        #expect(log.filter { $0.entry.action == "review.decide" }.count == 4)
        let report = String(decoding: try control.accessReviewReport(
            eveCaller, review: review.record.id), as: UTF8.self)
        #expect(report.contains("bob,member,invited,") && report.contains("sales no more"))
        #expect(try fixture.auditLog(tenant).last?.entry.action == "review.export")
    }

    @Test func membersAndAuditorsCannotRunReviews() throws {
        let ann = try caller("ann")
        #expect(throws: ControlError.self) { try control.startAccessReview(ann) }
    }
}

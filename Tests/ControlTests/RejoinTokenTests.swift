import Control
import Crypto
import Store
import Testing
import Wire

/// Rejoin tokens: issued with an admitted session, kept alive by extension while the
/// session lives, spent by use or withdrawal, refused once the member may no longer join.
@Suite struct RejoinTokenTests {
    let fixture: Fixture
    let control: ControlPlane
    let admission: Admission

    init() throws {
        fixture = try Fixture()
        control = fixture.control
        try fixture.tenant("acme", channels: ["ops", "sales"], members: ["ann", "bo"])
        try fixture.tenant("other", channels: ["ops"], members: ["eve"])
        let token = try control.issueJoinToken(
            tenant: "acme", channel: "ops", member: "ann", now: fixture.nowMs,
            actor: .localUser(1000))
        admission = try control.redeemJoinToken(token.reveal, now: fixture.nowMs)
    }

    func rejoinToken(grace: Int = 60) throws -> String {
        try control.issueRejoinToken(for: admission, graceSeconds: grace, now: fixture.nowMs)
            .reveal
    }

    @Test func aRejoinTokenAdmitsTheSameMemberToTheSameChannelOnce() throws {
        let token = try rejoinToken()
        let again = try control.redeemJoinToken(token, now: fixture.nowMs + 1_000)
        #expect(again == admission)
        #expect(throws: JoinTokenError.alreadyUsed) {
            try control.redeemJoinToken(token, now: fixture.nowMs + 2_000)
        }
    }

    @Test func withoutExtensionTheTokenDiesWithItsGrace() throws {
        let token = try rejoinToken(grace: 30)
        #expect(throws: JoinTokenError.expired) {
            try control.redeemJoinToken(token, now: fixture.nowMs + 30_000)
        }
    }

    @Test func extensionsKeepTheTokenAliveAsLongAsTheyCome() throws {
        let token = try rejoinToken(grace: 30)
        let hash = Digest.sha256(token)
        var now = fixture.nowMs
        for _ in 0..<10 {
            now += 10_000
            #expect(try control.extendJoinTokens([(admission.tenant, hash)], untilMs: now + 30_000)
                .isEmpty)
        }
        // 100 s after issue, three times its grace, it still admits.
        #expect(try control.redeemJoinToken(token, now: now + 29_000) == admission)
        // A used token is not extended, and says so.
        #expect(try control.extendJoinTokens([(admission.tenant, hash)], untilMs: now + 60_000)
            == [hash])
    }

    @Test func anExtensionNamingAnotherTenantChangesNothing() throws {
        let token = try rejoinToken(grace: 30)
        let other = try control.tenantID(slug: "other")
        let hash = Digest.sha256(token)
        #expect(try control.extendJoinTokens([(other, hash)], untilMs: fixture.nowMs + 600_000)
            == [hash])
        #expect(throws: JoinTokenError.expired) {
            try control.redeemJoinToken(token, now: fixture.nowMs + 30_000)
        }
        #expect(try !control.withdrawJoinToken(tenant: other, hash: hash, now: fixture.nowMs))
        #expect(try control.redeemJoinToken(token, now: fixture.nowMs + 1) == admission)
    }

    @Test func aWithdrawnTokenIsRefusedAsUsed() throws {
        let token = try rejoinToken()
        #expect(try control.withdrawJoinToken(
            tenant: admission.tenant, hash: Digest.sha256(token), now: fixture.nowMs))
        #expect(throws: JoinTokenError.alreadyUsed) {
            try control.redeemJoinToken(token, now: fixture.nowMs + 1)
        }
    }

    @Test func aRemovedMemberCannotRejoinAndFailsTheLiveCheck() throws {
        #expect(try control.mayStillJoin(
            tenant: admission.tenant, member: admission.member, channel: admission.channel))
        let token = try rejoinToken()
        _ = try control.removeMember(
            tenant: admission.tenant, member: admission.member, actor: .localUser(1000))
        #expect(throws: JoinTokenError.memberNotAllowed) {
            try control.redeemJoinToken(token, now: fixture.nowMs + 1)
        }
        #expect(try !control.mayStillJoin(
            tenant: admission.tenant, member: admission.member, channel: admission.channel))
    }

    @Test func aMemberDemotedToAuditorCannotRejoinNorGetAJoinToken() throws {
        let token = try rejoinToken()
        _ = try control.changeRole(
            tenant: admission.tenant, member: admission.member, to: .auditor,
            actor: .localUser(1000))
        #expect(throws: JoinTokenError.memberNotAllowed) {
            try control.redeemJoinToken(token, now: fixture.nowMs + 1)
        }
        #expect(try !control.mayStillJoin(
            tenant: admission.tenant, member: admission.member, channel: admission.channel))
        #expect(throws: JoinTokenError.memberNotAllowed) {
            try control.issueJoinToken(
                tenant: "acme", channel: "ops", member: "ann", now: fixture.nowMs,
                actor: .localUser(1000))
        }
    }

    @Test func anUnassignedMemberFailsTheLiveCheckForThatChannelOnly() throws {
        let sales = try control.channelID(tenant: admission.tenant, name: "sales")
        _ = try control.unassign(
            member: admission.member, channel: admission.channel, in: admission.tenant,
            actor: .localUser(1000))
        #expect(try !control.mayStillJoin(
            tenant: admission.tenant, member: admission.member, channel: admission.channel))
        #expect(try control.mayStillJoin(
            tenant: admission.tenant, member: admission.member, channel: sales))
        let other = try control.tenantID(slug: "other")
        #expect(try !control.mayStillJoin(
            tenant: other, member: admission.member, channel: sales))
    }

    @Test func issuingARejoinTokenIsAuditedAsSuch() throws {
        _ = try rejoinToken()
        let issued = try fixture.auditLog(admission.tenant).filter {
            $0.entry.action == AuditAction.joinTokenIssue.rawValue
        }
        #expect(issued.count == 2)
        #expect(issued.last?.entry.metadataJSON.contains("\"rejoin\":true") == true)
        #expect(issued.first?.entry.metadataJSON.contains("rejoin") == false)
        #expect(issued.last?.entry.actor == "member:\(admission.member.rawValue)")
    }
}

import Foundation
import Control
import Crypto
import Store
import Testing
import Wire

@Suite struct JoinTokenTests {
    let fixture: Fixture
    let control: ControlPlane

    init() throws {
        fixture = try Fixture()
        control = fixture.control
        try fixture.tenant("acme", channels: ["ops", "sales"], members: ["ann", "bo"])
        try fixture.tenant("other", channels: ["ops"], members: ["eve"])
    }

    func issue(
        _ tenant: String = "acme", _ channel: String = "ops", _ member: String = "ann",
        ttl: Int = 300
    ) throws -> String {
        try control.issueJoinToken(
            tenant: tenant, channel: channel, member: member, ttlSeconds: ttl,
            now: fixture.nowMs, actor: .localUser(1000)
        ).reveal
    }

    @Test func issuedTokenAdmitsItsMemberToItsChannelOnce() throws {
        let token = try issue()
        #expect(token.hasPrefix("wjt_") && token.count == 47)

        let admission = try control.redeemJoinToken(token, now: fixture.nowMs + 1_000)
        #expect(admission.tenantSlug == "acme")
        #expect(admission.channelName == "ops")
        #expect(admission.memberHandle == "ann")
        let acme = try control.tenantID(slug: "acme")
        #expect(admission.tenant == acme)
        #expect(admission.channel == (try control.channelID(tenant: acme, name: "ops")))

        #expect(throws: JoinTokenError.alreadyUsed) {
            try control.redeemJoinToken(token, now: fixture.nowMs + 2_000)
        }
    }

    @Test func tokenIsRefusedAtAndAfterExpiry() throws {
        let token = try issue(ttl: 60)
        #expect(throws: JoinTokenError.expired) {
            try control.redeemJoinToken(token, now: fixture.nowMs + 60_000)
        }
    }

    @Test func forgedAndMalformedTokensAreRefused() throws {
        let real = try issue()
        var forged = Array(real)
        forged[10] = forged[10] == "A" ? "B" : "A"
        #expect(throws: JoinTokenError.unknown) {
            try control.redeemJoinToken(String(forged), now: fixture.nowMs)
        }
        for bad in ["", "wjt_", "abc", "wjt_" + String(repeating: "!", count: 43),
                    real + "A", String(real.dropFirst(4))]
        {
            #expect(throws: JoinTokenError.malformed) {
                try control.redeemJoinToken(bad, now: fixture.nowMs)
            }
        }
        // The genuine token is still unused after all that.
        #expect(try control.redeemJoinToken(real, now: fixture.nowMs).memberHandle == "ann")
    }

    @Test func tokenForOneChannelAdmitsOnlyThatChannel() throws {
        let ops = try control.redeemJoinToken(try issue("acme", "ops"), now: fixture.nowMs)
        let sales = try control.redeemJoinToken(try issue("acme", "sales"), now: fixture.nowMs)
        #expect(ops.channelName == "ops" && sales.channelName == "sales")
        #expect(ops.channel != sales.channel)
    }

    @Test func memberOfAnotherTenantCannotGetTokenForThisTenantsChannel() throws {
        #expect(throws: ControlError.notFound("member \"eve\" not found")) {
            try issue("acme", "ops", "eve")
        }
        // By ids as well: eve's id is not a member of acme.
        let other = try control.tenantID(slug: "other")
        let eve = try control.memberID(tenant: other, handle: "eve")
        let acme = try control.tenantID(slug: "acme")
        let acmeOps = try control.channelID(tenant: acme, name: "ops")
        #expect(throws: ControlError.self) {
            try control.issueJoinToken(
                tenant: acme, channel: acmeOps, member: eve, now: fixture.nowMs, actor: .system)
        }
        #expect(throws: ControlError.self) {
            try control.issueJoinToken(
                tenant: other, channel: acmeOps, member: eve, now: fixture.nowMs, actor: .system)
        }
    }

    @Test func unassignedOrRemovedMemberGetsNoTokenAndLosesIssuedOnes() throws {
        let acme = try control.tenantID(slug: "acme")
        let lone = try control.inviteMember(tenant: acme, handle: "lone", actor: .system)
        #expect(throws: JoinTokenError.memberNotAllowed) { try issue("acme", "ops", "lone") }

        let token = try issue("acme", "ops", "bo")
        let bo = try control.memberID(tenant: acme, handle: "bo")
        try control.removeMember(tenant: acme, member: bo, actor: .system)
        #expect(throws: JoinTokenError.memberNotAllowed) {
            try control.redeemJoinToken(token, now: fixture.nowMs)
        }
        #expect(throws: JoinTokenError.memberNotAllowed) { try issue("acme", "ops", "bo") }
        _ = lone
    }

    @Test func onlyTheTokensHashIsStoredAndAudited() throws {
        let token = try issue()
        let bytes = try [UInt8](contentsOf: fixture.path)
            + ((try? [UInt8](contentsOf: fixture.path + "-wal")) ?? [])
        #expect(!bytes.contains(subsequence: Array(token.utf8)))
        #expect(bytes.contains(subsequence: Digest.sha256(token)))

        let acme = try control.tenantID(slug: "acme")
        let events = try control.store.read { try $0.auditEvents(TenantScope(acme)) }
        let issued = try #require(events.last)
        #expect(issued.entry.action == "join_token.issue")
        #expect(issued.entry.actor == "uid:1000")
        #expect(!issued.entry.metadataJSON.contains(token))
    }

    @Test func lifetimeOutsideBoundsIsRefused() throws {
        #expect(throws: ControlError.self) { try issue(ttl: 0) }
        #expect(throws: ControlError.self) { try issue(ttl: 3_601) }
    }

    @Test func errorDescriptionsAreOneClearLine() {
        let all: [JoinTokenError] = [.malformed, .unknown, .expired, .alreadyUsed,
                                     .memberNotAllowed]
        for error in all {
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
        }
    }
}

extension Array where Element == UInt8 {
    init(contentsOf path: String) throws {
        self = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if Array(self[start..<(start + needle.count)]) == needle { return true }
        }
        return false
    }
}

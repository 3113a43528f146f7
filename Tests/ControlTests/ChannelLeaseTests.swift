import Control
import Store
import Testing
import Wire

/// Channel leases: one node serves a channel until its lease expires unrenewed.
/// Runs on SQLite, and on PostgreSQL in the second pass (scripts/test-postgres.sh).
@Suite struct ChannelLeaseTests {
    let fixture: Fixture
    let scope: TenantScope
    let channel: ChannelID

    init() throws {
        fixture = try Fixture()
        let tenant = try fixture.tenant("acme", channels: ["ops"], members: [])
        scope = TenantScope(tenant)
        channel = try fixture.control.channelID(tenant: tenant, name: "ops")
    }

    func claim(_ node: String, now: Int64) throws -> ChannelLease {
        try fixture.control.store.write {
            try $0.claimChannelLease(
                scope, channel: channel, node: node, nodeURL: "https://\(node)", nowMs: now,
                untilMs: now + 3_000)
        }
    }

    @Test func anUnexpiredLeaseStaysWithItsNode() throws {
        #expect(try claim("a", now: 1_000).node == "a")
        let seen = try claim("b", now: 3_999)
        #expect(seen.node == "a" && seen.nodeURL == "https://a" && seen.expiresAtMs == 4_000)
        #expect(try claim("a", now: 3_999).expiresAtMs == 6_999)
    }

    @Test func anExpiredLeaseMovesAndItsOldNodeCannotRenewIt() throws {
        _ = try claim("a", now: 1_000)
        #expect(try claim("b", now: 4_000).node == "b")
        let renewed = try fixture.control.store.write {
            try $0.renewChannelLease(scope, channel: channel, node: "a", untilMs: 9_000)
        }
        #expect(!renewed)
        #expect(try claim("a", now: 5_000).node == "b")
    }

    @Test func aNodeRestartedAtTheSameURLTakesItsOldLeaseAtOnce() throws {
        _ = try claim("a", now: 1_000)
        let restarted = try fixture.control.store.write {
            try $0.claimChannelLease(
                scope, channel: channel, node: "a-restarted", nodeURL: "https://a",
                nowMs: 1_500, untilMs: 4_500)
        }
        #expect(restarted.node == "a-restarted" && restarted.expiresAtMs == 4_500)
        // Another URL still has to wait for the expiry.
        #expect(try claim("b", now: 2_000).node == "a-restarted")
    }

    @Test func aReleasedLeaseIsFreeAtOnce() throws {
        _ = try claim("a", now: 1_000)
        try fixture.control.store.write {
            try $0.releaseChannelLease(scope, channel: channel, node: "a")
        }
        #expect(try claim("b", now: 1_001).node == "b")
    }
}

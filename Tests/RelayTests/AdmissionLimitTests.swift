import Crypto
import Testing
import Wire

@testable import Relay

/// The admission limits: each refuses at its cap, and releases as sessions connect or end.
struct AdmissionLimitTests {
    let lobby = RoomKey(tenant: TenantID(1), channel: ChannelID(1))
    let hall = RoomKey(tenant: TenantID(1), channel: ChannelID(2))

    func counts(_ sessions: [(String, RoomKey, String)]) -> AdmissionCounts {
        var counts = AdmissionCounts()
        for (id, room, origin) in sessions {
            counts.admitted(SessionID(id), room: room, origin: origin)
        }
        return counts
    }

    @Test func aFullChannelRefusesTheNextSession() {
        let limits = AdmissionLimits(sessionsPerChannel: 2, pendingPerOrigin: 10)
        var full = counts([("a", lobby, "1.1.1.1"), ("b", lobby, "2.2.2.2")])
        full.connected(SessionID("a"))
        full.connected(SessionID("b"))

        let refusal = full.refusal(room: lobby, origin: "3.3.3.3", limits: limits)
        #expect(refusal?.limit == .sessionsPerChannel)
        #expect(full.refusal(room: hall, origin: "3.3.3.3", limits: limits) == nil)
    }

    @Test func aFullTenantRefusesEvenInAnotherChannel() {
        let limits = AdmissionLimits(sessionsPerTenant: 2, sessionsPerChannel: 10)
        let full = counts([("a", lobby, "1.1.1.1"), ("b", hall, "2.2.2.2")])
        let other = RoomKey(tenant: TenantID(1), channel: ChannelID(3))
        let stranger = RoomKey(tenant: TenantID(2), channel: ChannelID(3))

        #expect(full.refusal(room: other, origin: "3.3.3.3", limits: limits)?.limit
            == .sessionsPerTenant)
        #expect(full.refusal(room: stranger, origin: "3.3.3.3", limits: limits) == nil)
    }

    @Test func pendingSessionsAreCappedPerOriginAndOverall() {
        let limits = AdmissionLimits(pendingSessions: 3, pendingPerOrigin: 2)
        var state = counts([("a", lobby, "1.1.1.1"), ("b", lobby, "1.1.1.1")])

        #expect(state.refusal(room: nil, origin: "1.1.1.1", limits: limits)?.limit
            == .pendingPerOrigin)
        #expect(state.refusal(room: lobby, origin: "2.2.2.2", limits: limits) == nil)
        state.admitted(SessionID("c"), room: hall, origin: "2.2.2.2")
        #expect(state.refusal(room: nil, origin: "9.9.9.9", limits: limits)?.limit
            == .pendingSessions)
    }

    @Test func connectingReleasesThePendingCountButNotTheChannelSeat() {
        let limits = AdmissionLimits(sessionsPerChannel: 2, pendingPerOrigin: 1)
        var state = counts([("a", lobby, "1.1.1.1")])
        state.connected(SessionID("a"))

        #expect(state.pending == 0)
        #expect(state.pendingPerOrigin.isEmpty)
        #expect(state.refusal(room: lobby, origin: "1.1.1.1", limits: limits) == nil)
        state.admitted(SessionID("b"), room: lobby, origin: "1.1.1.1")
        #expect(state.refusal(room: lobby, origin: "2.2.2.2", limits: limits)?.limit
            == .sessionsPerChannel)
    }

    @Test func closingASessionFreesItsSeatsAndForgetsIdleKeys() {
        var state = counts([("a", lobby, "1.1.1.1"), ("b", lobby, "1.1.1.1")])
        state.connected(SessionID("a"))
        state.closed(SessionID("a"), room: lobby)
        state.closed(SessionID("b"), room: lobby)

        #expect(state.perChannel.isEmpty && state.perTenant.isEmpty)
        #expect(state.pendingOrigins.isEmpty && state.pendingPerOrigin.isEmpty)
    }

    @Test func theRelayRefusesOverALimitAndCountsTheRefusal() throws {
        let relay = try Relay(
            bind: PeerAddress(host: "127.0.0.1", port: 0)!,
            certificate: .generateSelfSigned(commonName: "relay"), workers: 1,
            limits: AdmissionLimits(sessionsPerChannel: 1, pendingPerOrigin: 5))
        defer { relay.stop() }
        try relay.admit(plan("one"), origin: "127.0.0.1")

        #expect(throws: AdmissionRefusal(limit: .sessionsPerChannel, value: 1)) {
            try relay.admit(plan("two"), origin: "127.0.0.1")
        }
        #expect(relay.refusals(.sessionsPerChannel) == 1)
        #expect(relay.sessions().map(\.id) == [SessionID("one")])
        #expect(relay.pendingSessions == 1)
        #expect(relay.pendingRefusal(origin: "127.0.0.1") == nil)
    }

    @Test func refusalMessagesNameTheLimit() {
        let refusal = AdmissionRefusal(limit: .pendingPerOrigin, value: 20)
        #expect(refusal.description.contains("20 sessions still connecting"))
        #expect(refusal.limit.label == "pending_sessions_per_ip")
    }

    private func plan(_ id: String) -> SessionPlan {
        SessionPlan(
            id: SessionID(id), tenant: TenantID(1), channel: ChannelID(1),
            member: MemberID(1), localUfrag: "u\(id)", localPwd: Secret("p\(id)"),
            remoteUfrag: "r", dtlsRole: .server, remoteFingerprints: [],
            incoming: nil, slots: [])
    }
}

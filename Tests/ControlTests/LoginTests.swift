import Control
import Crypto
import Store
import Testing
import Wire

@Suite struct LoginTests {
    let fixture: Fixture
    let control: ControlPlane
    let tenant: TenantID
    let ann: MemberID
    let password = Secret("a long enough passphrase")

    init() throws {
        fixture = try Fixture()
        control = fixture.control
        tenant = try fixture.tenant("acme", channels: ["ops"], members: ["ann"])
        ann = try control.memberID(tenant: tenant, handle: "ann")
        let invitation = try control.issueInvitation(
            tenant: tenant, member: ann, now: fixture.nowMs, actor: .system)
        _ = try control.acceptInvitation(invitation.reveal, password: password, now: fixture.nowMs)
    }

    func login(_ password: Secret<String>, ip: String = "192.0.2.1", at offset: Int64 = 0)
        throws -> LoginResult
    {
        try control.login(
            tenant: "acme", handle: "ann", password: password, ip: ip, now: fixture.nowMs + offset)
    }

    @Test func passwordIsStoredAsArgon2idWithOWASPParametersAndNeverInPlaintext() throws {
        let hash = try #require(try control.store.read {
            try $0.passwordHash(TenantScope(tenant), member: ann)
        })
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(Passwords.verify(password, encoded: hash))
        #expect(!Passwords.verify(Secret("a long enough passphrasf"), encoded: hash))
        let bytes = try [UInt8](contentsOf: fixture.path)
            + ((try? [UInt8](contentsOf: fixture.path + "-wal")) ?? [])
        #expect(!bytes.contains(subsequence: Array(password.reveal.utf8)))
    }

    @Test func loginGivesASessionThatExpiresAndEndsOnLogout() throws {
        let result = try login(password)
        let token = result.token.reveal
        #expect(token.hasPrefix("wst_"))
        #expect(try control.authenticate(session: token, now: fixture.nowMs).member == ann)
        #expect(throws: ControlError.unauthorized("session is not valid; log in again")) {
            try control.authenticate(session: token, now: result.expiresAtMs)
        }

        let second = try login(password).token.reveal
        try control.logout(session: second, now: fixture.nowMs)
        #expect(throws: ControlError.self) {
            try control.authenticate(session: second, now: fixture.nowMs)
        }
        #expect(throws: ControlError.self) {
            try control.authenticate(session: "wst_forged", now: fixture.nowMs)
        }
    }

    @Test func wrongPasswordUnknownHandleAndUnknownTenantLookTheSame() throws {
        let expected = ControlError.unauthorized("wrong tenant, handle or password")
        #expect(throws: expected) { try login(Secret("wrong password!!")) }
        #expect(throws: expected) {
            try control.login(tenant: "acme", handle: "nobody", password: password, ip: nil,
                              now: fixture.nowMs)
        }
        #expect(throws: expected) {
            try control.login(tenant: "nope", handle: "ann", password: password, ip: nil,
                              now: fixture.nowMs)
        }
        let events = try control.store.read { try $0.auditEvents(TenantScope(tenant)) }
        let failures = events.filter { $0.entry.action == "login.failure" }
        #expect(failures.count == 2)
        #expect(failures.first?.entry.ip == "192.0.2.1")
        // A guessed handle is audited too, under the tenant it aimed at.
        #expect(failures.last?.entry.target == "handle:unknown")
        #expect(failures.last?.entry.metadataJSON.contains("nobody") == true)
    }

    @Test func failedLoginsAreThrottledPerAccountUntilTheWindowEnds() throws {
        for _ in 0..<5 {
            #expect(throws: ControlError.self) { try login(Secret("wrong password!!")) }
        }
        #expect(throws: ControlError.tooManyRequests(retryAfterSeconds: 900)) {
            try login(password, ip: "198.51.100.9")
        }
        #expect(try login(password, at: 15 * 60_000).member == ann)
    }

    @Test func removalAndRoleChangeEndSessionsAtOnce() throws {
        let first = try login(password).token.reveal
        try control.changeRole(tenant: tenant, member: ann, to: .auditor, actor: .system)
        #expect(throws: ControlError.self) {
            try control.authenticate(session: first, now: fixture.nowMs)
        }
        let second = try login(password)
        #expect(second.role == .auditor)
        try control.removeMember(tenant: tenant, member: ann, actor: .system)
        #expect(throws: ControlError.self) {
            try control.authenticate(session: second.token.reveal, now: fixture.nowMs)
        }
        #expect(throws: ControlError.self) { try login(password) }
    }

    @Test func invitationIsSingleUseAndNeedsAGoodPassword() throws {
        let bo = try control.inviteMember(tenant: tenant, handle: "bo", actor: .system)
        let invitation = try control.issueInvitation(
            tenant: tenant, member: bo, now: fixture.nowMs, actor: .system).reveal
        #expect(throws: ControlError.self) {
            try control.acceptInvitation(invitation, password: Secret("short"), now: fixture.nowMs)
        }
        let accepted = try control.acceptInvitation(
            invitation, password: password, now: fixture.nowMs)
        #expect(accepted.status == .active)
        #expect(throws: ControlError.unauthorized("invitation is not valid")) {
            try control.acceptInvitation(invitation, password: password, now: fixture.nowMs)
        }
    }
}

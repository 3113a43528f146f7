import Control
import Crypto
import Foundation
import Store
import Testing
import Wire

/// A tenant "acme" with members ann (member) and root (admin), both with passwords, a
/// channel "ops" they are assigned to, and a control plane that holds an MFA key.
final class MFAFixture {
    let fixture: Fixture
    let control: ControlPlane
    let tenant: TenantID
    let ann: MemberID
    let root: MemberID
    let ops: ChannelID
    let password = Secret("a long enough passphrase")

    init() throws {
        fixture = try Fixture()
        control = ControlPlane(
            store: fixture.control.store, clock: { [unowned fixture] in fixture.nowMs },
            mfaKey: Secret(SecureRandom.bytes(32)))
        tenant = try fixture.tenant("acme", channels: ["ops"], members: ["ann", "root"])
        ann = try control.memberID(tenant: tenant, handle: "ann")
        root = try control.memberID(tenant: tenant, handle: "root")
        ops = try control.channelID(tenant: tenant, name: "ops")
        _ = try control.changeRole(tenant: tenant, member: root, to: .admin, actor: .system)
        for member in [ann, root] {
            try control.setPassword(tenant: tenant, member: member, password: password,
                                    actor: .system)
        }
    }

    var now: Int64 { fixture.nowMs }

    func advance(seconds: Int64) { fixture.nowMs += seconds * 1_000 }

    func begin(_ handle: String) throws -> LoginOutcome {
        try control.beginLogin(
            tenant: "acme", handle: handle, password: password, ip: "192.0.2.7", now: now)
    }

    func caller(_ handle: String) throws -> Caller {
        guard case .signedIn(let result) = try begin(handle) else {
            throw ControlError.badRequest("\(handle) was asked for a second factor")
        }
        return try control.authenticate(session: result.token.reveal, now: now)
    }

    func challenge(_ handle: String) throws -> String {
        guard case .secondFactorRequired(let challenge, _) = try begin(handle) else {
            throw ControlError.badRequest("\(handle) was not asked for a second factor")
        }
        return challenge.reveal
    }

    /// Enrols and confirms `handle`; returns the app's TOTP and the recovery codes.
    func enrol(_ handle: String) throws -> (TOTP, [String]) {
        let caller = try caller(handle)
        let enrolment = try control.enrolMFA(caller, now: now)
        let totp = try Self.totp(fromURI: enrolment.uri.reveal)
        let codes = try control.confirmMFA(caller, code: Secret(totp.code(at: now)), now: now)
        return (totp, codes.map(\.reveal))
    }

    /// The TOTP an authenticator app would build from the otpauth:// URI.
    static func totp(fromURI uri: String) throws -> TOTP {
        let items = URLComponents(string: uri)?.queryItems ?? []
        let query = Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0.value ?? "") })
        let secret = try #require(query["secret"].flatMap(Base32.decode))
        let algorithm = try #require(TOTP.Algorithm(rawValue: query["algorithm"] ?? ""))
        return TOTP(
            secret: Secret(secret), algorithm: algorithm, digits: Int(query["digits"]!)!,
            periodSeconds: Int64(query["period"]!)!)
    }

    func complete(_ challenge: String, code: String? = nil, recovery: String? = nil) throws
        -> LoginResult
    {
        try control.completeLogin(
            challenge: challenge, code: code.map(Secret.init),
            recoveryCode: recovery.map(Secret.init), ip: "192.0.2.7", now: now)
    }

    func auditActions() throws -> [String] {
        try control.store.read { try $0.auditEvents(TenantScope(tenant)) }.map(\.entry.action)
    }
}

@Suite struct MFATests {
    let m: MFAFixture

    init() throws { m = try MFAFixture() }

    @Test func enrolmentGivesAStandardURIAndTheAppsCodeCompletesALogin() throws {
        let caller = try m.caller("ann")
        let enrolment = try m.control.enrolMFA(caller, now: m.now)
        let uri = enrolment.uri.reveal

        #expect(uri.hasPrefix("otpauth://totp/whoot:ann%40acme?secret="))
        #expect(uri.hasSuffix("&issuer=whoot&algorithm=SHA1&digits=6&period=30"))
        #expect(enrolment.qrCode.svg().hasPrefix("<svg "))
        #expect(try m.control.mfaStatus(tenant: m.tenant, member: m.ann).pending)

        let totp = try MFAFixture.totp(fromURI: uri)
        let codes = try m.control.confirmMFA(caller, code: Secret(totp.code(at: m.now)), now: m.now)
        #expect(codes.count == 10 && Set(codes.map(\.reveal)).count == 10)

        m.advance(seconds: 30)
        let session = try m.complete(try m.challenge("ann"), code: totp.code(at: m.now))
        #expect(session.member == m.ann)
        #expect(try m.auditActions().suffix(4)
            == ["mfa.enroll", "mfa.confirm", "login.mfa_challenge", "login"])
    }

    @Test func aUsedCodeIsNeverAcceptedAgain() throws {
        let (totp, _) = try m.enrol("ann")
        m.advance(seconds: 30)
        let code = totp.code(at: m.now)
        _ = try m.complete(try m.challenge("ann"), code: code)

        let again = try m.challenge("ann")
        #expect(throws: ControlError.unauthorized("wrong or already used code")) {
            try m.complete(again, code: code)
        }
        // The confirmation code was spent too: its step is not accepted for a login.
        #expect(throws: ControlError.self) {
            try m.complete(again, code: totp.code(at: m.now - 30_000))
        }
    }

    @Test func aCodeTwoStepsAwayIsRefusedOneStepAwayIsAccepted() throws {
        let (totp, _) = try m.enrol("ann")
        m.advance(seconds: 300)
        let challenge = try m.challenge("ann")

        #expect(throws: ControlError.self) {
            try m.complete(challenge, code: totp.code(at: m.now + 60_000))
        }
        #expect(throws: ControlError.self) {
            try m.complete(challenge, code: totp.code(at: m.now - 60_000))
        }
        #expect(try m.complete(challenge, code: totp.code(at: m.now + 30_000)).member == m.ann)
    }

    @Test func malformedCodesAreBadRequestsAndNotCounted() throws {
        _ = try m.enrol("ann")
        m.advance(seconds: 30)
        let challenge = try m.challenge("ann")

        for bad in ["12345", "1234567", "12a456", "", "abcde-fghij-k"] {
            let isTOTP = bad.allSatisfy(\.isNumber) || bad.count < 7
            #expect(throws: ControlError.self) {
                try m.complete(challenge, code: isTOTP ? bad : nil, recovery: isTOTP ? nil : bad)
            }
        }
        #expect(throws: ControlError.badRequest("give either code or recovery_code")) {
            try m.complete(challenge, code: "123456", recovery: "aaaaa-bbbbb")
        }
        #expect(!(try m.auditActions()).contains("mfa.failure"))
    }

    @Test func bruteForceIsThrottledPerMemberAndAudited() throws {
        let (totp, _) = try m.enrol("ann")
        m.advance(seconds: 30)
        let challenge = try m.challenge("ann")
        let right = totp.code(at: m.now)
        let wrong = right == "000000" ? "000001" : "000000"

        for _ in 0..<5 {
            #expect(throws: ControlError.unauthorized("wrong or already used code")) {
                try m.complete(challenge, code: wrong)
            }
        }
        #expect(throws: ControlError.tooManyRequests(retryAfterSeconds: 900)) {
            try m.complete(challenge, code: right)
        }
        #expect(try m.auditActions().filter { $0 == "mfa.failure" }.count == 5)

        m.advance(seconds: 15 * 60)
        let fresh = try m.challenge("ann")
        #expect(try m.complete(fresh, code: totp.code(at: m.now)).member == m.ann)
    }

    @Test func recoveryCodesWorkOnceEach() throws {
        let (_, codes) = try m.enrol("ann")

        for code in codes.prefix(3) {
            #expect(try m.complete(try m.challenge("ann"), recovery: code).member == m.ann)
            #expect(throws: ControlError.self) {
                try m.complete(try m.challenge("ann"), recovery: code)
            }
        }
        let typed = codes[3].uppercased().replacingOccurrences(of: "-", with: " ")
        #expect(try m.complete(try m.challenge("ann"), recovery: typed).member == m.ann)
        #expect(try m.control.mfaStatus(tenant: m.tenant, member: m.ann).recoveryCodesLeft == 6)
    }

    @Test func aChallengeIsSingleUseAndExpiresAfterFiveMinutes() throws {
        let (totp, _) = try m.enrol("ann")
        m.advance(seconds: 30)
        let challenge = try m.challenge("ann")
        _ = try m.complete(challenge, code: totp.code(at: m.now))

        m.advance(seconds: 30)
        #expect(throws: ControlError.unauthorized("login challenge is not valid; log in again")) {
            try m.complete(challenge, code: totp.code(at: m.now))
        }
        let late = try m.challenge("ann")
        m.advance(seconds: 5 * 60)
        #expect(throws: ControlError.unauthorized("login challenge is not valid; log in again")) {
            try m.complete(late, code: totp.code(at: m.now))
        }
    }

    @Test func passwordOnlyLoginIsRefusedOnceMFAIsOn() throws {
        _ = try m.enrol("ann")
        #expect(throws: ControlError.self) {
            try m.control.login(
                tenant: "acme", handle: "ann", password: m.password, ip: nil, now: m.now)
        }
    }

    @Test func theSecretIsSealedAtRestAndBoundToItsMember() throws {
        let caller = try m.caller("ann")
        let enrolment = try m.control.enrolMFA(caller, now: m.now)
        let secret = try #require(URLComponents(string: enrolment.uri.reveal)?.queryItems?
            .first { $0.name == "secret" }?.value.flatMap(Base32.decode))
        let record = try #require(try m.control.store.read {
            try $0.mfaSecret(TenantScope(m.tenant), member: m.ann)
        })

        #expect(!record.sealedSecret.contains(subsequence: secret))
        let bytes = try [UInt8](contentsOf: m.fixture.path)
            + ((try? [UInt8](contentsOf: m.fixture.path + "-wal")) ?? [])
        #expect(!bytes.contains(subsequence: secret))
        #expect(!bytes.contains(subsequence: Array(Base32.encode(secret).utf8)))
    }
}

@Suite struct MFAPolicyTests {
    let m: MFAFixture

    init() throws { m = try MFAFixture() }

    @Test func optionalIsTheDefaultAndAsksOnlyEnrolledMembers() throws {
        #expect(try m.control.mfaStatus(tenant: m.tenant, member: m.ann).policy == .optional)
        let root = try m.caller("root")

        #expect(!root.mustEnrolMFA)
        #expect(try m.control.channels(root).count == 1)
        _ = try m.enrol("ann")
        _ = try m.challenge("ann")
    }

    @Test func disabledRefusesEnrolmentAndAsksForNoSecondFactor() throws {
        _ = try m.enrol("ann")
        let admin = try m.caller("root")
        #expect(try m.control.setMFAPolicy(admin, .disabled, now: m.now))

        #expect(throws: ControlError.forbidden("MFA is disabled for this tenant")) {
            try m.control.enrolMFA(admin, now: m.now)
        }
        guard case .signedIn = try m.begin("ann") else {
            Issue.record("a disabled policy still asked ann for a second factor")
            return
        }
        #expect(try m.auditActions().contains("mfa.policy.change"))
    }

    @Test func enforcedLeavesAnUnenrolledMemberNothingButEnrolment() throws {
        let admin = try m.caller("root")
        #expect(try m.control.setMFAPolicy(admin, .enforced, now: m.now))

        let ann = try m.caller("ann")
        #expect(ann.mustEnrolMFA)
        #expect(throws: ControlError.self) { try m.control.channels(ann) }
        #expect(throws: ControlError.self) {
            try m.control.issueJoinToken(ann, channel: m.ops, now: m.now)
        }
        #expect(throws: ControlError.self) {
            try m.control.issueJoinToken(
                tenant: m.tenant, channel: m.ops, member: m.ann, now: m.now, actor: .system)
        }
        // The admin has not enrolled either: they too are held back, even from the policy.
        let held = try m.caller("root")
        #expect(throws: ControlError.self) {
            try m.control.setMFAPolicy(held, .optional, now: m.now)
        }

        let (totp, _) = try m.enrol("ann")
        m.advance(seconds: 30)
        let login = try m.complete(try m.challenge("ann"), code: totp.code(at: m.now))
        let enrolled = try m.control.authenticate(session: login.token.reveal, now: m.now)
        #expect(!enrolled.mustEnrolMFA)
        #expect(try m.control.channels(enrolled).count == 1)
        _ = try m.control.issueJoinToken(enrolled, channel: m.ops, now: m.now)
    }

    @Test func aJoinTokenMintedBeforeEnforcementIsRefusedAtRedeem() throws {
        let token = try m.control.issueJoinToken(
            tenant: m.tenant, channel: m.ops, member: m.ann, now: m.now, actor: .system)
        _ = try m.control.setMFAPolicy(
            tenant: m.tenant, .enforced, actor: .localUser(0), now: m.now)

        #expect(throws: JoinTokenError.memberNotAllowed) {
            try m.control.redeemJoinToken(token.reveal, now: m.now)
        }
    }

    @Test func onlyAnOwnerResetsAnOwnersMFA() throws {
        _ = try m.control.changeRole(tenant: m.tenant, member: m.root, to: .owner, actor: .system)
        _ = try m.control.changeRole(tenant: m.tenant, member: m.ann, to: .admin, actor: .system)
        _ = try m.enrol("root")
        let admin = try m.caller("ann")

        #expect(throws: ControlError.forbidden("only an owner may reset an owner's MFA")) {
            try m.control.resetMFA(admin, member: m.root, now: m.now)
        }
        guard case .secondFactorRequired = try m.begin("root") else {
            Issue.record("the owner's MFA was reset by an admin")
            return
        }
    }

    @Test func anAdminResetEndsTheMembersSessions() throws {
        let (totp, _) = try m.enrol("ann")
        m.advance(seconds: 30)
        let login = try m.complete(try m.challenge("ann"), code: totp.code(at: m.now))
        let admin = try m.caller("root")

        #expect(try m.control.resetMFA(admin, member: m.ann, now: m.now))

        #expect(throws: ControlError.self) {
            try m.control.authenticate(session: login.token.reveal, now: m.now)
        }
    }

    @Test func switchingBackToOptionalReleasesUnenrolledMembers() throws {
        let local = Actor.localUser(0)
        _ = try m.control.setMFAPolicy(tenant: m.tenant, .enforced, actor: local, now: m.now)
        let ann = try m.caller("ann")
        #expect(throws: ControlError.self) { try m.control.channels(ann) }

        _ = try m.control.setMFAPolicy(tenant: m.tenant, .optional, actor: local, now: m.now)
        let again = try m.control.authenticate(session: try sessionToken(m, "ann"), now: m.now)
        #expect(try m.control.channels(again).count == 1)
        #expect(try !m.control.setMFAPolicy(tenant: m.tenant, .optional, actor: local, now: m.now))
    }

    @Test func membersMayNotChangeThePolicyOrResetOthers() throws {
        let ann = try m.caller("ann")
        #expect(throws: ControlError.self) {
            try m.control.setMFAPolicy(ann, .disabled, now: m.now)
        }
        #expect(throws: ControlError.self) {
            try m.control.resetMFA(ann, member: m.root, now: m.now)
        }
    }

    @Test func anAdminResetMakesTheMemberEnrolAgain() throws {
        _ = try m.enrol("ann")
        let admin = try m.caller("root")

        #expect(try m.control.resetMFA(admin, member: m.ann, now: m.now))
        #expect(try m.auditActions().last == "mfa.reset")
        guard case .signedIn = try m.begin("ann") else {
            Issue.record("ann was asked for a second factor after a reset")
            return
        }
        #expect(throws: ControlError.self) {
            try m.control.resetMFA(admin, member: m.root, now: m.now)
        }
        #expect(try !m.control.resetMFA(admin, member: m.ann, now: m.now))
    }

    @Test func enrollingAgainOverAConfirmedFactorIsAConflict() throws {
        _ = try m.enrol("ann")
        let admin = Actor.localUser(0)
        #expect(throws: ControlError.conflict("MFA is already on; an admin must reset it first")) {
            try m.control.enrolMFA(tenant: m.tenant, member: m.ann, actor: admin, now: m.now)
        }
    }

    func sessionToken(_ m: MFAFixture, _ handle: String) throws -> String {
        switch try m.begin(handle) {
        case .signedIn(let result): return result.token.reveal
        case .secondFactorRequired: throw ControlError.badRequest("unexpected challenge")
        }
    }
}

import Control
import Crypto
import Store
import Testing
import Wire

/// A tenant with one signed-in member per role, plus a plain member "pat" to act on.
struct Workspace {
    let fixture: Fixture
    let tenant: TenantID
    let lobby: ChannelID
    var callers: [MemberRole: Caller] = [:]
    static let password = Secret("correct horse battery")

    init(_ fixture: Fixture, slug: String) throws {
        self.fixture = fixture
        let control = fixture.control!
        tenant = try fixture.tenant(slug, channels: ["lobby"], members: ["pat"])
        lobby = try control.channelID(tenant: tenant, name: "lobby")
        for role in MemberRole.allCases {
            let handle = "\(role.rawValue)-\(slug)"
            let id = try control.inviteMember(
                tenant: tenant, handle: handle, role: role, actor: .system)
            try control.assign(member: id, channel: lobby, in: tenant, actor: .system)
            let invitation = try control.issueInvitation(
                tenant: tenant, member: id, now: fixture.nowMs, actor: .system)
            _ = try control.acceptInvitation(
                invitation.reveal, password: Self.password, now: fixture.nowMs)
            let login = try control.login(
                tenant: slug, handle: handle, password: Self.password, ip: "192.0.2.7",
                now: fixture.nowMs)
            callers[role] = try control.authenticate(
                session: login.token.reveal, now: fixture.nowMs)
        }
    }
}

@Suite struct RoleTests {
    /// In the order they run: destructive actions last, so earlier ones find their targets.
    enum Action: CaseIterable {
        case listChannels, createChannel, renameChannel, inviteMember, assign, setRole,
            joinOwnChannel, readAudit, deleteChannel, removeMember
    }

    static let allowed: [MemberRole: Set<Action>] = [
        .owner: Set(Action.allCases),
        .admin: Set(Action.allCases),
        .member: [.listChannels, .joinOwnChannel],
        .auditor: [.listChannels, .readAudit],
    ]

    @Test(arguments: MemberRole.allCases)
    func eachRoleMayDoExactlyWhatItsPermissionsAllow(role: MemberRole) throws {
        let fixture = try Fixture()
        let control = fixture.control!
        let workspace = try Workspace(fixture, slug: "acme")
        let caller = try #require(workspace.callers[role])
        let tenant = workspace.tenant
        let spare = try control.createChannel(tenant: tenant, name: "spare", actor: .system)
        let pat = try control.memberID(tenant: tenant, handle: "pat")
        let now = fixture.nowMs

        for action in Action.allCases {
            let run: () throws -> Void
            switch action {
            case .listChannels: run = { _ = try control.channels(caller) }
            case .createChannel: run = { _ = try control.createChannel(caller, name: "new") }
            case .renameChannel:
                run = { try control.renameChannel(caller, channel: workspace.lobby, to: "hall") }
            case .deleteChannel: run = { try control.deleteChannel(caller, channel: spare) }
            case .inviteMember:
                run = { _ = try control.inviteMember(
                    caller, handle: "newbie", email: nil, role: .member, now: now) }
            case .assign:
                run = { _ = try control.assign(caller, member: pat, channel: spare) }
            case .removeMember: run = { _ = try control.removeMember(caller, member: pat) }
            case .setRole: run = { _ = try control.setRole(caller, member: pat, to: .auditor) }
            case .joinOwnChannel:
                run = { _ = try control.issueJoinToken(caller, channel: workspace.lobby, now: now) }
            case .readAudit: run = { _ = try control.auditEvents(caller) }
            }
            do {
                try run()
                #expect(Self.allowed[role]!.contains(action), "\(role) did \(action)")
            } catch let error as ControlError {
                #expect(!Self.allowed[role]!.contains(action), "\(role) \(action): \(error)")
                #expect(error.status == 403, "\(role) \(action): \(error)")
            } catch JoinTokenError.memberNotAllowed {
                // Only possible after the spare channel or assignments changed under us.
                Issue.record("\(role) \(action): member not allowed")
            }
        }
    }

    @Test func onlyAnOwnerGrantsOrTouchesOwnerAndNobodyActsOnThemselves() throws {
        let fixture = try Fixture()
        let control = fixture.control!
        let workspace = try Workspace(fixture, slug: "acme")
        let owner = try #require(workspace.callers[.owner])
        let admin = try #require(workspace.callers[.admin])
        let pat = try control.memberID(tenant: workspace.tenant, handle: "pat")

        #expect(throws: ControlError.self) { try control.setRole(admin, member: pat, to: .owner) }
        #expect(throws: ControlError.self) {
            try control.setRole(admin, member: owner.member, to: .member)
        }
        #expect(throws: ControlError.self) { try control.removeMember(admin, member: owner.member) }
        #expect(throws: ControlError.self) { try control.removeMember(owner, member: owner.member) }
        #expect(throws: ControlError.self) {
            try control.setRole(admin, member: admin.member, to: .owner)
        }
        #expect(try control.setRole(owner, member: pat, to: .owner))
    }
}

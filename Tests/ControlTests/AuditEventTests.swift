import Control
import Crypto
import Foundation
import Store
import Testing
import Wire

/// Each change path writes the right kind of audit event with every field.
@Suite struct AuditEventTests {
    let fixture: Fixture
    let control: ControlPlane

    init() throws {
        fixture = try Fixture()
        control = fixture.control
        try fixture.sealAudit()
    }

    func last(_ tenant: TenantID) throws -> AuditRecord {
        try #require(try fixture.auditLog(tenant).last)
    }

    func expect(
        _ record: AuditRecord, _ action: AuditAction, actor: String, target: String,
        ip: String? = nil, requestID: String? = nil, metadata: [String: String] = [:]
    ) throws {
        #expect(record.entry.action == action.rawValue)
        #expect(record.entry.actor == actor)
        #expect(record.entry.target == target)
        #expect(record.entry.atMs == fixture.nowMs)
        #expect(record.entry.ip == ip)
        #expect(record.entry.requestID == requestID)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(record.entry.metadataJSON.utf8))
                as? [String: Any])
        for (key, value) in metadata { #expect("\(object[key] ?? "<none>")" == value) }
        #expect(record.bodyHash.count == 32 && record.entryHash.count == 32)
    }

    @Test func everyChangePathWritesItsKindWithActorTargetTimeIPRequestAndMetadata() throws {
        let admin = Actor.localUser(0, requestID: "adm-1")
        let tenant = try control.createTenant(slug: "acme", name: "Acme", actor: admin)
        try expect(last(tenant), .tenantCreate, actor: "uid:0", target: "tenant:\(tenant.rawValue)",
                   requestID: "adm-1", metadata: ["slug": "acme"])
        fixture.nowMs += 1
        let channel = try control.createChannel(tenant: tenant, name: "ops", actor: admin)
        try expect(last(tenant), .channelCreate, actor: "uid:0",
                   target: "channel:\(channel.rawValue)", requestID: "adm-1",
                   metadata: ["name": "ops"])
        let ann = try control.inviteMember(
            tenant: tenant, handle: "ann", role: .owner, actor: admin)
        try expect(last(tenant), .memberInvite, actor: "uid:0", target: "member:\(ann.rawValue)",
                   requestID: "adm-1", metadata: ["handle": "ann", "role": "owner"])
        let invitation = try control.issueInvitation(
            tenant: tenant, member: ann, now: fixture.nowMs, actor: admin)
        try expect(last(tenant), .memberInvitation, actor: "uid:0",
                   target: "member:\(ann.rawValue)", requestID: "adm-1")
        _ = try control.acceptInvitation(
            invitation.reveal, password: Secret("correct horse battery"), now: fixture.nowMs)
        try expect(last(tenant), .memberAccept, actor: "member:\(ann.rawValue)",
                   target: "member:\(ann.rawValue)")

        #expect(throws: ControlError.self) {
            try control.login(tenant: "acme", handle: "ann", password: Secret("wrong password"),
                              ip: "192.0.2.7", now: fixture.nowMs, requestID: "req-1")
        }
        try expect(last(tenant), .loginFailure, actor: "member:\(ann.rawValue)",
                   target: "member:\(ann.rawValue)", ip: "192.0.2.7", requestID: "req-1")
        let login = try control.login(
            tenant: "acme", handle: "ann", password: Secret("correct horse battery"),
            ip: "192.0.2.7", now: fixture.nowMs, requestID: "req-2")
        try expect(last(tenant), .login, actor: "member:\(ann.rawValue)",
                   target: "member:\(ann.rawValue)", ip: "192.0.2.7", requestID: "req-2")
        let caller = try control.authenticate(
            session: login.token.reveal, now: fixture.nowMs, ip: "192.0.2.7", requestID: "req-3")

        try control.renameChannel(caller, channel: channel, to: "ops2")
        try expect(last(tenant), .channelRename, actor: "member:\(ann.rawValue)",
                   target: "channel:\(channel.rawValue)", ip: "192.0.2.7", requestID: "req-3",
                   metadata: ["from": "ops", "to": "ops2"])
        let (bob, _) = try control.inviteMember(
            caller, handle: "bob", email: "bob@example.com", role: .member, now: fixture.nowMs)
        #expect(!(try last(tenant)).entry.metadataJSON.contains("example.com"))
        _ = try control.assign(caller, member: bob.id, channel: channel)
        try expect(last(tenant), .channelAssign, actor: "member:\(ann.rawValue)",
                   target: "member:\(bob.id.rawValue)", ip: "192.0.2.7", requestID: "req-3",
                   metadata: ["channel": "\(channel.rawValue)"])
        _ = try control.setRole(caller, member: bob.id, to: .auditor)
        try expect(last(tenant), .memberRole, actor: "member:\(ann.rawValue)",
                   target: "member:\(bob.id.rawValue)", ip: "192.0.2.7", requestID: "req-3",
                   metadata: ["from": "member", "to": "auditor"])
        _ = try control.setRole(caller, member: bob.id, to: .member)

        let token = try control.issueJoinToken(
            tenant: tenant, channel: channel, member: bob.id, now: fixture.nowMs, actor: admin)
        try expect(last(tenant), .joinTokenIssue, actor: "uid:0",
                   target: "member:\(bob.id.rawValue)",
                   requestID: "adm-1", metadata: ["channel": "\(channel.rawValue)"])
        _ = try control.redeemJoinToken(
            token.reveal, now: fixture.nowMs, ip: "198.51.100.4", requestID: "req-4")
        try expect(last(tenant), .joinTokenRedeem, actor: "member:\(bob.id.rawValue)",
                   target: "channel:\(channel.rawValue)", ip: "198.51.100.4", requestID: "req-4")
        _ = try control.unassign(caller, member: bob.id, channel: channel)
        try expect(last(tenant), .channelUnassign, actor: "member:\(ann.rawValue)",
                   target: "member:\(bob.id.rawValue)", ip: "192.0.2.7", requestID: "req-3")
        _ = try control.removeMember(caller, member: bob.id)
        try expect(last(tenant), .memberRemove, actor: "member:\(ann.rawValue)",
                   target: "member:\(bob.id.rawValue)", ip: "192.0.2.7", requestID: "req-3",
                   metadata: ["handle": "bob"])
        try control.deleteChannel(caller, channel: channel)
        try expect(last(tenant), .channelDelete, actor: "member:\(ann.rawValue)",
                   target: "channel:\(channel.rawValue)", ip: "192.0.2.7", requestID: "req-3",
                   metadata: ["name": "ops2"])
        try control.logout(
            session: login.token.reveal, now: fixture.nowMs, ip: "192.0.2.8",
            requestID: "req-5")
        try expect(last(tenant), .logout, actor: "member:\(ann.rawValue)",
                   target: "member:\(ann.rawValue)", ip: "192.0.2.8", requestID: "req-5")

        let log = try fixture.auditLog(tenant)
        #expect(log.map(\.seq) == Array(1...Int64(log.count)))
        let text = log.map { "\($0.entry)" }.joined()
        for secret in ["correct horse battery", "wrong password", token.reveal,
                       login.token.reveal, invitation.reveal] {
            #expect(!text.contains(secret))
        }
    }

    @Test func subsystemsWithoutAFeatureHereRecordTheirKindsThroughThePublicAPI() throws {
        let tenant = try control.createTenant(slug: "acme", name: "Acme", actor: .system)
        let kinds: [AuditAction] = [
            .addonInstall, .addonConfigure, .addonRemove, .billingChange, .subscriptionChange,
            .ssoConfigure, .mfaConfigure, .mfaEnroll, .mfaReset, .recordingAccess,
            .transcriptionAccess, .settingsChange,
        ]
        let actor = Actor(.member(tenant, MemberID(9)), ip: "203.0.113.9", requestID: "r-9")
        for kind in kinds {
            fixture.nowMs += 1
            let seq = try control.recordAuditEvent(
                tenant: tenant, actor: actor, action: kind, target: "thing:1",
                metadata: ["detail": kind.rawValue])
            let record = try last(tenant)
            #expect(record.seq == seq)
            try expect(record, kind, actor: "member:9", target: "thing:1", ip: "203.0.113.9",
                       requestID: "r-9", metadata: ["detail": kind.rawValue])
        }
        #expect(throws: ControlError.self) {
            try control.recordAuditEvent(
                tenant: tenant, actor: actor, action: .ssoConfigure, target: "sso",
                metadata: ["client_secret": "s3cr3t"])
        }
    }

    @Test func checkpointIsSignedEveryNEntriesAndAppendedToTheFile() throws {
        let key = try fixture.sealAudit(every: 5)
        let tenant = try fixture.tenant("acme", channels: ["a", "b"], members: ["x", "y"])
        // 1 tenant + 2 channels + 2 × (invite + 2 assigns) = 9 entries: one checkpoint at 5.
        let stored = try control.store.read { try $0.auditCheckpoints(TenantScope(tenant)) }
        #expect(stored.map(\.seq) == [5])
        let file = try ControlPlane.readCheckpointFile(fixture.directory + "/checkpoints.log")
        #expect(file == stored)
        #expect(key.verify(stored[0].signature, of: stored[0].message))
        #expect(try fixture.auditLog(tenant)[4].entryHash == stored[0].entryHash)
    }
}

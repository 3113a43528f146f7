import Foundation
import Control
import Recording
import Store
import Testing
import Wire

@Suite struct RecordingAccessTests {
    @Test func membersAndAuditorsAreRefusedAndTheRefusalIsAudited() throws {
        let fixture = try RecordingFixture()
        let record = try fixture.record()
        for role in [MemberRole.member, .auditor] {
            let caller = try signIn(fixture, role: role)
            let principal = RecordingService.Principal.member(caller)
            #expect(throws: ControlError.self) { try fixture.service.list(principal) }
            #expect(throws: ControlError.self) {
                try fixture.service.exportWAV(principal, recording: record.id)
            }
            #expect(throws: ControlError.self) {
                try fixture.service.download(principal, recording: record.id)
            }
            #expect(throws: ControlError.self) {
                try fixture.service.transcript(principal, recording: record.id)
            }
            #expect(throws: ControlError.self) {
                try fixture.service.update(principal, channel: fixture.channel, enabled: true)
            }
            let refused = try fixture.audit().filter {
                $0.entry.action == "recording.access" && $0.entry.actor == caller.actor.description
            }
            #expect(refused.count == 5)
            #expect(refused.allSatisfy { $0.entry.metadataJSON.contains(#""outcome":"refused""#) })
        }
    }

    @Test func everyAllowedAccessIsAuditedWithWhoWhichAndWhere() throws {
        let fixture = try RecordingFixture()
        let record = try fixture.record()
        let admin = RecordingService.Principal.member(try signIn(fixture, role: .admin))
        let before = try fixture.audit().count

        _ = try fixture.service.list(admin)
        _ = try fixture.service.download(admin, recording: record.id)
        _ = try fixture.service.exportWAV(admin, recording: record.id)
        try fixture.service.attachTranscript(admin, recording: record.id, text: "hello there")
        #expect(try fixture.service.transcript(admin, recording: record.id) == "hello there")

        let events = Array(try fixture.audit().dropFirst(before))
        #expect(events.count == 5)
        // Audio access is "recording.access"; transcript access "transcription.access".
        #expect(events.map(\.entry.action) == [
            "recording.access", "recording.access", "recording.access",
            "transcription.access", "transcription.access",
        ])
        #expect(events.allSatisfy {
            $0.entry.ip == "192.0.2.9"
                && $0.entry.actor.hasPrefix("member:")
                && $0.entry.metadataJSON.contains(#""outcome":"allowed""#)
        })
        #expect(events.dropFirst().allSatisfy { $0.entry.target == "recording:\(record.id)" })
        let operations = events.map { event in
            ["list", "download", "export.wav", "transcript.attach", "transcript.read"].first {
                event.entry.metadataJSON.contains(#""operation":"\#($0)""#)
            }
        }
        #expect(operations == ["list", "download", "export.wav", "transcript.attach",
                               "transcript.read"])
    }

    @Test func anotherTenantsRecordingIsNotFound() throws {
        let fixture = try RecordingFixture()
        let record = try fixture.record()
        let other = try fixture.control.createTenant(slug: "other", name: "Other", actor: .system)
        let principal = RecordingService.Principal.admin(tenant: other, actor: .localUser(0))
        #expect(throws: ControlError.notFound("recording \(record.id) not found")) {
            try fixture.service.exportWAV(principal, recording: record.id)
        }
    }

    @Test func recordingIsOffByDefaultAndEachSettingIsAudited() throws {
        let fixture = try RecordingFixture()
        let settings = try fixture.service.settings(fixture.admin, channel: fixture.channel)
        #expect(!settings.enabled && settings.retentionDays == 30)
        try fixture.service.update(fixture.admin, channel: fixture.channel, enabled: true,
                                   retention: .days(7))
        try fixture.service.update(fixture.admin, channel: fixture.channel, retention: .keep)
        let changes = try fixture.audit().filter { $0.entry.action == "recording.settings" }
        #expect(changes.count == 2)
        #expect(changes[0].entry.metadataJSON.contains(#""enabled":true"#))
        #expect(changes[1].entry.metadataJSON.contains(#""retention_days":"keep""#))
        #expect(throws: ControlError.self) {
            try fixture.service.update(fixture.admin, channel: fixture.channel,
                                       retention: .days(0))
        }
    }
}

@Suite struct DamagedRecordingTests {
    @Test func aDamagedFileIsNamedAuditedAsFailedAndLeavesTheOthersReadable() throws {
        let fixture = try RecordingFixture()
        let damaged = try fixture.record()
        let intact = try fixture.record()
        try #require(damaged.id != intact.id)
        let path = fixture.directory + "/" + damaged.path
        var bytes = try fixture.fileBytes(damaged)
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let before = try fixture.audit().count

        let error = #expect(throws: ControlError.self) {
            try fixture.service.exportWAV(fixture.admin, recording: damaged.id)
        }
        guard case .damaged(let message)? = error else {
            Issue.record("want .damaged, got \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix("recording \(damaged.id) cannot be read: chunk"), "\(message)")
        #expect(message.contains("failed authentication"), "\(message)")
        let events = Array(try fixture.audit().dropFirst(before))
        #expect(events.map(\.entry.action) == ["recording.access", "recording.access"])
        #expect(events.first?.entry.metadataJSON.contains(#""outcome":"allowed""#) == true)
        #expect(events.last?.entry.metadataJSON.contains(#""outcome":"failed""#) == true)
        #expect(events.last?.entry.metadataJSON.contains("failed authentication") == true)

        #expect(!(try fixture.service.exportWAV(fixture.admin, recording: intact.id).wav.isEmpty))
    }

    @Test func aMissingFileIsNamedToo() throws {
        let fixture = try RecordingFixture()
        let record = try fixture.record()
        try FileManager.default.removeItem(atPath: fixture.directory + "/" + record.path)

        let error = #expect(throws: ControlError.self) {
            try fixture.service.download(fixture.admin, recording: record.id)
        }
        #expect(error?.status == 500)
        #expect(error?.description.hasPrefix("recording \(record.id) cannot be read") == true)
    }

    @Test func aProbeForARecordingThatIsNotThereIsAuditedInTheCallersLog() throws {
        let fixture = try RecordingFixture()
        let before = try fixture.audit().count

        #expect(throws: ControlError.notFound("recording 99 not found")) {
            try fixture.service.exportWAV(fixture.admin, recording: 99)
        }
        #expect(throws: ControlError.notFound("recording 99 has no transcript")) {
            try fixture.service.transcript(fixture.admin, recording: 99)
        }
        let events = Array(try fixture.audit().dropFirst(before))
        #expect(events.map(\.entry.action) == ["recording.access", "transcription.access"])
        #expect(events.allSatisfy {
            $0.entry.target == "recording:99"
                && $0.entry.metadataJSON.contains(#""outcome":"not_found""#)
        })
    }

    @Test func aDamagedTranscriptIsNamedAndAuditedAsFailedWithoutServerPaths() throws {
        let fixture = try RecordingFixture()
        let record = try fixture.record()
        try fixture.service.attachTranscript(fixture.admin, recording: record.id, text: "hi")
        let transcript = try #require(try fixture.control.store.read {
            try $0.transcript(TenantScope(fixture.tenant), recording: record.id)
        })
        try FileManager.default.removeItem(atPath: fixture.directory + "/" + transcript.path)
        let before = try fixture.audit().count

        let error = #expect(throws: ControlError.self) {
            try fixture.service.transcript(fixture.admin, recording: record.id)
        }
        #expect(error?.description
            == "recording \(record.id) cannot be read: the file is missing or cannot be read")
        let events = Array(try fixture.audit().dropFirst(before))
        #expect(events.count == 2)
        #expect(events.last?.entry.metadataJSON.contains(#""outcome":"failed""#) == true)
        #expect(events.last?.entry.metadataJSON.contains(fixture.directory) == false)
    }
}

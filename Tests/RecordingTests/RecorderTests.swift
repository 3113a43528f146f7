import Control
import Crypto
import Foundation
import Recording
import Store
import Synchronization
import Testing
import Wire

@Suite struct RecorderTests {
    @Test func aRecordedCallExportsEachSpeakerAtItsTime() throws {
        let fixture = try RecordingFixture()
        try fixture.service.update(fixture.admin, channel: fixture.channel, enabled: true)
        let tap = fixture.writer.tap(tenant: fixture.tenant, channel: fixture.channel)
        let start = fixture.monoMs
        // Speaker 1: 440 Hz for 2 s from 0. Speaker 2: 660 Hz for 0.6 s from 1.0 s, with
        // a 0.4 s gap in its RTP clock after 0.2 s (kept as silence).
        fixture.speak(ToneEncoder(frequency: 440), as: MemberID(1), into: tap, count: 100,
                      startMs: start)
        let high = ToneEncoder(frequency: 660)
        fixture.speak(high, as: MemberID(2), into: tap, count: 10, startMs: start + 1_000,
                      timestamp: 5_000)
        fixture.speak(high, as: MemberID(2), into: tap, count: 20, startMs: start + 1_600,
                      timestamp: 5_000 + 30 * 960)
        fixture.monoMs += 2_000
        fixture.writer.runOnce()
        try fixture.service.update(fixture.admin, channel: fixture.channel, enabled: false)
        fixture.writer.runOnce()

        let record = try requireRecord(fixture.service.list(fixture.admin).first)
        #expect(record.complete && record.durationMs == 2_000)
        let pcm = wavSamples(try fixture.service.exportWAV(fixture.admin, recording: record.id).wav)
        #expect(pcm.count == 2 * 48_000)
        func share(_ from: Double, _ to: Double, _ hz: Double) -> Double {
            toneShare(pcm, Int(from * 48_000)..<Int(to * 48_000), frequency: hz)
        }
        #expect(share(0.1, 0.95, 440) > 0.8 && share(0.1, 0.95, 660) < 0.05)
        #expect(share(1.02, 1.18, 660) > 0.25 && share(1.02, 1.18, 440) > 0.25)
        #expect(share(1.25, 1.55, 660) < 0.05)
        #expect(share(1.65, 1.95, 660) > 0.25)

        let bytes = try fixture.fileBytes(record)
        #expect(!bytes.contains(subsequence: Array("OggS".utf8)))
        #expect(!bytes.contains(subsequence: Array("OpusHead".utf8)))
        #expect(!bytes.contains(subsequence: Array("OpusTags".utf8)))
        let ogg = try fixture.service.download(fixture.admin, recording: record.id).ogg
        #expect(ogg.contains(subsequence: Array("OpusHead".utf8)))
    }

    @Test func filesAreOwnerOnlyUnderTenantAndChannel() throws {
        let fixture = try RecordingFixture()
        let record = try fixture.record()
        #expect(record.path.hasPrefix("recordings/\(fixture.tenant.rawValue)/"
            + "\(fixture.channel.rawValue)/"))
        let file = fixture.directory + "/" + record.path
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions]
        #expect(mode as? Int == 0o600)
        let directory = (file as NSString).deletingLastPathComponent
        let dirMode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions]
        #expect(dirMode as? Int == 0o700)
        let master = try FileManager.default.attributesOfItem(
            atPath: fixture.directory + "/keys/master.key")[.posixPermissions]
        #expect(master as? Int == 0o600)
    }

    @Test func aRecordingCutByACrashOpensUpToItsLastChunk() throws {
        let fixture = try RecordingFixture { $0.chunkIntervalMs = 100 }
        try fixture.service.update(fixture.admin, channel: fixture.channel, enabled: true)
        let tap = fixture.writer.tap(tenant: fixture.tenant, channel: fixture.channel)
        let tone = ToneEncoder(frequency: 440)
        for step in 0..<5 {
            fixture.speak(tone, as: MemberID(1), into: tap, count: 10,
                          startMs: fixture.monoMs, timestamp: UInt32(step * 10 * 960))
            fixture.monoMs += 200
            fixture.writer.runOnce()
        }
        // The writer "dies" here: no final chunk. A restart marks it ended, incomplete.
        try fixture.service.recoverAfterRestart()
        let record = try requireRecord(fixture.service.list(fixture.admin).first)
        #expect(!record.complete)
        let pcm = wavSamples(try fixture.service.exportWAV(fixture.admin, recording: record.id).wav)
        // Every frame but the one held back for end-of-stream was sealed.
        #expect(pcm.count == 49 * 960)
    }

    @Test func retentionDeletesWhatExpiredForGoodAndKeepsTheRest() throws {
        let fixture = try RecordingFixture()
        let kept = try fixture.control.createChannel(
            tenant: fixture.tenant, name: "board", actor: .system)
        try fixture.service.update(fixture.admin, channel: fixture.channel, retention: .days(1))
        try fixture.service.update(fixture.admin, channel: kept, retention: .keep)
        let expiring = try fixture.record()
        let keeping = try fixture.record(channel: kept)
        try fixture.service.attachTranscript(fixture.admin, recording: expiring.id, text: "hi")
        let copy = try fixture.fileBytes(expiring)
        let transcriptPath = try #require(try fixture.control.store.read {
            try $0.transcript(TenantScope(fixture.tenant), recording: expiring.id)
        }).path

        // A day from when the recording started (its first audio), to the ms.
        fixture.nowMs = expiring.startedAtMs + 86_400_000 - 1
        #expect(try fixture.service.runRetention() == 0)
        fixture.nowMs += 1
        #expect(try fixture.service.runRetention() == 1)

        let left = try fixture.service.list(fixture.admin).map(\.id)
        #expect(left == [keeping.id])
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/" + expiring.path))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/" + transcriptPath))
        #expect(FileManager.default.fileExists(atPath: fixture.directory + "/" + keeping.path))
        let deletions = try fixture.audit().filter { $0.entry.action == "recording.delete" }
        #expect(deletions.map(\.entry.target) == ["recording:\(expiring.id)"])
        #expect(deletions.first?.entry.actor == "system")

        // The copy taken before: no wrapped key left in the database opens it.
        let wrappedKeys = try fixture.control.store.read {
            try $0.recordings(TenantScope(fixture.tenant)).map(\.wrappedKey)
        }
        let fileID = Hex.encode(try SealedFileReader.fileID(copy))
        #expect(!wrappedKeys.contains(expiring.wrappedKey))
        for wrapped in wrappedKeys {
            #expect(throws: (any Error).self) {
                let key = try fixture.keys.unwrapFileKey(
                    wrapped, tenant: fixture.tenant, fileID: fileID, nowMs: 0)
                _ = try SealedFileReader.open(copy, key: key, kind: .audio)
            }
        }
        let database = try [UInt8](contentsOf: fixture.directory + "/whoot.db")
        #expect(!database.contains(subsequence: expiring.wrappedKey))
    }

    @Test func deletingAChannelDeletesItsRecordingsAudited() throws {
        let fixture = try RecordingFixture()
        let record = try fixture.record()
        let owner = try signIn(fixture, role: .owner)
        try fixture.control.deleteChannel(owner, channel: fixture.channel)
        #expect(try fixture.service.list(fixture.admin).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/" + record.path))
        let deletion = try #require(try fixture.audit().last {
            $0.entry.action == "recording.delete"
        })
        #expect(deletion.entry.metadataJSON.contains("channel deleted"))
    }

    @Test func aSlowWriterDropsAndCountsWhileTheProducerNeverWaits() throws {
        let fixture = try RecordingFixture { $0.tapCapacity = 16 }
        try fixture.service.update(fixture.admin, channel: fixture.channel, enabled: true)
        let tap = fixture.writer.tap(tenant: fixture.tenant, channel: fixture.channel)
        // The writer does not run at all while 100 frames arrive: the disk is "stuck".
        fixture.speak(ToneEncoder(frequency: 440), as: MemberID(1), into: tap, count: 100,
                      startMs: fixture.monoMs)
        #expect(tap.pushedCount == 16)
        #expect(tap.droppedCount == 84)
        fixture.writer.runOnce()
        #expect(tap.queued == 0)
    }
}

/// A signed-in caller of `role` in the fixture's tenant.
func signIn(_ fixture: RecordingFixture, role: MemberRole, handle: String? = nil) throws
    -> Caller
{
    let handle = handle ?? role.rawValue
    let member = try fixture.control.inviteMember(
        tenant: fixture.tenant, handle: handle, role: role, actor: .system)
    let invitation = try fixture.control.issueInvitation(
        tenant: fixture.tenant, member: member, now: fixture.nowMs, actor: .system)
    let password = Secret("a long enough passphrase")
    _ = try fixture.control.acceptInvitation(invitation.reveal, password: password,
                                             now: fixture.nowMs)
    let login = try fixture.control.login(
        tenant: "acme", handle: handle, password: password, ip: "192.0.2.9", now: fixture.nowMs)
    return try fixture.control.authenticate(
        session: login.token.reveal, now: fixture.nowMs, ip: "192.0.2.9", requestID: "req-1")
}

/// Recording turned on for the fixture's channel, and one member talking into its tap
/// with a writer turn every 20 ms frame.
private final class Speaker {
    let fixture: RecordingFixture
    let tap: RecordingTap
    let tone = ToneEncoder(frequency: 440)
    var frames: UInt32 = 0

    init(_ fixture: RecordingFixture) throws {
        self.fixture = fixture
        try fixture.service.update(fixture.admin, channel: fixture.channel, enabled: true)
        tap = fixture.writer.tap(tenant: fixture.tenant, channel: fixture.channel)
    }

    func talk(seconds: Int) {
        for _ in 0..<(seconds * 50) {
            fixture.speak(tone, as: MemberID(1), into: tap, count: 1,
                          startMs: fixture.monoMs, timestamp: frames * 960)
            fixture.writer.runOnce()
            fixture.monoMs += 20
            frames += 1
        }
    }
}

@Suite struct WriteFailureTests {
    /// A disk that refuses writes (here: a file where the recordings directory belongs) is
    /// retried 1, 2, 4, 8 … s apart, never every 20 ms turn, and recording resumes once
    /// the disk takes writes again.
    @Test func aFailingDiskIsRetriedAfterGrowingPausesThenRecordingResumes() throws {
        let fixture = try RecordingFixture()
        let blocker = fixture.directory + "/recordings"
        try? FileManager.default.removeItem(atPath: blocker)
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data()))
        let speaker = try Speaker(fixture)
        func talk(seconds: Int) { speaker.talk(seconds: seconds) }

        talk(seconds: 10)
        // Attempts at 0, 1, 3 and 7 s; the next waits until 15 s.
        #expect(fixture.writer.errorCount == 4)

        try FileManager.default.removeItem(atPath: blocker)
        talk(seconds: 6)
        #expect(fixture.writer.errorCount == 4)
        try fixture.service.update(fixture.admin, channel: fixture.channel, enabled: false)
        fixture.writer.runOnce()
        let record = try requireRecord(try fixture.service.list(fixture.admin).first)
        #expect(record.complete)
        #expect((record.durationMs ?? 0) >= 500, "\(String(describing: record.durationMs))")
        // Its audio waited in the tap (1,024 frames, 20 s) from the first failure at 0 s
        // until the disk took it at 15 s: the recording starts when that audio arrived.
        let waited = fixture.nowMs - record.startedAtMs
        #expect((14_000...16_000).contains(waited), "started \(waited) ms before now")
    }

    /// A write failing mid-recording drops that file: its row is marked ended at once
    /// (incomplete, duration unknown) rather than left recording until a restart, and the
    /// audio before the failure still opens.
    @Test func aFileDroppedMidRecordingIsMarkedEndedAndOpensUpToItsLastChunk() throws {
        let failing = Mutex(false)
        let fixture = try RecordingFixture { configuration in
            configuration.beforeWrite = {
                if failing.withLock({ $0 }) { throw RecordingError.io("disk full (test)") }
            }
        }
        let speaker = try Speaker(fixture)
        func talk(seconds: Int) { speaker.talk(seconds: seconds) }

        talk(seconds: 3)
        failing.withLock { $0 = true }
        talk(seconds: 2)
        #expect(fixture.writer.errorCount == 2, "at the failure, then 1 s later")
        let dropped = try requireRecord(try fixture.service.list(fixture.admin).first)
        #expect(dropped.endedAtMs != nil, "the dropped file's row is ended at once")
        #expect(!dropped.complete)
        #expect(dropped.durationMs == -1)
        let pcm = wavSamples(
            try fixture.service.exportWAV(fixture.admin, recording: dropped.id).wav)
        #expect(pcm.count >= 2 * 48_000, "the chunks written before the failure open")
    }
}

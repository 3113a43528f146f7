import COpus
import Control
import Crypto
import Foundation
import Recording
import Store
import Wire

/// Encodes 20 ms mono frames of a sine tone with libopus, for feeding taps.
final class ToneEncoder {
    private let encoder: OpaquePointer
    private var phase = 0.0
    let frequency: Double

    init(frequency: Double) {
        var error: Int32 = 0
        encoder = opus_encoder_create(48_000, 1, OPUS_APPLICATION_AUDIO, &error)!
        self.frequency = frequency
    }

    deinit { opus_encoder_destroy(encoder) }

    func nextFrame() -> [UInt8] {
        var pcm = [Int16](repeating: 0, count: 960)
        for index in pcm.indices {
            pcm[index] = Int16(8_000 * sin(phase))
            phase += 2 * Double.pi * frequency / 48_000
        }
        var out = [UInt8](repeating: 0, count: 1_275)
        let count = opus_encode(encoder, pcm, 960, &out, 1_275)
        return Array(out[0..<Int(count)])
    }
}

/// A recording service over a fresh database and state directory, with manual wall and
/// monotonic clocks and a writer driven by `runOnce` (no thread).
final class RecordingFixture {
    let directory: String
    var nowMs: Int64 = 1_700_000_000_000
    var monoMs: UInt64 = 10_000
    let control: ControlPlane
    let keys: RecordingKeys
    let writer: RecordingWriter
    let service: RecordingService
    let tenant: TenantID
    let channel: ChannelID

    init(configure: (inout RecordingWriter.Configuration) -> Void = { _ in }) throws {
        directory = NSTemporaryDirectory() + "whoot-rec-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        let box = ClockBox()
        control = ControlPlane(store: try Store(path: directory + "/whoot.db"),
                               clock: { box.fixture?.nowMs ?? 0 })
        keys = RecordingKeys(
            master: try RecordingKeys.loadMasterKey(stateDirectory: directory, environment: [:]),
            store: control.store)
        var configuration = RecordingWriter.Configuration(stateDirectory: directory)
        configure(&configuration)
        writer = RecordingWriter(
            configuration: configuration, store: control.store, keys: keys,
            wallClock: { box.fixture?.nowMs ?? 0 }, monotonic: { box.fixture?.monoMs ?? 0 })
        service = RecordingService(
            control: control, keys: keys, writer: writer, stateDirectory: directory,
            clock: { box.fixture?.nowMs ?? 0 })
        tenant = try control.createTenant(slug: "acme", name: "Acme", actor: .system)
        channel = try control.createChannel(tenant: tenant, name: "ops", actor: .system)
        box.fixture = self
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var admin: RecordingService.Principal { .admin(tenant: tenant, actor: .localUser(0)) }

    /// Pushes `count` frames of `tone` for `speaker`, starting at monotonic `startMs`,
    /// 20 ms apart, with RTP timestamps from `timestamp`.
    func speak(
        _ tone: ToneEncoder, as speaker: MemberID, into tap: RecordingTap, count: Int,
        startMs: UInt64, timestamp: UInt32 = 12_345
    ) {
        for index in 0..<count {
            let frame = tone.nextFrame()
            frame.withUnsafeBytes { payload in
                _ = tap.push(
                    speaker: speaker, timestamp: timestamp &+ UInt32(index * 960),
                    arrivalMs: startMs + UInt64(index * 20), payload: payload)
            }
        }
    }

    /// Records one finished recording on `channel` and returns it.
    func record(channel: ChannelID? = nil, seconds: Int = 1) throws -> RecordingRecord {
        let channel = channel ?? self.channel
        try service.update(admin, channel: channel, enabled: true)
        let tap = writer.tap(tenant: tenant, channel: channel)
        speak(ToneEncoder(frequency: 440), as: MemberID(1), into: tap, count: seconds * 50,
              startMs: monoMs)
        monoMs += UInt64(seconds * 1_000)
        writer.runOnce()
        try service.update(admin, channel: channel, enabled: false)
        writer.runOnce()
        return try requireRecord(service.list(admin, channel: channel).first)
    }

    func audit() throws -> [AuditRecord] {
        try control.store.read { try $0.auditEvents(TenantScope(tenant)) }
    }

    func fileBytes(_ record: RecordingRecord) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + record.path)))
    }
}

private final class ClockBox: @unchecked Sendable {
    weak var fixture: RecordingFixture?
}

struct MissingRecord: Error {}

func requireRecord(_ record: RecordingRecord?) throws -> RecordingRecord {
    guard let record else { throw MissingRecord() }
    return record
}

/// Energy of `frequency` in `pcm[range]` relative to the total (Goertzel).
func toneShare(_ pcm: [Int16], _ range: Range<Int>, frequency: Double) -> Double {
    let coefficient = 2 * cos(2 * Double.pi * frequency / 48_000)
    var previous = 0.0, beforePrevious = 0.0, total = 0.0
    for index in range {
        let sample = Double(pcm[index])
        total += sample * sample
        let current = sample + coefficient * previous - beforePrevious
        beforePrevious = previous
        previous = current
    }
    let power = previous * previous + beforePrevious * beforePrevious
        - coefficient * previous * beforePrevious
    guard total > 0 else { return 0 }
    return power / (total * Double(range.count) / 2)
}

/// The PCM of a mono 16-bit WAV made by `Mixdown.wav`.
func wavSamples(_ wav: [UInt8]) -> [Int16] {
    stride(from: 44, to: wav.count - 1, by: 2).map {
        Int16(bitPattern: UInt16(wav[$0]) | UInt16(wav[$0 + 1]) << 8)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { start in
            self[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    init(contentsOf path: String) throws {
        self = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

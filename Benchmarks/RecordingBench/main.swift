import COpus
import Control
import Crypto
import Foundation
import Recording
import Relay
import Store
import Wire

// Prints: (1) how many channels one writer thread (one core) records at once, from the
// time it takes to drain, mux, seal and write (with fdatasync per chunk) audio of many
// two-speaker channels; (2) what recording adds to forwarding per received frame, from
// the cost of `MediaTap.push` as the relay calls it.

func encodedFrames(_ count: Int, hz: Double) -> [[UInt8]] {
    var error: Int32 = 0
    let encoder = opus_encoder_create(48_000, 1, OPUS_APPLICATION_VOIP, &error)!
    defer { opus_encoder_destroy(encoder) }
    var phase = 0.0
    return (0..<count).map { _ in
        var pcm = [Int16](repeating: 0, count: 960)
        for index in pcm.indices {
            pcm[index] = Int16(8_000 * sin(phase))
            phase += 2 * Double.pi * hz / 48_000
        }
        var out = [UInt8](repeating: 0, count: 1_275)
        let length = opus_encode(encoder, pcm, 960, &out, 1_275)
        return Array(out[0..<Int(length)])
    }
}

extension RecordingTap: MediaTap {}

/// CPU time of the calling thread, in seconds.
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

let channels = 100
let seconds = 10
let frames = encodedFrames(50, hz: 440)
let directory = NSTemporaryDirectory() + "whoot-rec-bench-" + UUID().uuidString
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

let store = try Store(path: directory + "/whoot.db")
let keys = RecordingKeys(
    master: try RecordingKeys.loadMasterKey(stateDirectory: directory, environment: [:]),
    store: store)
var monotonic: UInt64 = 1_000
let writer = RecordingWriter(
    configuration: RecordingWriter.Configuration(stateDirectory: directory), store: store,
    keys: keys, wallClock: { 1_700_000_000_000 }, monotonic: { monotonic })
let control = ControlPlane(store: store)
let tenant = try control.createTenant(slug: "bench", name: "Bench", actor: .system)
let taps = try (1...channels).map {
    writer.tap(tenant: tenant, channel: try control.createChannel(
        tenant: tenant, name: "c\($0)", actor: .system))
}

var cpu = 0.0
var wall = 0.0
for second in 0..<seconds {
    for tap in taps {
        for (index, frame) in frames.enumerated() {
            let at = UInt64(second * 1_000 + index * 20)
            for speaker in 1...2 {
                frame.withUnsafeBytes {
                    _ = tap.push(speaker: MemberID(Int64(speaker)),
                                 timestamp: UInt32(at * 48), arrivalMs: 1_000 + at, payload: $0)
                }
            }
        }
    }
    monotonic = 1_000 + UInt64((second + 1) * 1_000)
    let startCPU = cpuSeconds()
    let startWall = Date()
    writer.runOnce()
    cpu += cpuSeconds() - startCPU
    wall += Date().timeIntervalSince(startWall)
}
let startCPU = cpuSeconds()
writer.closeAll()
cpu += cpuSeconds() - startCPU
let dropped = taps.reduce(0) { $0 + $1.droppedCount }
let audio = Double(channels * seconds)
print("writer: \(channels) channels x 2 speakers x \(seconds) s recorded in "
    + String(format: "%.2f s CPU (%.2f s wall incl. fdatasync)", cpu, wall)
    + ", \(dropped) frames dropped")
print(String(format: "writer: about %.0f two-speaker channels at once on one core "
    + "(%.0f by wall time)", audio / cpu, audio / wall))

// (2) The relay's per-frame addition: one existential push, then a drain by the writer.
let tap = RecordingTap(tenant: TenantID(1), channel: ChannelID(1), capacity: 1_024)
let relayTap: MediaTap = tap
let pushes = 2_000_000 / 512 * 512
var pushed = 0
let payload = frames[0]
let clock = ContinuousClock()
var pushTime = Duration.zero
var baseTime = Duration.zero
payload.withUnsafeBytes { bytes in
    for round in 0..<(pushes / 512) {
        let started = clock.now
        for index in 0..<512 {
            if relayTap.push(speaker: MemberID(1), timestamp: UInt32(index), arrivalMs: 0,
                             payload: bytes) { pushed += 1 }
        }
        pushTime += clock.now - started
        let base = clock.now
        var sum = 0
        for index in 0..<512 { sum &+= bytes.count &+ index &+ round }
        baseTime += clock.now - base
        if sum == 42 { print("") }
        tap.drain { _ in }
    }
}
let perPush = Double(pushTime.components.attoseconds / 1_000_000_000
    + pushTime.components.seconds * 1_000_000_000) / Double(pushes)
print(String(format: "relay: recording adds %.1f ns per received frame (%d-byte payload, "
    + "%d of %d pushed); recording off adds one nil check", perPush, payload.count, pushed,
    pushes))

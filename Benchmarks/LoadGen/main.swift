import Foundation

/// Load generator for whootd (and Janus side by side): real participants (WHIP or Janus's
/// VideoRoom API, ICE, DTLS, SRTP) over loopback.
///
///   swift build -c release && .build/release/LoadGen [--listeners 100,500] [--channels 40]
///       [--seconds 5] [--rate 50] [--targets whootd,janus | --against janus] [--saturate]
///       [--step-seconds 2] [--floor] [--floor-receivers 1000] [--threads 2] [--sample 32]
///       [--recording off|on|both] [--whootd PATH] [--whootctl PATH] [--relay-cpus 0]
///
/// Scenario A: one channel of 3 speakers and N listeners (3 slots each).
/// Scenario B: channels of 5 participants, each speaking, each hearing 3 others.
/// Default: a fixed rate (`--rate` packets/s per speaker) for `--seconds`.
/// `--saturate`: per scenario and relay, the rate is raised until loss exceeds 1 % or the
/// relay's CPU stops growing, then `--seconds` are measured at 70 % of the highest clean rate.
/// Receivers: `--threads` threads, recvmmsg, kernel arrival stamps (SO_TIMESTAMPNS); latency
/// is measured on `--sample` listeners (decrypted), loss on all (datagrams that look like
/// our SRTP). `--floor`: CPU ns per packet of plain sendmmsg to `--floor-receivers` sockets.
/// `--recording on|both` (whootd only) turns recording on for every channel of a scenario.
/// `--relay-cpus LIST` starts each relay under `taskset -c LIST`; with the generator itself
/// under `taskset` on the other cores, the two stop competing for the same CPUs.

var options: [String: String] = [:]
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let flag = String(arguments.removeFirst().dropFirst(2))
    if let value = arguments.first, !value.hasPrefix("--") {
        options[flag] = arguments.removeFirst()
    } else {
        options[flag] = "true"
    }
}
let build = options["build"] ?? ".build/release"
let paths = (options["whootd"] ?? "\(build)/whootd", options["whootctl"] ?? "\(build)/whootctl")
let seconds = Double(options["seconds"] ?? "5")!
let stepSeconds = Double(options["step-seconds"] ?? "2")!
let rate = Double(options["rate"] ?? "50")!
let listenerCounts = (options["listeners"] ?? "100").split(separator: ",").map { Int($0)! }
let smallChannels = Int(options["channels"] ?? "20")!
let receiverThreads = Int(options["threads"] ?? "2")!
let sampleSize = Int(options["sample"] ?? "32")!
let saturateMode = options["saturate"] == "true"
let relayCPUs = options["relay-cpus"]
var targets = (options["targets"] ?? "whootd").split(separator: ",").map {
    guard let kind = RelayKind(rawValue: String($0)) else {
        fatalError("--targets takes whootd and/or janus")
    }
    return kind
}
if options["against"] == "janus" { targets = [.whootd, .janus] }
guard let recordingMode = RecordingMode(rawValue: options["recording"] ?? "off") else {
    fatalError("--recording must be off, on or both")
}

var floorNanos: Double?
if options["floor"] == "true" {
    let receivers = Int(options["floor-receivers"] ?? "1000")!
    let floor = try kernelFloor(receivers: receivers, seconds: 2)
    floorNanos = floor.nanosPerPacket
    print(String(
        format: "kernel floor: sendmmsg of 100-byte datagrams to %d loopback sockets: "
            + "%.0f CPU ns/packet (%d packets in 2 s)", receivers, floor.nanosPerPacket,
        floor.packets))
}

var scenarios = listenerCounts.map { Scenario.bigChannel(listeners: $0) }
if smallChannels > 0 { scenarios.append(.smallChannels(channels: smallChannels)) }
var janusInstances = 0

/// Starts `kind` for `scenario` and admits the cast, timing the set-up.
func stage(_ scenario: Scenario, on kind: RelayKind, recording: Bool) throws -> Stage {
    let start = nanos()
    let stage: Stage
    switch kind {
    case .whootd: stage = try stageWhootd(scenario, recording: recording, paths: paths)
    case .janus:
        janusInstances += 1
        stage = try stageJanus(scenario, instance: janusInstances)
    }
    print(String(
        format: "%@ on %@: %d endpoints connected in %.1f s", scenario.name, kind.rawValue,
        Set((stage.cast.speakers.map(\.0) + stage.cast.listeners).map(ObjectIdentifier.init))
            .count, Double(nanos() - start) / 1e9))
    fflush(stdout)
    return stage
}

/// `stage`, and the receivers of its listeners; nil (said on stdout) when set-up failed.
func staged(_ scenario: Scenario, on kind: RelayKind, recording: Bool) throws
    -> (Stage, ReceiverPool)?
{
    let staged: Stage
    do { staged = try stage(scenario, on: kind, recording: recording) } catch {
        print("\(scenario.name) on \(kind.rawValue): set-up failed: \(error)")
        return nil
    }
    let receivers = try ReceiverPool(
        listeners: staged.cast.listeners, threads: receiverThreads, sampled: sampleSize)
    return (staged, receivers)
}

var results: [Result] = []
var saturations: [Saturation] = []
var comparisons: [RecordingComparison] = []

for scenario in scenarios {
    for kind in targets {
        if saturateMode {
            guard let (staged, receivers) = try staged(scenario, on: kind, recording: false)
            else { continue }
            var idle = 0.0
            let outcome = try saturate(
                staged.cast, relay: staged.relay, receivers: receivers,
                stepSeconds: stepSeconds, seconds: seconds, idleCores: &idle)
            let stats = staged.relay.stats
            let people = Double(max(staged.cast.participants, 1))
            let run = Saturation(
                scenario: scenario.name, relay: kind, participants: staged.cast.participants,
                steps: outcome.steps, clean: outcome.clean,
                idleCores: idle, stopReason: outcome.reason, atSeventy: outcome.seventy,
                rssPerParticipant: Double(Int64(stats.residentBytes()) - Int64(staged.rssBefore))
                    / people / 1024,
                anonPerParticipant: Double(
                    Int64(stats.anonymousBytes()) - Int64(staged.anonBefore)) / people / 1024,
                sampledListeners: receivers.sampledCount)
            receivers.stop()
            staged.tearDown()
            saturations.append(run)
            print(run.line(floor: floorNanos))
            continue
        }
        var off: Result?
        for recording in kind == .whootd ? recordingMode.runs : [false] {
            guard let (staged, receivers) = try staged(scenario, on: kind, recording: recording)
            else { continue }
            let window = try measureWindow(
                staged.cast, relay: staged.relay, receivers: receivers, rate: rate, settle: 1,
                seconds: seconds)
            var result = Result(window, stage: staged, sampled: receivers.sampledCount)
            let status = recording && kind == .whootd
                ? try RecordingStatus.fetch(from: staged.relay as! Whootd) : nil
            receivers.stop()
            staged.tearDown()
            result = result.labelled(recording: recording, mode: recordingMode)
            results.append(result)
            print(result.line)
            if !recording { off = result }
            if let off, let status {
                comparisons.append(RecordingComparison(off: off, on: result, status: status))
            }
        }
    }
}

if let floorNanos {
    print(String(format: "\nkernel floor: %.0f CPU ns per sendmmsg'd packet", floorNanos))
}
if !results.isEmpty {
    print("\nfixed rate: \(rate) pkt/s per speaker, \(seconds) s\n\n" + Result.header)
    for result in results { print(result.line) }
}
if !comparisons.isEmpty {
    print("\nrecording on vs off\n\n" + RecordingComparison.header)
    for comparison in comparisons { print(comparison.line) }
}
if !saturations.isEmpty {
    print("\nsaturation (steps of \(stepSeconds) s, latency run of \(seconds) s at 70 %)\n")
    print(Saturation.header(floor: floorNanos))
    for run in saturations { print(run.line(floor: floorNanos)) }
    if targets.count > 1 { print("\n" + ratioTable(saturations)) }
}

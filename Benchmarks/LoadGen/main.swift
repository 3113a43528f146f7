import Foundation
import Wire

/// Load generator for whootd: real participants (WHIP, ICE, DTLS, SRTP) over loopback.
///
///   swift run -c release LoadGen [--listeners 100,500] [--channels 40] [--seconds 5]
///       [--rate 50] [--recording off|on|both] [--whootd PATH] [--whootctl PATH]
///
/// Scenario A: one channel of 3 speakers and N listeners (3 slots each).
/// Scenario B: channels of 5 participants, each speaking, 3 slots each.
/// Prints forwarded packets/s, whootd CPU ns per forwarded packet (/proc/<pid>/stat),
/// added latency through the relay (send time in the payload; p50/p99/p99.9), whootd RSS
/// per participant, and loss (expected forwards minus received).
/// `--recording on` turns recording on for every channel of a scenario before anyone joins;
/// `both` runs each scenario with recording off, then on, and adds a table of the CPU cost
/// on/off and the frames the recording writer took and dropped.

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    options[String(flag.dropFirst(2))] = arguments.next() ?? ""
}
let build = options["build"] ?? ".build/release"
let whootdPath = options["whootd"] ?? "\(build)/whootd"
let whootctlPath = options["whootctl"] ?? "\(build)/whootctl"
let seconds = Double(options["seconds"] ?? "5")!
let rate = Double(options["rate"] ?? "50")!
let listenerCounts = (options["listeners"] ?? "100").split(separator: ",").map { Int($0)! }
let smallChannels = Int(options["channels"] ?? "20")!
guard let recordingMode = RecordingMode(rawValue: options["recording"] ?? "off") else {
    fatalError("--recording must be off, on or both")
}

func nanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

struct Result {
    var name: String
    var participants: Int
    var forwarded: Int
    var expected: Int
    var seconds: Double
    var cpuNanos: UInt64
    var rssDelta: UInt64
    var latencies: [UInt64]

    func percentile(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return .nan }
        let sorted = latencies.sorted()
        return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
    }

    var line: String {
        let loss = expected > 0 ? 100 * Double(expected - forwarded) / Double(expected) : 0
        return String(
            format: "| %@ | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f | %.2f %% |",
            name, participants, Double(forwarded) / seconds,
            forwarded > 0 ? Double(cpuNanos) / Double(forwarded) : .nan,
            percentile(0.5), percentile(0.99), percentile(0.999),
            Double(rssDelta) / Double(max(participants, 1)) / 1024, max(0, loss))
    }
}

/// Drives `speakers` at `rate` packets/s for `seconds` and collects what `listeners` get.
func measure(
    _ name: String, whootd: Whootd, speakers: [(Participant, UInt8)],
    listeners: [Participant], expectedPerFrame: Int, rssBefore: UInt64
) throws -> Result {
    var latencies: [UInt64] = []
    latencies.reserveCapacity(1 << 20)
    var received = 0
    let interval = UInt64(1e9 / rate)
    var polls = listeners.map { pollfd(fd: $0.peer.socket.fd, events: Int16(POLLIN), revents: 0) }
    var buffer = [UInt8](repeating: 0, count: 2048)

    // Warm-up: the speaker ranking settles.
    let warmEnd = nanos() + 1_000_000_000
    var nextSend = nanos()
    var nextConsent = nanos()
    let everyone = speakers.map(\.0) + listeners.filter { l in !speakers.contains { $0.0 === l } }
    var frames = 0
    var counting = false
    var cpuStart: UInt64 = 0
    var start: UInt64 = 0
    let end = warmEnd + UInt64(seconds * 1e9)
    while true {
        let now = nanos()
        if now >= end { break }
        if !counting && now >= warmEnd {
            counting = true
            cpuStart = whootd.cpuNanoseconds()
            start = now
            received = 0
            frames = 0
            latencies.removeAll(keepingCapacity: true)
        }
        if now >= nextConsent {
            // RFC 7675 consent, or whootd ends the sessions after 30 s.
            for participant in everyone {
                participant.peer.sendConsentCheck(relayPort: whootd.udpPort)
            }
            nextConsent = now + 5_000_000_000
        }
        if now >= nextSend {
            for (speaker, level) in speakers { try speaker.speak(level: level, nowNanos: now) }
            frames += 1
            nextSend += interval
        }
        guard poll(&polls, nfds_t(polls.count), 1) > 0 else { continue }
        for index in polls.indices where polls[index].revents & Int16(POLLIN) != 0 {
            let peer = listeners[index].peer
            while true {
                let count = buffer.withUnsafeMutableBytes {
                    recv(peer.socket.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
                }
                guard count > 0 else { break }
                guard buffer[0] >= 128, buffer[1] < 192 || buffer[1] > 223,
                    let inbound = peer.inbound,
                    let plain = try? inbound.unprotectRTP(Array(buffer[0..<count])),
                    let header = plain.withUnsafeBytes({ RTPHeaderView.parse($0) }),
                    header.payloadLength >= 9
                else { continue }
                let sent = plain.withUnsafeBytes {
                    $0.loadUnaligned(fromByteOffset: header.headerLength + 1, as: UInt64.self)
                }
                if counting {
                    received += 1
                    latencies.append(nanos() &- sent)
                }
            }
        }
    }
    let elapsed = Double(nanos() - start) / 1e9
    return Result(
        name: name, participants: everyone.count, forwarded: received,
        expected: frames * expectedPerFrame, seconds: elapsed,
        cpuNanos: whootd.cpuNanoseconds() - cpuStart,
        rssDelta: whootd.residentBytes() - rssBefore, latencies: latencies)
}

/// Refreshes consent for everyone every 5 s while participants are being set up.
nonisolated(unsafe) var lastKeepAlive: UInt64 = 0
func keepAlive(_ participants: [Participant], _ whootd: Whootd) {
    guard nanos() - lastKeepAlive > 5_000_000_000 else { return }
    lastKeepAlive = nanos()
    for participant in participants { participant.peer.sendConsentCheck(relayPort: whootd.udpPort) }
}

let header = """
| scenario | participants | forwarded pkt/s | whootd CPU ns/pkt | p50 µs | p99 µs | p99.9 µs \
| RSS KiB/participant | loss |
|---|---|---|---|---|---|---|---|---|
"""

/// Scenario A on a fresh whootd, with or without recording; the writer's counters if on.
func measureBigChannel(listeners count: Int, recording: Bool) throws
    -> (Result, RecordingStatus?)
{
    let whootd = try Whootd(whootd: whootdPath, whootctl: whootctlPath)
    defer { whootd.stop() }
    try whootd.ctl(["channel", "create", "--tenant", "demo", "--name", "big"])
    if recording { try enableRecording(whootd, channels: ["big"]) }
    let rss = whootd.residentBytes()
    let speakers = try (0..<3).map {
        (try Participant(whootd: whootd, channel: "big", name: "s\($0)", slots: 3),
         UInt8(10 + 10 * $0))
    }
    var listeners: [Participant] = []
    for index in 0..<count {
        listeners.append(
            try Participant(whootd: whootd, channel: "big", name: "l\(index)", slots: 3))
        keepAlive(speakers.map(\.0) + listeners, whootd)
    }
    let result = try measure(
        "3 speakers + \(count) listeners", whootd: whootd, speakers: speakers,
        listeners: listeners, expectedPerFrame: 3 * count, rssBefore: rss)
    return (result, recording ? try RecordingStatus.fetch(from: whootd) : nil)
}

/// Scenario B on a fresh whootd, with or without recording; the writer's counters if on.
func measureSmallChannels(recording: Bool) throws -> (Result, RecordingStatus?) {
    let whootd = try Whootd(whootd: whootdPath, whootctl: whootctlPath)
    defer { whootd.stop() }
    let rss = whootd.residentBytes()
    var everyone: [Participant] = []
    for channel in 0..<smallChannels {
        try whootd.ctl(["channel", "create", "--tenant", "demo", "--name", "c\(channel)"])
        if recording { try enableRecording(whootd, channels: ["c\(channel)"]) }
        for member in 0..<5 {
            everyone.append(try Participant(
                whootd: whootd, channel: "c\(channel)", name: "c\(channel)m\(member)", slots: 3))
            keepAlive(everyone, whootd)
        }
    }
    // Everyone speaks; each hears the 3 loudest others of its channel.
    let speakers = everyone.enumerated().map { ($0.element, UInt8(10 + 10 * ($0.offset % 5))) }
    let result = try measure(
        "\(smallChannels) channels x 5", whootd: whootd, speakers: speakers,
        listeners: everyone, expectedPerFrame: smallChannels * 5 * 3, rssBefore: rss)
    return (result, recording ? try RecordingStatus.fetch(from: whootd) : nil)
}

var results: [Result] = []
var comparisons: [RecordingComparison] = []

/// Runs one scenario once per recording run of the mode, printing each row as it comes.
func runScenario(_ body: (Bool) throws -> (Result, RecordingStatus?)) throws {
    var off: Result?
    for recording in recordingMode.runs {
        let (result, status) = try body(recording)
        results.append(result.labelled(recording: recording, mode: recordingMode))
        print(results.last!.line)
        if !recording { off = result }
        if let status, off == nil {
            print("recording: \(status.taps) channels, \(status.written) frames written, "
                + "\(status.dropped) dropped (ring full), \(status.writeErrors) write errors")
        }
        if let off, let status {
            comparisons.append(RecordingComparison(off: off, on: result, status: status))
        }
    }
}

for count in listenerCounts {
    try runScenario { try measureBigChannel(listeners: count, recording: $0) }
}
if smallChannels > 0 {
    try runScenario { try measureSmallChannels(recording: $0) }
}
print("\n" + header)
for result in results { print(result.line) }
if !comparisons.isEmpty {
    print("\nrecording on vs off\n\n" + RecordingComparison.header)
    for comparison in comparisons { print(comparison.line) }
}

import Foundation

/// Percentile `p` (0...1) of latencies in ns, in µs; NaN when there are none.
func percentile(_ latencies: [Int64], _ p: Double) -> Double {
    guard !latencies.isEmpty else { return .nan }
    let sorted = latencies.sorted()
    return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
}

/// One fixed-rate measurement (the default mode, and `--recording`).
struct Result {
    var name: String
    var relay: RelayKind
    var participants: Int
    var forwarded: Int
    var expected: Int
    var seconds: Double
    var cpuNanos: UInt64
    var rssDelta: Int64
    var anonDelta: Int64
    var latencies: [Int64]
    var sampled: Int

    init(_ window: Window, stage: Stage, sampled: Int) {
        name = stage.cast.name
        relay = stage.relay.kind
        participants = stage.cast.participants
        forwarded = window.reception.received
        expected = window.expected
        seconds = window.seconds
        cpuNanos = window.cpuNanos
        latencies = window.reception.latencies
        self.sampled = sampled
        let stats = stage.relay.stats
        rssDelta = Int64(stats.residentBytes()) - Int64(stage.rssBefore)
        anonDelta = Int64(stats.anonymousBytes()) - Int64(stage.anonBefore)
    }

    func percentile(_ p: Double) -> Double { LoadGen.percentile(latencies, p) }

    static let header = """
        | scenario | relay | participants | forwarded pkt/s | relay CPU ns/pkt | p50 µs \
        | p99 µs | p99.9 µs | RSS KiB/participant | anon KiB/participant | loss | sampled |
        |---|---|---|---|---|---|---|---|---|---|---|---|
        """

    var line: String {
        String(
            format: "| %@ | %@ | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f | %.1f | %.2f %% "
                + "| %d |",
            name, relay.rawValue, participants, Double(forwarded) / seconds, cpuPerPacket,
            percentile(0.5), percentile(0.99), percentile(0.999),
            Double(rssDelta) / Double(max(participants, 1)) / 1024,
            Double(anonDelta) / Double(max(participants, 1)) / 1024, lossPercent, sampled)
    }
}

extension Saturation {
    static func header(floor: Double?) -> String {
        let floorColumn = floor.map { String(format: " relay ns/pkt - floor (%.0f) |", $0) }
        return """
            | scenario | relay | participants | idle cores | clean rate pkt/s/speaker \
            | forwarded pkt/s | relay cores busy | pkts/CPU-s | relay ns/pkt \
            |\(floorColumn ?? "") p50 µs @70% | p99 µs @70% | p99.9 µs @70% | loss @70% \
            | RSS KiB/participant | anon KiB/participant | sampled | stopped by |
            |---|---|---|---|---|---|---|---|---|\(floor == nil ? "" : "---|")---|---|---|---|---|\
            ---|---|---|
            """
    }

    func line(floor: Double?) -> String {
        let latencies = atSeventy?.reception.latencies ?? []
        let floorCell = floor.map { String(format: " %.0f |", nanosPerPacket - $0) } ?? ""
        return String(
            format: "| %@ | %@ | %d | %.2f | %.1f | %.0f | %.2f | %.0f | %.0f |%@ %.0f | %.0f "
                + "| %.0f "
                + "| %.2f %% | %.1f | %.1f | %d | %@ |",
            scenario, relay.rawValue, participants, idleCores, clean?.rate ?? .nan,
            clean?.forwardedPerSecond ?? .nan, clean?.coresBusy ?? .nan, packetsPerCPUSecond,
            nanosPerPacket, floorCell, percentile(latencies, 0.5), percentile(latencies, 0.99),
            percentile(latencies, 0.999), atSeventy?.lossPercent ?? .nan, rssPerParticipant,
            anonPerParticipant, sampledListeners, stopReason)
    }
}

/// whootd against Janus for each scenario both ran.
func ratioTable(_ runs: [Saturation]) -> String {
    var lines = [
        "| scenario | pkts/CPU-s whootd / janus | p99 @70% janus / whootd |",
        "|---|---|---|",
    ]
    for whootd in runs where whootd.relay == .whootd {
        guard let janus = runs.first(where: {
            $0.relay == .janus && $0.scenario == whootd.scenario
        }) else { continue }
        let p99 = { (run: Saturation) in
            percentile(run.atSeventy?.reception.latencies ?? [], 0.99)
        }
        lines.append(String(
            format: "| %@ | %.2f | %.2f |", whootd.scenario,
            whootd.packetsPerCPUSecond / janus.packetsPerCPUSecond, p99(janus) / p99(whootd)))
    }
    return lines.joined(separator: "\n")
}

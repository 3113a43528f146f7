import Foundation

/// Which runs `--recording` asks for: `off` (the default, LoadGen as before), `on` (every
/// channel of a scenario records while it is measured) or `both` (each scenario twice, off
/// then on, on a fresh whootd each time).
enum RecordingMode: String {
    case off, on, both

    /// Whether each run of a scenario records, in the order they run.
    var runs: [Bool] {
        switch self {
        case .off: return [false]
        case .on: return [true]
        case .both: return [false, true]
        }
    }
}

/// The recording writer's counters summed over every recorded channel, from
/// `whootctl --json recording status`. Counts are frames since whootd started, warm-up
/// included.
struct RecordingStatus {
    /// Channels with a tap.
    var taps = 0
    /// Frames the forwarding workers put into a tap's ring.
    var pushed = 0
    /// Frames dropped because a ring was full.
    var dropped = 0
    /// Frames dropped as larger than a ring slot.
    var oversized = 0
    /// Frames still in a ring when the status was read.
    var queued = 0
    /// Failed file writes of the writer thread.
    var writeErrors = 0

    /// Frames the writer thread took from the rings (pushed and no longer queued).
    var written: Int { pushed - queued }

    static func fetch(from whootd: Whootd) throws -> RecordingStatus {
        let text = try whootd.ctl(["--json", "recording", "status"])
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
            as? [String: Any], let taps = object["taps"] as? [[String: Any]]
        else { throw LoadGenError("recording status is not the expected JSON: \(text)") }

        var status = RecordingStatus(writeErrors: object["write_errors"] as? Int ?? 0)
        for tap in taps {
            status.taps += 1
            status.pushed += tap["pushed"] as? Int ?? 0
            status.dropped += tap["dropped"] as? Int ?? 0
            status.oversized += tap["oversized"] as? Int ?? 0
            status.queued += tap["queued"] as? Int ?? 0
        }
        return status
    }
}

/// Turns recording on for each of `channels` of the demo tenant through the admin socket
/// (an audited settings change, as an operator would make it).
func enableRecording(_ whootd: Whootd, channels: [String]) throws {
    for channel in channels {
        try whootd.ctl(["recording", "settings", "--tenant", "demo", "--channel", channel,
                        "--enabled", "on"])
    }
}

/// One scenario measured with recording off and then on.
struct RecordingComparison {
    var off: Result
    var on: Result
    var status: RecordingStatus

    static let header = """
        | scenario | CPU ns/pkt off | CPU ns/pkt on | on/off | p99 µs off | p99 µs on \
        | loss off | loss on | channels recorded | frames written | dropped (full) \
        | dropped (oversized) | write errors |
        |---|---|---|---|---|---|---|---|---|---|---|---|---|
        """

    var line: String {
        let offCost = off.cpuPerPacket
        let onCost = on.cpuPerPacket
        return String(
            format: "| %@ | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f %% | %.2f %% | %d | %d | %d "
                + "| %d | %d |",
            off.name, offCost, onCost, onCost / offCost, off.percentile(0.99),
            on.percentile(0.99), off.lossPercent, on.lossPercent, status.taps, status.written,
            status.dropped, status.oversized, status.writeErrors)
    }
}

extension Result {
    /// The relay's CPU time per forwarded packet, in ns.
    var cpuPerPacket: Double { forwarded > 0 ? Double(cpuNanos) / Double(forwarded) : .nan }

    /// Expected forwards that no listener received, in percent.
    var lossPercent: Double {
        expected > 0 ? max(0, 100 * Double(expected - forwarded) / Double(expected)) : 0
    }

    /// The same measurement under a name that says whether recording was on.
    func labelled(recording: Bool, mode: RecordingMode) -> Result {
        guard mode != .off else { return self }
        var copy = self
        copy.name += recording ? " (recording on)" : " (recording off)"
        return copy
    }
}

import Foundation

/// The participants of one scenario on one relay, connected and ready.
struct Cast {
    var name: String
    /// Speakers with their RFC 6464 level (dBov; lower is louder).
    var speakers: [(Participant, UInt8)]
    /// Endpoints whose received media is counted.
    var listeners: [Participant]
    /// People in the scenario (a Janus participant has two endpoints: publish, subscribe).
    var participants: Int
    /// Packets the relay should deliver to listeners per packet a speaker sends.
    var fanout: Int
}

/// Sends the speakers' packets evenly spread in time: at `rate` packets/s per speaker,
/// speaker k of n sends at offsets k/n of each interval, so the relay sees a steady stream
/// rather than one burst per frame. Runs on the calling thread.
struct Pacer {
    let speakers: [(Participant, UInt8)]
    let rate: Double
    private let start = nanos()
    private(set) var sent = 0

    init(speakers: [(Participant, UInt8)], rate: Double) {
        self.speakers = speakers
        self.rate = rate
    }

    /// Sends what is due until `deadline` (monotonic ns), sleeping 100 µs when caught up.
    mutating func run(until deadline: UInt64) throws {
        let perNanosecond = rate * Double(speakers.count) / 1e9
        while true {
            let now = nanos()
            if now >= deadline { return }
            let due = Int(Double(now - start) * perNanosecond)
            if sent >= due {
                usleep(100)
                continue
            }
            // Never more than one round behind: a late generator sends less, never a burst.
            sent = max(sent, due - speakers.count)
            while sent < due {
                let (speaker, level) = speakers[sent % speakers.count]
                try speaker.speak(level: level, sentNanos: realtimeNanos())
                sent += 1
            }
        }
    }
}

/// One measuring window at a fixed rate.
struct Window {
    /// Packets/s per speaker asked for, and what the generator managed to send.
    var rate: Double
    var sendRate: Double
    var seconds: Double
    var expected: Int
    var reception: Reception
    var cpuNanos: UInt64

    var forwardedPerSecond: Double { Double(reception.received) / seconds }
    /// The relay's CPU seconds per second (cores busy).
    var coresBusy: Double { Double(cpuNanos) / 1e9 / seconds }
    var lossPercent: Double {
        expected > 0 ? max(0, 100 * Double(expected - reception.received) / Double(expected)) : 0
    }
    /// Median latency of the sampled listeners, in µs.
    var medianMicros: Double { percentile(reception.latencies, 0.5) }
    /// Whether packets waited in a queue: a median latency above 3 times `baseline` (the
    /// lowest median of the lighter steps, µs; a fan-out to many listeners has a high one of
    /// its own) plus 5 ms.
    func isQueueing(baseline: Double) -> Bool { medianMicros > 3 * baseline + 5_000 }
    /// Whether the generator sent at least 95 % of what was asked.
    var generatorKeptUp: Bool { sendRate >= 0.95 * rate }
}

/// Sends at `rate` for `settle` s unmeasured, then measures `seconds` s: the receivers count
/// from the window's start, the relay's CPU time is read at both ends, and 100 ms after the
/// last send (packets in flight; a loaded Janus holds them for tens of ms) the window closes.
/// What was in flight when it opened is counted in, so the two ends balance while the
/// latency is steady.
func measureWindow(
    _ cast: Cast, relay: RelayUnderTest, receivers: ReceiverPool, rate: Double,
    settle: Double, seconds: Double
) throws -> Window {
    var pacer = Pacer(speakers: cast.speakers, rate: rate)
    try pacer.run(until: nanos() + UInt64(settle * 1e9))

    receivers.begin()
    let cpuStart = relay.stats.cpuNanoseconds()
    let start = nanos()
    let sentBefore = pacer.sent
    try pacer.run(until: start + UInt64(seconds * 1e9))
    let sent = pacer.sent - sentBefore
    let elapsed = Double(nanos() - start) / 1e9
    usleep(100_000)
    let reception = receivers.end()
    let cpu = relay.stats.cpuNanoseconds() - cpuStart

    return Window(
        rate: rate, sendRate: Double(sent) / elapsed / Double(cast.speakers.count),
        seconds: elapsed, expected: sent * cast.fanout, reception: reception, cpuNanos: cpu)
}

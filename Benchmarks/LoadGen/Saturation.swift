import Foundation

/// The outcome of `--saturate` for one scenario on one relay.
struct Saturation {
    var scenario: String
    var relay: RelayKind
    var participants: Int
    /// Every step tried, in order.
    var steps: [Window]
    /// The highest step with at most 1 % loss; nil when even the first step lost more.
    var clean: Window?
    /// The relay's CPU with everyone connected and nobody speaking (1 s), in cores.
    var idleCores: Double
    /// Why the stepping stopped.
    var stopReason: String
    /// The run at 70 % of the clean rate, for latency.
    var atSeventy: Window?
    var rssPerParticipant: Double
    var anonPerParticipant: Double
    var sampledListeners: Int

    /// Forwarded packets per CPU-second of the relay at the clean rate.
    var packetsPerCPUSecond: Double {
        guard let clean, clean.cpuNanos > 0 else { return .nan }
        return Double(clean.reception.received) / (Double(clean.cpuNanos) / 1e9)
    }

    var nanosPerPacket: Double { 1e9 / packetsPerCPUSecond }
}

/// Raises the speakers' rate by `factor` per step (from a rate that asks about 10,000
/// forwarded packets/s) until loss exceeds 1 %, the median latency grows past 3 times that
/// of the lighter steps plus 5 ms (a queue builds up in socket buffers before anything is
/// dropped), the relay's CPU and forwarded rate stop growing (less than 5 % and 20 % more
/// for 50 % more load, once above 0.3 cores), the generator cannot send what is asked,
/// or `maxSteps` steps; then measures `seconds` s at 70 % of the highest clean rate. When
/// the first step already loses more than 1 %, the rate is halved until it does not.
func saturate(
    _ cast: Cast, relay: RelayUnderTest, receivers: ReceiverPool, stepSeconds: Double,
    seconds: Double, idleCores: inout Double, factor: Double = 1.5, maxSteps: Int = 13,
    refinements: Int = 2
) throws -> (steps: [Window], clean: Window?, reason: String, seventy: Window?) {
    var rate = min(2000, max(2, 10_000 / Double(cast.speakers.count * cast.fanout)))
    let idleStart = relay.stats.cpuNanoseconds()
    usleep(1_000_000)
    idleCores = Double(relay.stats.cpuNanoseconds() - idleStart) / 1e9
    var steps: [Window] = []
    var clean: Window?
    var reason = "step limit (\(maxSteps) steps)"
    /// The rate of the step that lost packets or built a queue.
    var failedRate: Double?
    /// Measures one step at `rate` and prints it, labelled, with `verdict` if any.
    func step(_ label: String, at rate: Double, verdict: (Window) -> String? = { _ in nil })
        throws -> Window
    {
        let window = try measureWindow(
            cast, relay: relay, receivers: receivers, rate: rate, settle: 1,
            seconds: stepSeconds)
        print(String(
            format: "  %@ %@ %@: %.1f pkt/s per speaker (sent %.1f), %.0f fwd pkt/s, "
                + "%.2f cores, loss %.2f %%, p50 %.0f µs",
            label, relay.kind.rawValue, cast.name, rate, window.sendRate,
            window.forwardedPerSecond, window.coresBusy, window.lossPercent,
            window.medianMicros) + (verdict(window).map { ": " + $0 } ?? ""))
        fflush(stdout)
        return window
    }
    for _ in 0..<maxSteps {
        let window = try step("step", at: rate)
        let previous = steps.last
        steps.append(window)
        if window.lossPercent > 1 {
            reason = String(format: "loss %.1f %% at %.1f pkt/s", window.lossPercent, rate)
            failedRate = rate
            break
        }
        let baseline = steps.dropLast().map(\.medianMicros).filter { !$0.isNaN }.min()
            ?? window.medianMicros
        if window.isQueueing(baseline: baseline) {
            reason = String(format: "p50 %.0f ms at %.1f pkt/s (queue building)",
                            window.medianMicros / 1000, rate)
            failedRate = rate
            break
        }
        clean = window
        if !window.generatorKeptUp {
            reason = String(format: "generator sent only %.1f of %.1f pkt/s", window.sendRate,
                            rate)
            break
        }
        // CPU flat while the forwarded rate still grows is a relay getting more efficient
        // with fuller batches, not a saturated one.
        if let previous, window.coresBusy >= 0.3,
            window.coresBusy < previous.coresBusy * 1.05,
            window.forwardedPerSecond < previous.forwardedPerSecond * 1.2
        {
            reason = String(format: "relay CPU stopped growing (%.2f -> %.2f cores)",
                            previous.coresBusy, window.coresBusy)
            break
        }
        rate *= factor
    }
    // Lossy from the first step: halve the rate (at most 4 times) to find a clean one.
    var lower = steps.first?.rate ?? rate
    while clean == nil && steps.count <= maxSteps + 4 && lower > 0.5 {
        lower /= 2
        let window = try step("step down", at: lower)
        steps.append(window)
        if window.lossPercent <= 1 { clean = window }
    }
    // Stopped by loss or a queue: narrow the gap between the last clean step and the one
    // that failed (geometric midpoints; two of them bring it from 50 % to about 11 %).
    if let failedRate, let lastClean = clean, failedRate > lastClean.rate {
        var low = lastClean.rate
        var high = failedRate
        for _ in 0..<refinements {
            let middle = (low * high).squareRoot()
            // Silence first: an overloaded step leaves seconds of packets in socket buffers.
            usleep(2_000_000)
            func isClean(_ window: Window) -> Bool {
                window.lossPercent <= 1 && window.generatorKeptUp
                    && !window.isQueueing(baseline: lastClean.medianMicros)
            }
            let window = try step("refine", at: middle) { isClean($0) ? "clean" : "not clean" }
            steps.append(window)
            if isClean(window) {
                clean = window
                low = middle
            } else {
                high = middle
            }
        }
    }
    guard let best = clean else { return (steps, nil, reason, nil) }
    // Silence first, so that queues left by the last (overloaded) step drain.
    usleep(2_000_000)
    let seventy = try measureWindow(
        cast, relay: relay, receivers: receivers, rate: 0.7 * best.rate, settle: 1,
        seconds: seconds)
    return (steps, clean, reason, seventy)
}

import Control
import HTTPEdge
import Relay

/// The flood limits' hit counters, gathered from the planes that enforce them, as one
/// Prometheus series: `whoot_limit_hits_total{limit="..."}`.
struct LimitHits {
    let relay: Relay
    let http: HTTPLimitCounters
    let control: ControlPlane

    /// Every limit with its count since start; each is listed even at zero.
    func counts() -> [(label: String, count: UInt64)] {
        var counts = AdmissionLimit.allCases.map { ($0.label, relay.refusals($0)) }
        counts += [
            ("http_connections", http.connectionLimitHits.load(ordering: .relaxed)),
            ("http_body_bytes", http.bodiesTooLarge.load(ordering: .relaxed)),
            ("http_connection_timeout", http.connectionTimeouts.load(ordering: .relaxed)),
            ("login_attempts", control.loginThrottleRefusals),
        ]
        return counts
    }

    func render(into out: inout String) {
        out += "# HELP whoot_limit_hits_total Requests, connections or sessions refused or cut"
            + " by a flood limit, by limit.\n"
        out += "# TYPE whoot_limit_hits_total counter\n"
        for (label, count) in counts() {
            out += "whoot_limit_hits_total{limit=\"\(label)\"} \(count)\n"
        }
        out += "# HELP whoot_sessions_pending Media sessions admitted that have not finished"
            + " ICE and DTLS.\n# TYPE whoot_sessions_pending gauge\n"
        out += "whoot_sessions_pending \(relay.pendingSessions)\n"
    }
}

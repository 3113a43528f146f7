import Foundation
import Recording
import Relay
import Synchronization

/// HTTP request counters by status and a latency histogram, for /metrics.
/// Updated on the HTTP server's threads; one short lock per request.
final class HTTPMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    private struct State {
        var byStatus: [Int: UInt64] = [:]
        var bucketCounts = [UInt64](repeating: 0, count: HTTPMetrics.buckets.count)
        var count: UInt64 = 0
        var sum: Double = 0
    }

    private let state = Mutex(State())

    func observe(status: Int, seconds: Double) {
        state.withLock { state in
            state.byStatus[status, default: 0] += 1
            for (index, bound) in Self.buckets.enumerated() where seconds <= bound {
                state.bucketCounts[index] += 1
            }
            state.count += 1
            state.sum += seconds
        }
    }

    /// Appends this collector's series in the Prometheus text format.
    func render(into out: inout String) {
        let snapshot = state.withLock { $0 }
        out += "# HELP whoot_http_requests_total HTTP requests answered, by status code.\n"
        out += "# TYPE whoot_http_requests_total counter\n"
        for (status, count) in snapshot.byStatus.sorted(by: { $0.key < $1.key }) {
            out += "whoot_http_requests_total{code=\"\(status)\"} \(count)\n"
        }
        out += "# HELP whoot_http_request_duration_seconds Time to answer an HTTP request.\n"
        out += "# TYPE whoot_http_request_duration_seconds histogram\n"
        for (index, bound) in Self.buckets.enumerated() {
            out += "whoot_http_request_duration_seconds_bucket{le=\"\(bound)\"} "
                + "\(snapshot.bucketCounts[index])\n"
        }
        out += "whoot_http_request_duration_seconds_bucket{le=\"+Inf\"} \(snapshot.count)\n"
        out += "whoot_http_request_duration_seconds_sum \(snapshot.sum)\n"
        out += "whoot_http_request_duration_seconds_count \(snapshot.count)\n"
    }
}

/// Renders every whootd metric in the Prometheus text format (version 0.0.4).
struct MetricsRenderer {
    let relay: Relay
    let http: HTTPMetrics
    let limits: LimitHits
    let recording: RecordingWriter

    func render() -> String {
        var out = ""
        let counters = relay.counters
        let sessions = relay.sessions()
        let channels = Set(sessions.map { "\($0.tenant.rawValue)/\($0.channel.rawValue)" })
        gauge(&out, "whoot_sessions", "Live media sessions.", UInt64(sessions.count))
        gauge(&out, "whoot_channels", "Channels with at least one live session.",
              UInt64(channels.count))
        let series: [(String, String, UInt64)] = [
            ("whoot_packets_in_total", "UDP datagrams received.",
             counters.packetsIn.load(ordering: .relaxed)),
            ("whoot_bytes_in_total", "UDP bytes received.",
             counters.bytesIn.load(ordering: .relaxed)),
            ("whoot_packets_out_total", "UDP datagrams sent.",
             counters.packetsOut.load(ordering: .relaxed)),
            ("whoot_bytes_out_total", "UDP bytes sent.",
             counters.bytesOut.load(ordering: .relaxed)),
            ("whoot_rtp_forwarded_total", "RTP packets forwarded to a listener.",
             counters.rtpForwarded.load(ordering: .relaxed)),
            ("whoot_rtcp_received_total", "SRTCP packets received and decrypted.",
             counters.rtcpReceived.load(ordering: .relaxed)),
            ("whoot_rtcp_malformed_total", "RTCP compounds that failed validation.",
             counters.rtcpMalformed.load(ordering: .relaxed)),
            ("whoot_dtls_handshakes_total", "DTLS handshakes completed.",
             counters.dtlsHandshakesCompleted.load(ordering: .relaxed)),
            ("whoot_dtls_failures_total", "DTLS handshakes that failed.",
             counters.dtlsFailures.load(ordering: .relaxed)),
            ("whoot_dtls_released_total", "DTLS endpoints released after their handshake.",
             counters.dtlsEndpointsReleased.load(ordering: .relaxed)),
            ("whoot_sessions_admitted_total", "Media sessions admitted.",
             counters.sessionsAdmitted.load(ordering: .relaxed)),
            ("whoot_sessions_closed_total", "Media sessions closed.",
             counters.sessionsClosed.load(ordering: .relaxed)),
        ]
        for (name, help, value) in series { counter(&out, name, help, value) }
        gauge(&out, "whoot_recording_channels", "Channels being recorded.",
              UInt64(recording.taps().count))
        counter(&out, "whoot_recording_write_errors_total",
                "Recording file or database writes that failed (a full disk, say); each is "
                    + "logged, and the channel's recording retries after a pause.",
                recording.errorCount)

        out += "# HELP whoot_drops_total Datagrams dropped by the media plane, by reason.\n"
        out += "# TYPE whoot_drops_total counter\n"
        for reason in DropReason.allCases {
            out += "whoot_drops_total{reason=\"\(reason.label)\"} \(counters.drops(reason))\n"
        }
        http.render(into: &out)
        limits.render(into: &out)
        return out
    }

    private func counter(_ out: inout String, _ name: String, _ help: String, _ value: UInt64) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
    }

    private func gauge(_ out: inout String, _ name: String, _ help: String, _ value: UInt64) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(value)\n"
    }
}

import Foundation

/// CPU time and memory of a relay process, read from /proc (all threads included).
struct ProcessStats {
    let pid: Int32

    /// User + system CPU time of every thread so far, in ns (/proc/<pid>/stat fields 14-15).
    func cpuNanoseconds() -> UInt64 {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12 else { return 0 }
        let ticks = (UInt64(fields[11]) ?? 0) + (UInt64(fields[12]) ?? 0)
        return ticks * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory in bytes (VmRSS).
    func residentBytes() -> UInt64 { kibField("/proc/\(pid)/status", "VmRSS:") * 1024 }

    /// Resident anonymous memory in bytes (heap, stacks, private maps; smaps_rollup).
    func anonymousBytes() -> UInt64 { kibField("/proc/\(pid)/smaps_rollup", "Anonymous:") * 1024 }

    private func kibField(_ path: String, _ name: String) -> UInt64 {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) })
        else { return 0 }
        return line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
    }
}

/// Which relay a run measures.
enum RelayKind: String {
    case whootd, janus
}

/// A relay process started for one scenario.
protocol RelayUnderTest: AnyObject {
    var kind: RelayKind { get }
    var stats: ProcessStats { get }
    func stop()
}

import Foundation

/// CPU time and memory of a relay process, read from /proc (all threads included).
struct ProcessStats {
    let pid: Int32

    /// CPU time of every live thread so far, in ns: the sum of the first field of
    /// /proc/<pid>/task/*/schedstat (ns resolution; /proc/<pid>/stat counts 10 ms ticks,
    /// too coarse for 1.5 s windows). Threads that have exited are not counted.
    func cpuNanoseconds() -> UInt64 {
        let tasks = "/proc/\(pid)/task"
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: tasks) else {
            return 0
        }
        var total: UInt64 = 0
        for thread in threads {
            guard let text = try? String(
                contentsOfFile: "\(tasks)/\(thread)/schedstat", encoding: .utf8)
            else { continue }
            total += text.split(separator: " ").first.flatMap { UInt64($0) } ?? 0
        }
        return total
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

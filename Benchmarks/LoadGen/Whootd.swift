import Foundation

/// A whootd started for the benchmark on free loopback ports, and the whootctl and WHIP
/// calls that admit participants.
final class Whootd {
    let process = Process()
    let stateDir: String
    let socketPath: String
    let httpsPort: UInt16
    let udpPort: UInt16
    let whootctl: String
    private let output = Pipe()

    init(whootd: String, whootctl: String) throws {
        let work = NSTemporaryDirectory() + "whoot-loadgen-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        stateDir = work + "/state"
        socketPath = work + "/admin.sock"
        httpsPort = freePort(SOCK_STREAM)
        udpPort = freePort(SOCK_DGRAM)
        self.whootctl = whootctl
        process.executableURL = URL(fileURLWithPath: whootd)
        process.arguments = [
            "--state-dir", stateDir, "--https", "127.0.0.1:\(httpsPort)",
            "--udp", "127.0.0.1:\(udpPort)", "--admin-socket", socketPath,
            "--log-level", "notice",
        ]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            seen.append(output.fileHandleForReading.availableData)
            if String(decoding: seen, as: UTF8.self).contains("whootd ready") { return }
        }
        throw LoadGenError("whootd printed no ready line: \(String(decoding: seen, as: UTF8.self))")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    @discardableResult
    func ctl(_ arguments: [String]) throws -> String {
        try run(whootctl, ["--socket", socketPath] + arguments)
    }

    /// A member in `channel` (created on first use) and a join token for it.
    func token(channel: String, member: String) throws -> String {
        try ctl(["member", "invite", "--tenant", "demo", "--handle", member,
                 "--email", "\(member)@example.invalid"])
        try ctl(["assign", "--tenant", "demo", "--channel", channel, "--member", member])
        return try ctl(["token", "join", "--tenant", "demo", "--channel", channel,
                        "--member", member]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// POSTs `offer` to /whip with curl (self-signed certificate); returns the answer.
    func whip(offer: String, token: String) throws -> String {
        try run("/usr/bin/curl", [
            "-sk", "--fail", "-X", "POST", "-H", "Authorization: Bearer \(token)",
            "-H", "Content-Type: application/sdp", "--data-binary", offer,
            "https://127.0.0.1:\(httpsPort)/whip",
        ])
    }

    /// CPU time of whootd so far (user + system), in nanoseconds, from /proc.
    func cpuNanoseconds() -> UInt64 {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat",
                                     encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = (UInt64(fields[11]) ?? 0) + (UInt64(fields[12]) ?? 0)
        return ticks * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory of whootd in bytes, from /proc.
    func residentBytes() -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status",
                                       encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (UInt64(line.split(separator: " ")[1]) ?? 0) * 1024
    }
}

func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    let pipe = Pipe()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw LoadGenError(
            "\(executable) \(arguments.prefix(3)) exited \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self)
}

func freePort(_ kind: __socket_type) -> UInt16 {
    let fd = socket(AF_INET, Int32(kind.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return UInt16(bigEndian: address.sin_port)
}

struct LoadGenError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

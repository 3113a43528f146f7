import CLoadGen
import Foundation
import TestKit
import Wire

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
        // The admission limits' defaults (200 sessions a channel, 1000 a tenant, 20 pending
        // per address) are for production; the benchmark admits up to 2000 from 127.0.0.1.
        try """
            max_sessions_per_tenant = 10000
            max_sessions_per_channel = 5000
            max_pending_sessions = 5000
            max_pending_sessions_per_ip = 1000
            """.write(toFile: work + "/whootd.conf", atomically: true, encoding: .utf8)
        process.setCommand(whootd, [
            "--config", work + "/whootd.conf",
            "--state-dir", stateDir, "--https", "127.0.0.1:\(httpsPort)",
            "--udp", "127.0.0.1:\(udpPort)", "--admin-socket", socketPath,
            "--log-level", "notice",
        ])
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            seen.append(output.fileHandleForReading.availableData)
            if String(decoding: seen, as: UTF8.self).contains("whootd ready") {
                // Keep draining its log, or whootd would block once the pipe is full.
                let reader = output.fileHandleForReading
                Thread.detachNewThread { while !reader.availableData.isEmpty {} }
                return
            }
        }
        throw LoadGenError("whootd printed no ready line: \(String(decoding: seen, as: UTF8.self))")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        let work = (stateDir as NSString).deletingLastPathComponent
        try? FileManager.default.removeItem(atPath: work)
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

    /// A member `name` in `channel` with a WHIP session of `slots` audio m-lines (the first
    /// sendrecv), connected (ICE, DTLS) and ready to send and receive SRTP.
    func admit(channel: String, name: String, slots: Int) throws -> Participant {
        let peer = try TestPeer(relayUfrag: "", relayPassword: "")
        let ssrc = SSRC(UInt32.random(in: 1...UInt32.max))
        let answer = try whip(
            offer: whipOffer(peer: peer, ssrc: ssrc, slots: slots),
            token: token(channel: channel, member: name))
        let remote = try RemoteDescription(parsing: answer)
        peer.adopt(remote)
        try peer.connectRetrying(relayPort: udpPort, relayFingerprint: remote.fingerprint)
        return Participant(peer: peer, ssrc: ssrc, relayPort: udpPort)
    }

    private func whipOffer(peer: TestPeer, ssrc: SSRC, slots: Int) -> String {
        var lines = [
            "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0",
            "a=group:BUNDLE " + (0..<slots).map(String.init).joined(separator: " "),
        ]
        for mid in 0..<slots {
            lines += [
                "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 127.0.0.1",
                mid == 0 ? "a=sendrecv" : "a=recvonly",
                "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
                "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level", "a=mid:\(mid)",
                "a=rtcp-mux", "a=rtpmap:111 opus/48000/2",
                "a=ice-ufrag:\(peer.ufrag)", "a=ice-pwd:\(TestPeer.icePassword)",
                "a=fingerprint:sha-256 \(peer.fingerprintSDP)", "a=setup:active",
            ]
            if mid == 0 { lines.append("a=ssrc:\(ssrc.rawValue) cname:loadgen") }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

extension Whootd: RelayUnderTest {
    var kind: RelayKind { .whootd }
    var stats: ProcessStats { ProcessStats(pid: process.processIdentifier) }

    /// CPU time of whootd so far (user + system), in nanoseconds, from /proc.
    func cpuNanoseconds() -> UInt64 { stats.cpuNanoseconds() }

    /// Resident memory of whootd in bytes, from /proc.
    func residentBytes() -> UInt64 { stats.residentBytes() }
}

/// Runs `executable` to its end and returns its standard output; throws when it cannot
/// start or exits with a status other than 0. Any thread may call it.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> String {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw LoadGenError("pipe failed: errno \(errno)") }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let pid = lg_spawn(executable, argv, fds[1])
    close(fds[1])
    guard pid > 0 else {
        close(fds[0])
        throw LoadGenError("cannot start \(executable): errno \(errno)")
    }

    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { break }
        output += buffer[0..<count]
    }
    close(fds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else {
        throw LoadGenError("\(executable) \(arguments.prefix(3)) exited with status \(status)")
    }
    return String(decoding: output, as: UTF8.self)
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

extension Process {
    /// Runs `binary` with `arguments`, under `taskset -c <relayCPUs>` when `--relay-cpus`
    /// was given (taskset execs the relay, so the pid, and its CPU time, are the relay's).
    func setCommand(_ binary: String, _ arguments: [String]) {
        if let cpus = relayCPUs {
            executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            self.arguments = ["-c", cpus, binary] + arguments
        } else {
            executableURL = URL(fileURLWithPath: binary)
            self.arguments = arguments
        }
    }
}

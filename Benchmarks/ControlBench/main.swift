import Control
import Crypto
import Foundation
import Store
import Wire

/// ControlBench: how fast the control plane logs people in, issues and redeems join
/// tokens, and commits store write transactions on this machine. Each phase runs for a
/// fixed wall-clock budget on one thread over a fresh database in a temporary directory.
/// Run it under `/usr/bin/time -v` for the peak RSS; whole run < 30 s.

/// Seconds each phase runs.
let phaseSeconds = 5.0

/// Runs `body` for `phaseSeconds` and prints its rate.
func measure(_ name: String, unit: String, _ body: () throws -> Void) rethrows {
    let start = Date()
    var count = 0
    while Date().timeIntervalSince(start) < phaseSeconds {
        try body()
        count += 1
    }
    let elapsed = Date().timeIntervalSince(start)
    let rate = Double(count) / elapsed
    print(
        name.padding(toLength: 34, withPad: " ", startingAt: 0)
            + String(format: "%10.1f %@  (%d in %.2f s)", rate, unit, count, elapsed))
}

func run() throws {
    let directory = NSTemporaryDirectory() + "whoot-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let key = Secret(SecureRandom.bytes(32))
    let control = ControlPlane(store: try Store(path: directory + "/whoot.db", key: key))

    let tenant = try control.createTenant(slug: "bench", name: "Bench", actor: .system)
    let channel = try control.createChannel(tenant: tenant, name: "lobby", actor: .system)
    let member = try control.inviteMember(tenant: tenant, handle: "pat", actor: .system)
    try control.assign(member: member, channel: channel, in: tenant, actor: .system)
    let password = Secret(Base64URL.encode(SecureRandom.bytes(18)))
    try control.setPassword(tenant: tenant, member: member, password: password, actor: .system)
    let hash = try Passwords.hash(password)

    print("ControlBench: one thread, phases of \(Int(phaseSeconds)) s, encrypted database")
    print(
        "Argon2id m=\(Passwords.memoryKiB) KiB t=\(Passwords.iterations) "
            + "p=\(Passwords.parallelism)")
    try measure("logins (Argon2id verify + write)", unit: "logins/s") {
        let now = ControlPlane.wallClockMilliseconds()
        _ = try control.login(
            tenant: "bench", handle: "pat", password: password, ip: "127.0.0.1", now: now)
    }
    measure("  of which Argon2id verify alone", unit: "verifies/s") {
        _ = Passwords.verify(password, encoded: hash)
    }
    try measure("join tokens (issue + redeem)", unit: "tokens/s") {
        let now = ControlPlane.wallClockMilliseconds()
        let token = try control.issueJoinToken(
            tenant: tenant, channel: channel, member: member, now: now, actor: .system)
        _ = try control.redeemJoinToken(token.reveal, now: now)
    }
    var serial = 0
    try measure("store writes (channel + audit)", unit: "tx/s") {
        serial += 1
        try control.createChannel(tenant: tenant, name: "c\(serial)", actor: .system)
    }

    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print("peak RSS (getrusage): \(usage.ru_maxrss) KiB")
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("ControlBench: \(error)\n".utf8))
    exit(1)
}

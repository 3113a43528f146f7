import Control
import Crypto
import Foundation
import Store
import Wire

/// StoreBackendBench: join tokens (issue + redeem) and audited writes (a channel and its
/// audit entry in one transaction) per second, on SQLite (encrypted, the default) and on
/// PostgreSQL under row-level security, side by side. One thread per phase, plus one
/// phase of four writers on one tenant's audit chain. Whole run < 40 s.
///
/// usage: StoreBackendBench [APP_CONNINFO OWNER_CONNINFO]
/// Without conninfos only SQLite runs; scripts/bench-store.sh starts a throwaway cluster
/// and passes them.

/// Seconds each phase runs.
let phaseSeconds = 4.0

/// Runs `body` for `phaseSeconds` on `threads` threads and returns operations per second.
func rate(threads: Int = 1, _ body: @escaping (Int) throws -> Void) -> Double {
    let lock = NSLock()
    var total = 0
    var failure: Error?
    let start = Date()
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        var count = 0
        while Date().timeIntervalSince(start) < phaseSeconds {
            do { try body(thread) } catch {
                lock.lock(); failure = error; lock.unlock()
                return
            }
            count += 1
        }
        lock.lock(); total += count; lock.unlock()
    }
    if let failure { fatalError("StoreBackendBench: \(failure)") }
    return Double(total) / Date().timeIntervalSince(start)
}

/// The figures of one backend; `open` makes another store on the same database.
func measure(_ open: () throws -> Store) throws -> [Double] {
    let control = ControlPlane(store: try open())
    let tenant = try control.createTenant(slug: "bench", name: "Bench", actor: .system)
    let channel = try control.createChannel(tenant: tenant, name: "lobby", actor: .system)
    let member = try control.inviteMember(tenant: tenant, handle: "pat", actor: .system)
    try control.assign(member: member, channel: channel, in: tenant, actor: .system)

    let tokens = rate { _ in
        let now = ControlPlane.wallClockMilliseconds()
        let token = try control.issueJoinToken(
            tenant: tenant, channel: channel, member: member, now: now, actor: .system)
        _ = try control.redeemJoinToken(token.reveal, now: now)
    }
    var serial = 0
    let writes = rate { _ in
        serial += 1
        try control.createChannel(tenant: tenant, name: "c\(serial)", actor: .system)
    }
    let writers = try (0..<4).map { _ in ControlPlane(store: try open()) }
    let counters = (0..<4).map { _ in Counter() }
    let concurrent = rate(threads: 4) { thread in
        counters[thread].value += 1
        try writers[thread].createChannel(
            tenant: tenant, name: "w\(thread)-\(counters[thread].value)", actor: .system)
    }
    // The same, through the one store of `control` (PostgreSQL: its connection pool).
    let pooled = (0..<4).map { _ in Counter() }
    let shared = rate(threads: 4) { thread in
        pooled[thread].value += 1
        try control.createChannel(
            tenant: tenant, name: "p\(thread)-\(pooled[thread].value)", actor: .system)
    }
    guard try control.verifyAudit(tenant: tenant).ok else {
        throw StoreError("bench", message: "audit chain does not verify after the run")
    }
    return [tokens, writes, concurrent, shared]
}

final class Counter { var value = 0 }

func run() throws {
    let arguments = CommandLine.arguments.dropFirst()
    let directory = NSTemporaryDirectory() + "whoot-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let key = Secret(SecureRandom.bytes(32))

    var columns: [(String, [Double])] = []
    columns.append(("SQLite", try measure { try Store(path: directory + "/w.db", key: key) }))
    if arguments.count == 2 {
        let app = Secret(arguments[arguments.startIndex])
        let owner = Secret(arguments[arguments.startIndex + 1])
        _ = try Store(postgres: app, migrateAs: owner)
        columns.append(("PostgreSQL", try measure { try Store(postgres: app) }))
    }

    print("StoreBackendBench: phases of \(Int(phaseSeconds)) s; audit chain verified after")
    let header = columns.map { $0.0.padding(toLength: 12, withPad: " ", startingAt: 0) }
    print("".padding(toLength: 40, withPad: " ", startingAt: 0) + header.joined())
    let names = [
        "join tokens/s (issue + redeem)", "audited writes/s (1 writer)",
        "audited writes/s (4 writers, 1 chain)",
        "same, 4 threads on one store (pool)",
    ]
    for (index, name) in names.enumerated() {
        let cells = columns.map {
            String(format: "%-12.1f", $0.1[index])
        }
        print(name.padding(toLength: 40, withPad: " ", startingAt: 0) + cells.joined())
    }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("StoreBackendBench: \(error)\n".utf8))
    exit(1)
}

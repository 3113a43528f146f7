import Control
import Crypto
import Foundation
import Store
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Exports a 1,000,000-entry audit log and prints entries/s and the export's peak RSS.
///
/// `AuditExportBench [ENTRIES]` builds the log in a temporary database (appending through
/// the store, so every entry is hash-chained), then runs the export in a child process
/// (`AuditExportBench export DB`) so that its peak RSS is the export's alone.

func peakRSSKiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

func generate(path: String, entries: Int) throws {
    let store = try Store(path: path)
    let control = ControlPlane(store: store)
    let tenant = try control.createTenant(slug: "bench", name: "Bench", actor: .system)
    let scope = TenantScope(tenant)
    let actions = AuditAction.allCases.map(\.rawValue)
    var written = 1
    let started = Date()
    while written < entries {
        try store.write { transaction in
            for _ in 0..<min(10_000, entries - written) {
                written += 1
                try transaction.appendAudit(scope, AuditEntry(
                    actor: "member:\(written % 50)", action: actions[written % actions.count],
                    target: "channel:\(written % 20)", atMs: 1_700_000_000_000 + Int64(written),
                    ip: "192.0.2.\(written % 250)", requestID: "req-\(written)",
                    metadataJSON: #"{"channel":\#(written % 20),"note":"=x, \"quoted\""}"#))
            }
        }
    }
    print("generated \(entries) entries in "
        + String(format: "%.1f", Date().timeIntervalSince(started)) + " s")
}

func export(path: String) throws {
    let control = ControlPlane(store: try Store(path: path))
    try control.auditSettings.configure(
        signer: try Ed25519.PrivateKey.generate(), checkpointFile: nil)
    let tenant = try control.tenantID(slug: "bench")
    let before = peakRSSKiB()
    let started = Date()
    var bytes = 0
    let summary = try control.exportAudit(
        tenant: tenant, filter: AuditFilter(), actor: .system
    ) { bytes += $0.count }
    let seconds = Date().timeIntervalSince(started)
    let rows = summary.entries + summary.links
    print("exported \(rows) entries, \(bytes / 1_048_576) MiB of CSV in "
        + String(format: "%.2f", seconds) + " s: "
        + String(format: "%.0f", Double(rows) / seconds) + " entries/s")
    print("peak RSS: \(peakRSSKiB() / 1024) MiB (\(before / 1024) MiB before the export)")
}

let arguments = CommandLine.arguments
do {
    if arguments.count == 3, arguments[1] == "export" {
        try export(path: arguments[2])
    } else {
        let entries = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
        let directory = NSTemporaryDirectory() + "whoot-audit-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try generate(path: directory + "/bench.db", entries: entries)
        fflush(stdout)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: arguments[0])
        child.arguments = ["export", directory + "/bench.db"]
        try child.run()
        child.waitUntilExit()
    }
} catch {
    FileHandle.standardError.write(Data("AuditExportBench: \(error)\n".utf8))
    exit(1)
}

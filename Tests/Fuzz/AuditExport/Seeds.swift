import Control
import Crypto
import Foundation
import Store
import Wire

/// The key the seeds are signed with; the target verifies with its public half.
let fuzzSigner = try! Ed25519.PrivateKey(seed: Secret((0..<32).map { UInt8($0) &* 5 &+ 1 }))

/// Writes the AuditExport seeds into `directory`: exports made by the control plane of a
/// tenant with a few members and channels (everything; one action only, so rows become
/// links; a checkpoint every 3 entries), plus one with an edited cell and one cut short.
/// Returns the exit status.
func writeSeeds(to directory: String) -> Int32 {
    let scratch = NSTemporaryDirectory() + "whoot-fuzz-audit-seeds-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    do {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            atPath: scratch, withIntermediateDirectories: true)
        let control = ControlPlane(store: try Store(path: scratch + "/whoot.db"),
                                   clock: { 1_700_000_000_000 })
        try control.auditSettings.configure(
            signer: fuzzSigner, checkpointFile: scratch + "/checkpoints.log", checkpointEvery: 3)
        let tenant = try control.createTenant(
            slug: "acme", name: "=1+1, \"Acme\" Ltd", actor: .system)
        let lobby = try control.createChannel(tenant: tenant, name: "lobby", actor: .system)
        _ = try control.createChannel(tenant: tenant, name: "ops", actor: .system)
        let pat = try control.inviteMember(
            tenant: tenant, handle: "pat", email: "pat@acme.example", actor: .system)
        try control.assign(member: pat, channel: lobby, in: tenant, actor: .system)

        func export(_ filter: AuditFilter) throws -> [UInt8] {
            var bytes: [UInt8] = []
            try control.exportAudit(tenant: tenant, filter: filter, actor: .localUser(0)) {
                bytes += $0
            }
            return bytes
        }
        let all = try export(AuditFilter())
        var seeds = [("export-all", all)]
        var filter = AuditFilter()
        filter.actions = [AuditAction.memberInvite.rawValue]
        seeds.append(("export-invites", try export(filter)))
        let text = String(decoding: all, as: UTF8.self)
        seeds.append(("export-edited", Array(text.replacingOccurrences(
            of: "lobby", with: "lobbx").utf8)))
        seeds.append(("export-cut", Array(all.prefix(all.count * 2 / 3))))
        for (name, bytes) in seeds {
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
            var done = false
            var reader = CSVReader {
                defer { done = true }
                return done ? nil : bytes
            }
            let report = try AuditExportVerifier.verify(
                &reader, publicKey: try fuzzSigner.publicKey)
            print("\(name): \(report.problem.map { "\($0)" } ?? "verifies")")
        }
        print("wrote \(seeds.count) seeds to \(directory)")
        return 0
    } catch {
        print("cannot write seeds to \(directory): \(error)")
        return 1
    }
}

import Control
import Crypto
import Foundation
import Store
import Wire

extension Fixture {
    /// Configures a fresh signing key and a checkpoint file in the fixture's directory.
    @discardableResult
    func sealAudit(every: Int64 = 1_000) throws -> Ed25519.PublicKey {
        let key = try Ed25519.PrivateKey.generate()
        try control.auditSettings.configure(
            signer: key, checkpointFile: directory + "/checkpoints.log", checkpointEvery: every)
        return try key.publicKey
    }

    /// Seals the log with a checkpoint every 4 entries and makes tenant acme with two
    /// channels and three members: 12 entries, checkpoints at 4, 8 and 12.
    func sealedTenantWithThreeCheckpoints() throws -> TenantID {
        try sealAudit(every: 4)
        return try tenant("acme", channels: ["a", "b"], members: ["x", "y", "z"])
    }

    /// Every audit record of `tenant`, in order.
    func auditLog(_ tenant: TenantID) throws -> [AuditRecord] {
        try control.store.read { try $0.auditEvents(TenantScope(tenant), limit: 100_000) }
    }

    /// The whole export as bytes.
    func export(_ tenant: TenantID, _ filter: AuditFilter = AuditFilter()) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try control.exportAudit(tenant: tenant, filter: filter, actor: .localUser(0)) {
            bytes += $0
        }
        return bytes
    }
}

/// Parses and verifies an export with nothing but its bytes and the public key.
func verifyExport(_ bytes: [UInt8], key: Ed25519.PublicKey) throws -> AuditExportReport {
    var done = false
    var reader = CSVReader {
        defer { done = true }
        return done ? nil : bytes
    }
    return try AuditExportVerifier.verify(&reader, publicKey: key)
}

/// Every CSV record of an export, header included, cells restored.
func csvRows(_ bytes: [UInt8]) throws -> [[String]] {
    var done = false
    var reader = CSVReader {
        defer { done = true }
        return done ? nil : bytes
    }
    var rows: [[String]] = []
    while let row = try reader.record() { rows.append(row) }
    return rows
}

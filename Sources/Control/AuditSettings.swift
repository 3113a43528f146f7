import Crypto
import Foundation

/// How the audit log is sealed: the Ed25519 key that signs checkpoints, the append-only
/// file checkpoints are copied to, and how many entries may pass between checkpoints.
/// Set once at start-up; thread-safe.
public final class AuditSettings: @unchecked Sendable {
    private let lock = NSLock()
    private var signerValue: Ed25519.PrivateKey?
    private var publicKeyValue: Ed25519.PublicKey?
    private var fileValue: String?
    private var everyValue: Int64 = 1_000
    private var completeValue = true

    /// Exports in progress that a client continues chunk by chunk.
    public let exports = AuditExportRegistry()

    init() {}

    /// Installs the signing key and the checkpoint file (`<state>/audit/checkpoints.log`;
    /// nil keeps checkpoints in the database only). `fileHoldsEveryCheckpoint` is true when
    /// this process is the database's only writer (SQLite), so that verification requires
    /// a line in the file for every checkpoint in the database; nodes sharing a PostgreSQL
    /// database each hold only their own checkpoints in their file.
    public func configure(
        signer: Ed25519.PrivateKey, checkpointFile: String?, checkpointEvery: Int64 = 1_000,
        fileHoldsEveryCheckpoint: Bool = true
    ) throws {
        let publicKey = try signer.publicKey
        lock.lock()
        signerValue = signer
        publicKeyValue = publicKey
        fileValue = checkpointFile
        everyValue = max(1, checkpointEvery)
        completeValue = fileHoldsEveryCheckpoint
        lock.unlock()
    }

    /// The signing key, nil until configured.
    public var signer: Ed25519.PrivateKey? { locked { signerValue } }

    /// The public key auditors verify checkpoints with.
    public var publicKey: Ed25519.PublicKey? { locked { publicKeyValue } }

    /// The append-only checkpoint file, if any.
    public var checkpointFile: String? { locked { fileValue } }

    /// Entries between automatic checkpoints.
    public var checkpointEvery: Int64 { locked { everyValue } }

    /// Whether the file should hold a line for every checkpoint in the database.
    public var fileHoldsEveryCheckpoint: Bool { locked { completeValue } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

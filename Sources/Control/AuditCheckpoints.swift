import Crypto
import Foundation
import Store
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Signed checkpoints of the audit log. Each one is stored in the database and appended to
/// `AuditSettings.checkpointFile` (one line each, fsync'd), so a database whose tail was cut
/// off still disagrees with the file.
///
/// File line: `whoot-checkpoint-v1 <tenant> <seq> <entry_hash hex> <at_ms> <key_id>
/// <signature hex>`.
extension ControlPlane {
    /// Held while a checkpoint's line is appended and its row committed, and while
    /// verification reads both, so that it never sees the row without the line.
    static let checkpointLock = NSLock()

    /// Signs the tenant's log head unless the latest checkpoint already covers it.
    /// Returns the new checkpoint, or nil when there was nothing new or no signing key.
    /// - Parameter now: Unix time in ms.
    @discardableResult
    public func checkpointAudit(tenant: TenantID, now: Int64) throws -> AuditCheckpoint? {
        guard let signer = auditSettings.signer, let publicKey = auditSettings.publicKey else {
            return nil
        }
        Self.checkpointLock.lock()
        defer { Self.checkpointLock.unlock() }
        let scope = TenantScope(tenant)

        let file = auditSettings.checkpointFile
        return try store.write { transaction -> AuditCheckpoint? in
            guard let head = try transaction.auditHead(scope) else { return nil }
            if let latest = try transaction.latestAuditCheckpoint(scope), latest.seq >= head.seq {
                return nil
            }
            let message = AuditChain.checkpointMessage(
                tenant: tenant.rawValue, seq: head.seq, entryHash: head.entryHash, atMs: now)
            let checkpoint = AuditCheckpoint(
                tenant: tenant, seq: head.seq, entryHash: head.entryHash, atMs: now,
                keyID: publicKey.keyID, signature: try signer.sign(message))
            // The file's line first: when it cannot be written (a full disk) there is no
            // checkpoint at all and the next one covers these entries; when whootd dies
            // between the append and the commit, the file holds a line the database lacks,
            // which still verifies against the chain. So every checkpoint in the database
            // has its line, across failures and restarts.
            if let file {
                try Self.appendCheckpointLine(checkpoint, to: file)
            }
            try transaction.insertAuditCheckpoint(checkpoint)
            return checkpoint
        }
    }

    /// Checkpoints every tenant whose log moved since its last checkpoint (the timer's job).
    public func checkpointAllAudit(now: Int64) throws -> [AuditCheckpoint] {
        try tenants().compactMap { try checkpointAudit(tenant: $0.id, now: now) }
    }

    /// One complete line of the checkpoint file: its number (from 1) and its checkpoint.
    public struct CheckpointFileLine: Sendable, Equatable {
        public let number: Int
        public let checkpoint: AuditCheckpoint
    }

    /// The checkpoints recorded in `path`, in file order; a missing file holds none.
    public static func readCheckpointFile(_ path: String) throws -> [AuditCheckpoint] {
        try readCheckpointLines(path).map(\.checkpoint)
    }

    /// The checkpoint lines of `path`, in file order; a missing file holds none.
    /// A final line without its newline is a write cut short (a crash or a full disk) and
    /// is skipped: it was never acknowledged. Throws `ControlError` naming the file (and
    /// the line) when it is not a regular file, cannot be read, or has a complete line
    /// that is not a checkpoint (the file was tampered with).
    public static func readCheckpointLines(_ path: String) throws -> [CheckpointFileLine] {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return [] }
            throw fileError("reading", path)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ControlError.conflict("audit checkpoint file \(path) is not a regular file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fileError("reading", path)
        }
        var lines = Array(data).split(separator: 0x0A, omittingEmptySubsequences: false)
        lines.removeLast()  // after the last newline: empty, or a torn write
        return try lines.enumerated().map { index, bytes in
            guard let text = String(validating: bytes, as: UTF8.self),
                let checkpoint = parseCheckpointLine(text)
            else {
                throw ControlError.badRequest(
                    "checkpoint file \(path) line \(index + 1) is not a checkpoint")
            }
            return CheckpointFileLine(number: index + 1, checkpoint: checkpoint)
        }
    }

    private static func parseCheckpointLine(_ line: String) -> AuditCheckpoint? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            .map(String.init)
        guard fields.count == 7, fields[0] == "whoot-checkpoint-v1",
            let tenant = Int64(fields[1]), let seq = Int64(fields[2]),
            let hash = Hex.decode(fields[3]), hash.count == 32,
            let atMs = Int64(fields[4]), let signature = Hex.decode(fields[6])
        else { return nil }
        return AuditCheckpoint(
            tenant: TenantID(tenant), seq: seq, entryHash: hash, atMs: atMs,
            keyID: fields[5], signature: signature)
    }

    static func appendCheckpointLine(_ checkpoint: AuditCheckpoint, to path: String) throws {
        let line = "whoot-checkpoint-v1 \(checkpoint.tenant.rawValue) \(checkpoint.seq) "
            + "\(Hex.encode(checkpoint.entryHash)) \(checkpoint.atMs) \(checkpoint.keyID) "
            + "\(Hex.encode(checkpoint.signature))\n"
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fileError("opening", path) }
        defer { close(fd) }
        try dropTornTail(fd, path: path)
        let bytes = Array(line.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw fileError("appending to", path) }
            written += count
        }
        guard fsync(fd) == 0 else { throw fileError("syncing", path) }
    }

    /// A final line without its newline is a write that a crash or a full disk cut short;
    /// it was never acknowledged, so it is cut off before the next line is appended (else
    /// it would become a complete, malformed line). Lines are far shorter than 4 KiB.
    private static func dropTornTail(_ fd: Int32, path: String) throws {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return }
        var tail = [UInt8](repeating: 0, count: Int(min(size, 4096)))
        let start = size - off_t(tail.count)
        guard pread(fd, &tail, tail.count, start) == tail.count else {
            throw fileError("reading", path)
        }
        guard tail.last != 0x0A else { return }
        let keep = tail.lastIndex(of: 0x0A).map { start + off_t($0) + 1 } ?? 0
        guard ftruncate(fd, keep) == 0 else { throw fileError("repairing", path) }
    }

    private static func fileError(_ verb: String, _ path: String) -> ControlError {
        ControlError.conflict(
            "\(verb) audit checkpoint file \(path): \(String(cString: strerror(errno)))")
    }
}

extension ControlPlane {
    /// Records an audit event for a subsystem that owns its own change (add-ons, billing,
    /// SSO, MFA, recording and transcription access, settings): in its own transaction,
    /// with the tenant's next seq. Use it right after the change commits.
    /// - Parameter metadata: JSON-serializable values; never a secret.
    /// - Returns: the entry's seq.
    @discardableResult
    public func recordAuditEvent(
        tenant: TenantID, actor: Actor, action: AuditAction, target: String,
        metadata: [String: Any] = [:]
    ) throws -> Int64 {
        let now = clock()
        let scope = TenantScope(tenant)
        return try store.write { transaction in
            guard try transaction.tenant(id: tenant) != nil else {
                throw ControlError.notFound("tenant not found")
            }
            try audit(transaction, scope, actor, action, target: target, at: now,
                      metadata: metadata)
            return try transaction.auditHead(scope)?.seq ?? 0
        }
    }

    /// Records an audit event inside a subsystem's own store transaction, so that it
    /// commits or rolls back with the change it records.
    public func recordAuditEvent(
        in transaction: WriteTransaction, tenant: TenantID, actor: Actor,
        action: AuditAction, target: String, metadata: [String: Any] = [:]
    ) throws {
        try audit(transaction, TenantScope(tenant), actor, action, target: target, at: clock(),
                  metadata: metadata)
    }
}

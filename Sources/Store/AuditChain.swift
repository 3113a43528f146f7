import Crypto
import Wire

/// The audit log's hash chain: the canonical encoding of one entry, and how each entry
/// commits to the one before it. README.md ("Verifying the audit log") spells out the
/// same rules for auditors who write their own verifier.
///
/// - body = "whoot-audit-entry-v1\n", then for each field in the order tenant, seq, at_ms,
///   actor, action, target, ip, request_id, metadata: its UTF-8 byte length in decimal,
///   ":", the bytes, "\n". Integers are written in decimal; an absent ip or request id is
///   the empty string.
/// - body_hash = SHA-256(body)
/// - entry_hash = SHA-256("whoot-audit-chain-v1\n" || prev_hash || body_hash), where
///   prev_hash is the previous entry's entry_hash (32 zero bytes before seq 1).
/// - A checkpoint signs, with Ed25519, "whoot-audit-checkpoint-v1\n" tenant "\n" seq "\n"
///   hex(entry_hash) "\n" at_ms "\n" (decimal integers, lower-case hex).
public enum AuditChain {
    /// The `prev_hash` of a tenant's first entry.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The canonical encoding of one entry's fields.
    public static func body(
        tenant: Int64, seq: Int64, atMs: Int64, actor: String, action: String, target: String,
        ip: String?, requestID: String?, metadata: String
    ) -> [UInt8] {
        var out = Array("whoot-audit-entry-v1\n".utf8)
        out.reserveCapacity(256)
        for field in [
            String(tenant), String(seq), String(atMs), actor, action, target, ip ?? "",
            requestID ?? "", metadata,
        ] {
            let bytes = Array(field.utf8)
            out.append(contentsOf: String(bytes.count).utf8)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// SHA-256 of the entry's canonical body.
    public static func bodyHash(tenant: Int64, seq: Int64, entry: AuditEntry) -> [UInt8] {
        Digest.sha256(body(
            tenant: tenant, seq: seq, atMs: entry.atMs, actor: entry.actor,
            action: entry.action, target: entry.target, ip: entry.ip,
            requestID: entry.requestID, metadata: entry.metadataJSON))
    }

    /// The entry hash that links `bodyHash` after `prevHash`.
    public static func entryHash(prevHash: [UInt8], bodyHash: [UInt8]) -> [UInt8] {
        Digest.sha256(Array("whoot-audit-chain-v1\n".utf8) + prevHash + bodyHash)
    }

    /// The bytes a checkpoint's signature covers.
    public static func checkpointMessage(
        tenant: Int64, seq: Int64, entryHash: [UInt8], atMs: Int64
    ) -> [UInt8] {
        Array("whoot-audit-checkpoint-v1\n\(tenant)\n\(seq)\n\(Hex.encode(entryHash))\n\(atMs)\n"
            .utf8)
    }
}

/// A signed statement that a tenant's log had `entryHash` at `seq`.
public struct AuditCheckpoint: Sendable, Hashable {
    public let tenant: TenantID
    public let seq: Int64
    public let entryHash: [UInt8]
    /// Unix time in ms when it was signed.
    public let atMs: Int64
    /// `Ed25519.PublicKey.keyID` of the signing key.
    public let keyID: String
    public let signature: [UInt8]

    public init(
        tenant: TenantID, seq: Int64, entryHash: [UInt8], atMs: Int64, keyID: String,
        signature: [UInt8]
    ) {
        self.tenant = tenant
        self.seq = seq
        self.entryHash = entryHash
        self.atMs = atMs
        self.keyID = keyID
        self.signature = signature
    }

    /// The bytes its signature covers.
    public var message: [UInt8] {
        AuditChain.checkpointMessage(
            tenant: tenant.rawValue, seq: seq, entryHash: entryHash, atMs: atMs)
    }
}

import CSQLite
import CSQLiteCrypt
import Crypto

/// One registration of the page-encrypting VFS (`CSQLiteCrypt`, see
/// docs/encryption-at-rest.md) under a name of its own, holding its own copy of the
/// 32-byte key. The only owner of that registration: `deinit` unregisters it, which wipes
/// the VFS's key copy. Connections opened through it keep it alive until they close.
final class EncryptedVFS {
    /// The name passed to `sqlite3_open_v2`.
    let name: String

    /// Registers a VFS for `key` (exactly 32 bytes).
    init(key: Secret<[UInt8]>) throws {
        guard key.reveal.count == Int(WHOOT_CRYPT_KEY_BYTES) else {
            throw StoreError(
                "database key", message: "key must be \(WHOOT_CRYPT_KEY_BYTES) bytes, "
                    + "got \(key.reveal.count)")
        }
        name = "whoot-crypt-" + Hex.encode(SecureRandom.bytes(8))
        let rc = key.reveal.withUnsafeBufferPointer {
            whoot_crypt_vfs_register(name, $0.baseAddress)
        }
        guard rc == SQLITE_OK else {
            throw StoreError(
                "database key", code: rc, message: "cannot register the encrypting VFS")
        }
    }

    deinit {
        _ = whoot_crypt_vfs_unregister(name)
    }

    /// Prepares a connection just opened through this VFS (page reserve, temp files in
    /// memory, key check against page 1); throws with the VFS's reason on failure.
    func prepare(_ db: OpaquePointer, path: String) throws {
        whoot_crypt_clear_error()
        let rc = whoot_crypt_prepare(db)
        guard rc == SQLITE_OK else { throw Self.failure("open \(path)", code: rc) }
    }

    /// The VFS's last error on this thread as a `StoreError`, for a failed open.
    static func failure(_ operation: String, code: Int32) -> StoreError {
        let reason = String(cString: whoot_crypt_last_error())
        return StoreError(
            operation, code: code,
            message: reason.isEmpty ? "encrypted database could not be opened" : reason)
    }
}

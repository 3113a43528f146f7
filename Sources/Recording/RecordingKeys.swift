import Crypto
import Foundation
import Store
import Wire

/// The recording key hierarchy: a master key (a file or systemd credential) wraps one key
/// per tenant, stored in the database; each tenant key wraps the keys of that tenant's
/// recording and transcript files, also stored in the database. Destroying a file's
/// wrapped key makes every copy of the file unreadable.
///
/// Thread-safe: unwrapped tenant keys are cached under a lock.
public final class RecordingKeys: @unchecked Sendable {
    private let master: Secret<[UInt8]>
    private let store: Store
    private let lock = NSLock()
    private var tenantKeys: [TenantID: Secret<[UInt8]>] = [:]

    public init(master: Secret<[UInt8]>, store: Store) {
        self.master = master
        self.store = store
    }

    /// The master key: the systemd credential `master.key`, else `<state>/keys/master.key`,
    /// created with 32 random bytes and mode 0600 when missing (see `KeyDirectory`). A key
    /// file readable by group or others is refused.
    public static func loadMasterKey(
        stateDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Secret<[UInt8]> {
        do {
            return try KeyDirectory(stateDirectory: stateDirectory, environment: environment)
                .symmetricKey("master.key", bytes: AES256GCM.keyBytes)
        } catch let error as CryptoError {
            throw RecordingError.key(error.description)
        }
    }

    /// The tenant's key, made and stored (wrapped by the master key) on first use.
    func tenantKey(_ tenant: TenantID, nowMs: Int64) throws -> Secret<[UInt8]> {
        lock.lock()
        defer { lock.unlock() }
        if let key = tenantKeys[tenant] { return key }
        let scope = TenantScope(tenant)
        let context = "whoot tenant recording key v1 \(tenant)"
        let key = try store.write { transaction -> Secret<[UInt8]> in
            if let wrapped = try transaction.wrappedTenantRecordingKey(scope) {
                return try KeyWrap.unwrap(wrapped, with: master, context: context)
            }
            let key = KeyWrap.generateKey()
            try transaction.insertTenantRecordingKey(
                scope, wrapped: try KeyWrap.wrap(key, with: master, context: context),
                nowMs: nowMs)
            return key
        }
        tenantKeys[tenant] = key
        return key
    }

    /// `key` wrapped for file `fileID` of `tenant`.
    public func wrapFileKey(_ key: Secret<[UInt8]>, tenant: TenantID, fileID: String, nowMs: Int64)
        throws -> [UInt8]
    {
        try KeyWrap.wrap(
            key, with: try tenantKey(tenant, nowMs: nowMs),
            context: Self.fileContext(tenant, fileID))
    }

    public func unwrapFileKey(_ wrapped: [UInt8], tenant: TenantID, fileID: String, nowMs: Int64)
        throws -> Secret<[UInt8]>
    {
        try KeyWrap.unwrap(
            wrapped, with: try tenantKey(tenant, nowMs: nowMs),
            context: Self.fileContext(tenant, fileID))
    }

    private static func fileContext(_ tenant: TenantID, _ fileID: String) -> String {
        "whoot recording file key v1 \(tenant) file:\(fileID)"
    }
}

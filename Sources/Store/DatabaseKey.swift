import Crypto
import Foundation

/// The database key: the systemd credential `db.key`, else `keys/db.key` under the state
/// directory, created on first start with 32 random bytes and mode 0600 (see
/// `KeyDirectory`). A key file its group or others may read is refused, as is one that is
/// not exactly 32 bytes.
public enum DatabaseKey {
    public static let fileName = "db.key"

    /// The key for the database under `stateDirectory`.
    /// - Parameter environment: the process environment (tests pass their own).
    public static func load(
        stateDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Secret<[UInt8]> {
        do {
            return try KeyDirectory(stateDirectory: stateDirectory, environment: environment)
                .symmetricKey(fileName)
        } catch let error as CryptoError {
            throw StoreError("database key", message: error.description)
        }
    }
}

import Crypto
import Foundation

/// The key that seals TOTP secrets: the systemd credential `mfa.key`, else `keys/mfa.key`
/// under the state directory, created on first start with 32 random bytes and mode 0600
/// (see `KeyDirectory`). A key file its group or others may read is refused.
public enum MFAKey {
    public static let fileName = "mfa.key"

    /// The MFA key for the daemon whose state is in `stateDirectory`.
    public static func load(
        stateDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Secret<[UInt8]> {
        try KeyDirectory(stateDirectory: stateDirectory, environment: environment)
            .symmetricKey(fileName, bytes: SecretBox.keyBytes)
    }
}

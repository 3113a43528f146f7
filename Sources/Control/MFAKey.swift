import Crypto
import Foundation

/// Where the key that seals TOTP secrets comes from: the systemd credential `mfa.key`
/// when `$CREDENTIALS_DIRECTORY` holds one (LoadCredential= / LoadCredentialEncrypted=),
/// else `keys/mfa.key` under the state directory, created on first start with 32 random
/// bytes and mode 0600. A key file its group or others may read is refused.
public enum MFAKey {
    public static let fileName = "mfa.key"

    /// The MFA key for the daemon whose state is in `stateDirectory`.
    public static func load(
        stateDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Secret<[UInt8]> {
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty,
            FileManager.default.fileExists(atPath: credentials + "/" + fileName)
        {
            return try read(credentials + "/" + fileName, checkMode: false)
        }
        let path = stateDirectory + "/keys/" + fileName
        if !FileManager.default.fileExists(atPath: path) { try create(path) }
        return try read(path, checkMode: true)
    }

    static func create(_ path: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create \(path)", errno) }
        defer { close(fd) }
        let key = SecureRandom.bytes(SecretBox.keyBytes)
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == key.count, fsync(fd) == 0 else {
            throw failure("cannot write \(path)", errno)
        }
    }

    static func read(_ path: String, checkMode: Bool) throws -> Secret<[UInt8]> {
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure("cannot read \(path)", errno) }
        if checkMode && info.st_mode & 0o077 != 0 {
            throw CryptoError(
                "MFA key", reason: "\(path) is open to group or others (mode "
                    + "\(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw failure("cannot read \(path)", errno)
        }
        guard data.count == SecretBox.keyBytes else {
            throw CryptoError(
                "MFA key", reason: "\(path) holds \(data.count) bytes, expected "
                    + "\(SecretBox.keyBytes)")
        }
        return Secret(Array(data))
    }

    static func failure(_ what: String, _ code: Int32) -> CryptoError {
        CryptoError("MFA key", reason: "\(what): \(String(cString: strerror(code)))")
    }
}

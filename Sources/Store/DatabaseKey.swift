import Crypto
import Foundation

/// Where the database key comes from: the systemd credential `db.key` when
/// `$CREDENTIALS_DIRECTORY` is set (LoadCredential= / LoadCredentialEncrypted=), else the
/// file `keys/db.key` under the state directory, created on first start with 32 bytes
/// from `SecureRandom` and mode 0600. A key file that its group or others may read is
/// refused, as is one that is not exactly 32 bytes.
public enum DatabaseKey {
    public static let fileName = "db.key"
    static let keyBytes = 32

    /// The key for the database under `stateDirectory`.
    /// - Parameter environment: the process environment (tests pass their own).
    public static func load(
        stateDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Secret<[UInt8]> {
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            return try read(credentials + "/" + fileName, checkMode: false)
        }
        let path = stateDirectory + "/keys/" + fileName
        if !FileManager.default.fileExists(atPath: path) {
            try create(path)
        }
        return try read(path, checkMode: true)
    }

    /// Writes a fresh key with mode 0600; fails if the file appeared meanwhile.
    static func create(_ path: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(path, "cannot create", errno) }
        defer { close(fd) }
        let key = SecureRandom.bytes(keyBytes)
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == keyBytes, fsync(fd) == 0 else {
            throw failure(path, "cannot write", errno)
        }
    }

    /// Reads exactly 32 bytes; with `checkMode`, refuses a file readable by group or others.
    /// (systemd credentials are private to the service by construction.)
    static func read(_ path: String, checkMode: Bool) throws -> Secret<[UInt8]> {
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure(path, "cannot read", errno) }
        if checkMode && info.st_mode & 0o077 != 0 {
            throw StoreError(
                "database key", message: "\(path) is readable or writable by group or others "
                    + "(mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw failure(path, "cannot read", errno)
        }
        guard data.count == keyBytes else {
            throw StoreError(
                "database key", message: "\(path) holds \(data.count) bytes, expected \(keyBytes)")
        }
        return Secret(Array(data))
    }

    static func failure(_ path: String, _ what: String, _ code: Int32) -> StoreError {
        StoreError(
            "database key", code: code,
            message: "\(what) \(path): \(String(cString: strerror(code)))")
    }
}

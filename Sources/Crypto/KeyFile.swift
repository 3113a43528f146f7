#if canImport(Glibc)
    import Glibc
#endif

/// Private key files on disk: the one place whoot reads and writes them.
///
/// A key file is created with mode 0600 from the start (a temporary file opened with
/// O_CREAT|O_EXCL, written, fsync'd, then linked into place, which never replaces anything
/// already there), and a key file that its group or others may open, or that another user
/// owns, is refused rather than used, with a line that says how to fix it. A name that
/// exists but cannot be opened (a symbolic link to a volume not mounted) is an error, never
/// "no key yet": a new key there would make everything sealed with the old one unreadable.
/// Bytes read are returned as `Secret`, and the read buffer is wiped.
public enum KeyFile {
    /// The file's bytes, or nil when there is no such file.
    /// - Parameter requirePrivate: refuse a file whose mode opens it to group or others;
    ///   false only for systemd credentials, which are private to the service by design.
    public static func read(_ path: String, requirePrivate: Bool = true) throws
        -> Secret<[UInt8]>?
    {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            var entry = stat()
            if code == ENOENT && lstat(path, &entry) != 0 { return nil }
            if code == ENOENT {
                throw CryptoError(
                    "opening key file \(path)",
                    reason: "it is a symbolic link to \(linkTarget(path)), which does not "
                        + "exist; mount or fix the target (a new key would make what the old "
                        + "one sealed unreadable)")
            }
            throw failure("opening", path, code)
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("inspecting", path, errno) }
        let mode = info.st_mode & 0o777
        if requirePrivate && info.st_uid != geteuid() {
            throw CryptoError(
                "reading key file \(path)",
                reason: "it is owned by uid \(info.st_uid), not by this process's uid "
                    + "\(geteuid()); chown it to the service's user")
        }
        if requirePrivate && mode & 0o077 != 0 {
            throw CryptoError(
                "reading key file \(path)",
                reason: "mode 0\(String(mode, radix: 8)) lets group or others read the key; "
                    + "run chmod 600 on it")
        }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { for index in chunk.indices { chunk[index] = 0 } }
        while true {
            let count = Glibc.read(fd, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("reading", path, errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return Secret(bytes)
    }

    /// Writes `contents` as a new private file at `path` (mode 0600), atomically.
    public static func create(_ path: String, contents: Secret<[UInt8]>) throws {
        let temporary = path + ".tmp-" + Hex.encode(SecureRandom.bytes(6))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("creating", temporary, errno) }

        let bytes = contents.reveal
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                close(fd)
                unlink(temporary)
                throw failure("writing", temporary, code)
            }
            written += count
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw failure("syncing", temporary, code)
        }
        close(fd)
        // link(2), unlike rename(2), fails when anything (even a dangling link) is there.
        guard link(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw failure("linking \(temporary) to", path, code)
        }
        unlink(temporary)
    }

    /// Where the symbolic link at `path` points, for messages.
    private static func linkTarget(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        return count > 0 ? String(cString: buffer) : "a missing file"
    }

    static func failure(_ verb: String, _ path: String, _ code: Int32) -> CryptoError {
        CryptoError("\(verb) key file \(path)", reason: String(cString: strerror(code)))
    }
}

/// Where whoot's keys live: the systemd credential `$CREDENTIALS_DIRECTORY/<name>` when
/// systemd passes one (LoadCredential= or LoadCredentialEncrypted=), else
/// `<state>/keys/<name>` (directory 0700, files 0600), created on first use.
public struct KeyDirectory: Sendable {
    /// `<state>/keys`.
    public let path: String
    /// `$CREDENTIALS_DIRECTORY`, when set.
    public let credentials: String?

    /// - Parameter environment: the process environment (tests pass their own).
    public init(stateDirectory: String, environment: [String: String]) throws {
        path = stateDirectory + "/keys"
        credentials = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw KeyFile.failure("creating directory for", path, errno)
        }
        guard chmod(path, 0o700) == 0 else {
            throw KeyFile.failure("restricting directory for", path, errno)
        }
    }

    /// The credential's path when systemd passed `name`, else nil.
    public func credentialPath(_ name: String) -> String? {
        guard let credentials else { return nil }
        let candidate = credentials + "/" + name
        return access(candidate, F_OK) == 0 ? candidate : nil
    }

    /// Where key `name` is read from: its credential, else keys/<name>.
    public func location(_ name: String) -> String {
        credentialPath(name) ?? path + "/" + name
    }

    /// Runs `parse` on key `name`'s bytes; a failure names the file it came from.
    func parsed<T>(_ name: String, _ parse: () throws -> T) throws -> T {
        do {
            return try parse()
        } catch let error as CryptoError {
            throw CryptoError("reading key \(location(name))", reason: error.description)
        }
    }

    /// The bytes of key `name`: from the credential, else from keys/<name>, made by
    /// `create` and stored with mode 0600 when missing.
    public func material(_ name: String, create: () throws -> Secret<[UInt8]>) throws
        -> Secret<[UInt8]>
    {
        if let credential = credentialPath(name) {
            guard let bytes = try KeyFile.read(credential, requirePrivate: false) else {
                throw KeyFile.failure("reading", credential, ENOENT)
            }
            return bytes
        }
        let file = path + "/" + name
        if let bytes = try KeyFile.read(file) { return bytes }
        let fresh = try create()
        try KeyFile.create(file, contents: fresh)
        return fresh
    }

    /// A random symmetric key of `bytes` bytes (AES-256 by default), made on first use.
    /// A file of another length is refused.
    public func symmetricKey(_ name: String, bytes: Int = 32) throws -> Secret<[UInt8]> {
        let key = try material(name) { Secret(SecureRandom.bytes(bytes)) }
        guard key.reveal.count == bytes else {
            throw CryptoError(
                "reading key \(location(name))",
                reason: "it holds \(key.reveal.count) bytes, expected \(bytes)")
        }
        return key
    }
}

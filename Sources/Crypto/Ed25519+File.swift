import COpenSSL

#if canImport(Glibc)
    import Glibc
#endif

extension Ed25519.PrivateKey {
    /// Reads the PEM key at `path`, or, if there is no such file and `create` is true,
    /// generates one and stores it there with mode 0600 (written under a temporary name,
    /// synced, renamed). A key file that group or others may read is refused.
    public static func loadOrCreate(path: String, create: Bool = true) throws
        -> Ed25519.PrivateKey
    {
        if let text = try readPrivateFile(path) {
            return try Ed25519.PrivateKey(pem: text)
        }
        guard create else {
            throw CryptoError("reading key file \(path)", reason: "no such file")
        }
        let key = try generate()
        try writePrivateFile(path, key.pem)
        return key
    }

    private static func readPrivateFile(_ path: String) throws -> Secret<String>? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw fileError("opening", path, errno)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fileError("inspecting", path, errno) }
        guard info.st_mode & 0o077 == 0 else {
            throw CryptoError(
                "reading key file \(path)",
                reason: "group or others may read the private key; run chmod 600 on it")
        }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { for index in chunk.indices { chunk[index] = 0 } }
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw fileError("reading", path, errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        let text = String(decoding: bytes, as: UTF8.self)
        for index in bytes.indices { bytes[index] = 0 }
        return Secret(text)
    }

    private static func writePrivateFile(_ path: String, _ pem: Secret<String>) throws {
        let temporary = path + ".tmp-" + Hex.encode(SecureRandom.bytes(6))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fileError("creating", temporary, errno) }
        var bytes = Array(pem.reveal.utf8)
        defer { for index in bytes.indices { bytes[index] = 0 } }

        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let code = errno
                close(fd)
                unlink(temporary)
                throw fileError("writing", temporary, code)
            }
            written += count
        }
        let synced = fsync(fd) == 0
        let code = errno
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            let failure = synced ? errno : code
            unlink(temporary)
            throw fileError(synced ? "renaming into" : "syncing", path, failure)
        }
    }

    private static func fileError(_ verb: String, _ path: String, _ code: Int32) -> CryptoError {
        CryptoError("\(verb) key file \(path)", reason: String(cString: strerror(code)))
    }
}

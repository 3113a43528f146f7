import COpenSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Certificate {
    /// Reads the certificate and key PEM at `path`, or, if there is no such file, generates
    /// a self-signed one and stores it there with mode 0600.
    ///
    /// The new file is created 0600 under a temporary name, synced, then renamed into
    /// place, so no other user can ever read the key and a crash leaves no half file.
    /// An existing file that group or others may read is refused, not used.
    public static func loadOrCreate(
        path: String, commonName: String, subjectAltNames: [String]
    ) throws -> Certificate {
        if let text = try readKeyFile(path) {
            return try Certificate(pem: text)
        }
        let certificate = try generateSelfSigned(
            commonName: commonName, subjectAltNames: subjectAltNames)
        try writeKeyFile(path, certificate.pem)
        return certificate
    }

    /// The file's text, or nil if it does not exist.
    private static func readKeyFile(_ path: String) throws -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return nil }
            throw fileError("opening", path, code)
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fileError("inspecting", path, errno) }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw CryptoError(
                "reading key file \(path)",
                reason: "mode \(octal(mode)) lets group or others read the private key; "
                    + "run chmod 600 on it")
        }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
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
        return text
    }

    private static func writeKeyFile(_ path: String, _ pem: Secret<String>) throws {
        let temporary = path + ".tmp-" + Hex.encode(SecureRandom.bytes(6))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fileError("creating", temporary, errno) }

        var bytes = Array(pem.reveal.utf8)
        defer { for index in bytes.indices { bytes[index] = 0 } }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                close(fd)
                unlink(temporary)
                throw fileError("writing", temporary, code)
            }
            written += count
        }

        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw fileError("syncing", temporary, code)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw fileError("renaming \(temporary) to", path, code)
        }
    }

    private static func fileError(_ verb: String, _ path: String, _ code: Int32) -> CryptoError {
        CryptoError("\(verb) key file \(path)", reason: String(cString: strerror(code)))
    }

    private static func octal(_ mode: mode_t) -> String {
        "0" + String(mode, radix: 8)
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where `--out` writes: a regular file (new or replaced) is written as a private temporary
/// file beside it (mode 0600) and renamed into place once whole, so a failed export leaves
/// nothing and clobbers nothing. Anything else that already exists there (a terminal,
/// /dev/null, a FIFO) is written to as it is: renaming over it would replace a device with
/// a regular file. A symlink is followed: its target is what is written or replaced.
final class OutputFile {
    let path: String
    let handle: FileHandle
    private let partial: String?
    private let target: String

    init(_ path: String) throws {
        self.path = path
        var status = stat()
        let exists = stat(path, &status) == 0
        if exists && status.st_mode & S_IFMT != S_IFREG {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Self.failure("cannot open", path) }
            handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            partial = nil
            target = path
            return
        }
        target = exists ? (Self.resolved(path) ?? path) : path
        let temporary = target + ".part-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.failure("cannot create", temporary) }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        partial = temporary
    }

    /// Puts the whole file in place.
    func finish() throws {
        guard let partial else { return try handle.close() }
        try handle.synchronize()
        try handle.close()
        if rename(partial, target) != 0 {
            let error = Self.failure("cannot write", target)
            unlink(partial)
            throw error
        }
    }

    /// Drops what was written (nothing is left when the output was a new file).
    func abandon() {
        try? handle.close()
        if let partial { unlink(partial) }
    }

    private static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    private static func failure(_ what: String, _ path: String) -> UsageError {
        UsageError(message: "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}

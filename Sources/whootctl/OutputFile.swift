import Admin
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The temporary file an interrupted export must remove (see `OutputFile.removeOnSignal`).
nonisolated(unsafe) private var pendingTemporary: UnsafeMutablePointer<CChar>?

/// Where `--out` writes.
///
/// - `-` and `/dev/stdout` are whootctl's standard output, as it is (a pipe, or a file
///   opened for appending).
/// - Anything else that already exists and is not a regular file (a terminal, a device, a
///   FIFO, a pipe behind /proc/self/fd) is written to as it is: renaming over it would
///   replace it with a regular file.
/// - Otherwise symlinks are followed (a dangling one to where it points, a loop is an
///   error), and the regular file there, new or replaced, is written as a private
///   temporary file in the same directory (mode 0600) and renamed into place once whole,
///   so a failed or interrupted export leaves nothing and clobbers nothing; a replaced
///   file keeps its owner.
final class OutputFile {
    let handle: FileHandle
    private let partial: String?
    private let target: String
    private let ownsHandle: Bool

    /// Symlinks followed at most, as the kernel does.
    static let maxLinks = 40
    /// Signals that would end an export; each unlinks the temporary file first, unless
    /// whootctl was started with it ignored.
    static let endingSignals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE]

    init(_ path: String) throws {
        if path == "-" || path == "/dev/stdout" {
            (handle, partial, target, ownsHandle) = (.standardOutput, nil, path, false)
            return
        }
        var status = stat()
        if stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFREG {
            guard status.st_mode & S_IFMT != S_IFDIR else {
                throw UsageError(message: "\(path) is a directory")
            }
            // The kernel follows the links, /proc's magic ones too.
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Self.failure("cannot open", path) }
            handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            (partial, target, ownsHandle) = (nil, path, true)
            return
        }
        target = try Self.followLinks(path)
        let exists = stat(target, &status) == 0
        let temporary = FilePaths.directory(of: target) + "/.whootctl-"
            + String(UInt64.random(in: 0...UInt64.max), radix: 16) + ".part"
        Self.removeOnSignal(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let error = Self.failure("cannot create a file beside", path)
            Self.removeOnSignal(nil)
            throw error
        }
        // A file replaced as root stays its owner's (still private: mode 0600).
        if exists && (status.st_uid != geteuid() || status.st_gid != getegid()) {
            _ = fchown(fd, status.st_uid, status.st_gid)
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        (partial, ownsHandle) = (temporary, true)
    }

    /// Puts the whole file in place.
    func finish() throws {
        guard let partial else {
            if ownsHandle { try handle.close() }
            return
        }
        defer { Self.removeOnSignal(nil) }
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
        if ownsHandle { try? handle.close() }
        if let partial {
            unlink(partial)
            Self.removeOnSignal(nil)
        }
    }

    /// Makes each of `endingSignals` unlink `path` (the temporary file) before whootctl
    /// dies of it, so an interrupted export leaves nothing; nil restores the defaults. A
    /// signal ignored when whootctl started (nohup, a background job) stays ignored. The
    /// path is kept as a C string: the handler may only call async-signal-safe functions.
    static func removeOnSignal(_ path: String?) {
        let previous = pendingTemporary
        pendingTemporary = path.map { strdup($0) }
        free(previous)
        for number in endingSignals {
            var current = sigaction()
            sigaction(number, nil, &current)
            let ignored = unsafeBitCast(SIG_IGN, to: Int.self)
            if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == ignored {
                continue
            }
            var action = sigaction()
            if path == nil {
                action.__sigaction_handler.sa_handler = SIG_DFL
            } else {
                action.__sigaction_handler.sa_handler = { received in
                    if let pending = pendingTemporary { unlink(pending) }
                    signal(received, SIG_DFL)
                    raise(received)
                }
            }
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
    }

    /// `path` with every symlink along its last component followed; where a dangling link
    /// points when it dangles. Directories above are left to the kernel.
    static func followLinks(_ path: String) throws -> String {
        var current = path
        for hop in 0...maxLinks {
            var status = stat()
            guard lstat(current, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else {
                return current
            }
            guard hop < maxLinks else { break }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &buffer, buffer.count - 1)
            guard count >= 0 else { throw failure("cannot read the link", current) }
            // Bytes that are not UTF-8 cannot be kept in a String: refused, not replaced
            // (a replaced byte names another file).
            guard let link = String(
                validating: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            else {
                throw UsageError(message: "\(current) points to a name that is not UTF-8")
            }
            current = link.hasPrefix("/") ? link : FilePaths.directory(of: current) + "/" + link
        }
        throw UsageError(message: "\(path): too many levels of symbolic links (a loop?)")
    }

    private static func failure(_ what: String, _ path: String) -> UsageError {
        UsageError(message: "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}

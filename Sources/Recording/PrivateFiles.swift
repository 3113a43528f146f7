import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Files and directories only whootd's user can read: files 0600, directories 0700.
enum PrivateFiles {
    /// Creates every missing directory of `path` with mode 0700 and sets `path` to 0700.
    /// Errors name the directory that could not be made and errno's text.
    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw RecordingError.io(
                    "cannot create directory \(prefix): \(String(cString: strerror(errno)))")
            }
        }
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw RecordingError.io("cannot create directory \(path): not a directory")
        }
        guard chmod(path, 0o700) == 0 else {
            throw RecordingError.io(
                "cannot set mode 0700 on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes a new file with mode 0600; fails if it exists.
    static func createNew(_ path: String, contents: [UInt8]) throws {
        let file = try AppendFile(creating: path)
        try file.append(contents)
        try file.sync()
        file.close()
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecordingError.io("cannot read \(path)")
        }
        return [UInt8](data)
    }

    /// Unlinks `path`; a file already gone is not an error.
    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw RecordingError.io("unlink \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// A file opened for appending, owned by one writer. Closed explicitly (or on deinit).
final class AppendFile {
    let path: String
    private var fd: Int32
    private(set) var bytesWritten: Int64 = 0

    /// Creates `path` with mode 0600; fails if it exists.
    init(creating path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw RecordingError.io("open \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close() }

    func append(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw RecordingError.io("write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Flushes written data to the disk (fdatasync).
    func sync() throws {
        guard fdatasync(fd) == 0 else {
            throw RecordingError.io("fdatasync \(path): \(String(cString: strerror(errno)))")
        }
    }

    func close() {
        guard fd >= 0 else { return }
        _ = Glibc.close(fd)
        fd = -1
    }
}

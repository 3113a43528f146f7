import Foundation
import Glibc

/// The admin socket's place in the file system.
enum SocketFile {
    /// Creates the socket's directory (0750) if missing, and removes a stale socket left by
    /// a daemon that did not exit cleanly. Refuses to replace a live socket (another daemon
    /// answers on it) or anything that is not a socket.
    static func prepare(path: String) throws {
        let directory = FilePaths.directory(of: path)
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o750])
        }

        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw AdminError.badRequest("\(path) exists and is not a socket; not replacing it")
        }
        if let fd = try? UnixSocket.connect(path: path) {
            close(fd)
            throw AdminError.badRequest("\(path) is in use by another running daemon")
        }
        try Posix.call("unlink", "remove stale admin socket \(path)") { unlink(path) }
    }

    /// Sets the socket's mode to 0660 and, when given, its group.
    static func restrict(path: String, group: UInt32?) throws {
        try Posix.call("chmod", "set mode of \(path)") { chmod(path, 0o660) }
        if let group {
            try Posix.call("chown", "set group of \(path) to \(group)") {
                chown(path, UInt32.max, group)
            }
        }
    }
}

import Foundation

/// The process's command-line arguments, program name first, read from the kernel's copy
/// (/proc/self/cmdline) so that they arrive byte for byte.
///
/// Swift's `CommandLine.arguments` replaces bytes that are not UTF-8 with U+FFFD, so a
/// state directory named in Latin-1 became another directory (a fresh database and fresh
/// keys); and it comes back empty (argc 0) in a process started with some libraries
/// preloaded (seen with libfaketime when the parent itself was not preloaded), which left
/// whootd on its defaults. Only when /proc is not mounted is `CommandLine` used.
public enum ProcessArguments {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Throws `Failure` when an argument is not UTF-8, or no copy of the command line can
    /// be read at all.
    public static func current() throws -> [String] {
        if let image = FileManager.default.contents(atPath: "/proc/self/cmdline") {
            return try fromKernel(image)
        }
        guard !CommandLine.arguments.isEmpty else {
            throw Failure(description: "the command line could not be read (argc 0, no "
                + "/proc/self/cmdline)")
        }
        return CommandLine.arguments
    }

    /// Splits a cmdline image (each argument ended by a NUL) into arguments.
    static func fromKernel(_ image: Data) throws -> [String] {
        guard !image.isEmpty else {
            throw Failure(description: "the command line is empty")
        }
        var pieces = Array(image).split(separator: 0, omittingEmptySubsequences: false)
        if image.last == 0 { pieces.removeLast() }
        return try pieces.enumerated().map { index, bytes in
            guard let argument = String(validating: bytes, as: UTF8.self) else {
                throw Failure(description: "argument \(index) is not UTF-8; paths and "
                    + "values must be UTF-8 (" + bytes.prefix(64).map { byte in
                        (0x20..<0x7F).contains(byte) && byte != 0x5C
                            ? String(UnicodeScalar(byte)) : String(format: "\\x%02x", byte)
                    }.joined() + ")")
            }
            return argument
        }
    }
}

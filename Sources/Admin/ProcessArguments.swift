import Foundation

/// The process's command-line arguments, program name first.
///
/// Swift's `CommandLine.arguments` comes back empty (argc 0) in a process started with some
/// libraries preloaded (seen with libfaketime when the parent itself was not preloaded). A
/// daemon that then read "no arguments" would start on its defaults: another state
/// directory, other ports. When that happens the kernel's copy, /proc/self/cmdline, is read
/// instead; when that fails too, the caller gets nil and must refuse to run.
public enum ProcessArguments {
    public static func current() -> [String]? {
        let given = CommandLine.arguments
        if !given.isEmpty { return given }
        return fromKernel(FileManager.default.contents(atPath: "/proc/self/cmdline"))
    }

    /// Splits a cmdline image (each argument ended by a NUL) into arguments; nil when the
    /// image is missing or holds none.
    static func fromKernel(_ image: Data?) -> [String]? {
        guard let image, !image.isEmpty else { return nil }
        var arguments = image.split(separator: 0, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if image.last == 0 { arguments.removeLast() }
        return arguments.isEmpty ? nil : arguments
    }
}

import Foundation

#if FUZZING
import CLibFuzzer
#endif

/// The shared `main` of the fuzz targets under Tests/Fuzz.
///
/// Built with `-D FUZZING -sanitize=fuzzer,address` (see scripts/fuzz.sh), it hands
/// control to libFuzzer, which mutates inputs and calls `body` with each one; the command
/// line is libFuzzer's (corpus directories, `-max_total_time=`, ...).
///
/// In a plain `swift build` it replays inputs instead: each argument is a file or a
/// directory of files, and `body` runs once per file. That keeps the targets compiling with
/// the rest of the package and lets a crash file be re-run under the debugger.
public enum FuzzDriver {
    /// Called with every input; must not keep the buffer after returning.
    nonisolated(unsafe) fileprivate static var body: (UnsafeRawBufferPointer) -> Void = { _ in }

    public static func run(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
        FuzzDriver.body = body
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzDriver.body(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
        exit(status)
        #else
        exit(replay(Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    /// Runs `body` on every file named or inside a directory named; returns the exit code.
    private static func replay(_ paths: [String]) -> Int32 {
        guard !paths.isEmpty else {
            let name = CommandLine.arguments.first ?? "fuzz target"
            print("usage: \(name) <file or directory>...  (replays inputs; see docs/fuzzing.md)")
            return 2
        }
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("cannot read \(file)")
                    return 1
                }
                data.withUnsafeBytes { body($0) }
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash")
        return 0
    }

    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
            isDirectory.boolValue
        else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }
    }
}

#if FUZZING
/// libFuzzer's own `main` refers to this symbol. SwiftPM points `main` at the target's
/// main.swift instead, which calls `LLVMFuzzerRunDriver`, so this is only a fallback.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzDriver.body(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#endif

/// Reads an input as a sequence of pieces, each preceded by a 16-bit big-endian length, so
/// one input can stand for several datagrams or several request fields. A length past the
/// end takes whatever is left.
public struct FuzzInputReader {
    private let bytes: UnsafeRawBufferPointer
    private var at = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var isAtEnd: Bool { at >= bytes.count }

    /// The next length-prefixed piece, or nil at the end of the input.
    public mutating func next() -> [UInt8]? {
        guard at < bytes.count else { return nil }
        guard bytes.count - at >= 2 else {
            defer { at = bytes.count }
            return Array(bytes[at...])
        }
        let length = Int(bytes[at]) << 8 | Int(bytes[at + 1])
        let start = at + 2
        let end = min(bytes.count, start + length)
        at = end
        return Array(bytes[start..<end])
    }

    /// The next piece as text (invalid UTF-8 repaired), or "" at the end.
    public mutating func nextString() -> String {
        String(decoding: next() ?? [], as: UTF8.self)
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] {
        defer { at = bytes.count }
        return at < bytes.count ? Array(bytes[at...]) : []
    }
}

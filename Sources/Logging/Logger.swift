import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Severity of a log line. Lines below the process-wide threshold cost one atomic load.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case trace, debug, info, notice, warning, error

    public var name: String {
        switch self {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info: return "info"
        case .notice: return "notice"
        case .warning: return "warning"
        case .error: return "error"
        }
    }

    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A structured logger: a fixed message plus dotted metadata keys, one line per event on
/// stdout for journald (`level=info component=relay msg="session admitted" session.id=...`).
///
/// Never pass a secret as metadata: tokens, passwords and keys travel as `Secret<T>`,
/// which prints `<redacted>`. Safe to call from any thread.
public struct Logger: Sendable {
    public let component: String

    public init(_ component: String) { self.component = component }

    private static let threshold = Atomic<Int>(LogLevel.info.rawValue)
    /// Serializes whole lines; holds the count of lines written. (Not `Void`: a zero-sized
    /// value shares its address with the mutex pointer, which ThreadSanitizer then takes
    /// for a race.)
    private static let output = PosixMutex<UInt64>(0)

    /// Sets the process-wide threshold; lines below it are skipped.
    public static func setLevel(_ level: LogLevel) {
        threshold.store(level.rawValue, ordering: .relaxed)
    }

    public static func isEnabled(_ level: LogLevel) -> Bool {
        level.rawValue >= threshold.load(ordering: .relaxed)
    }

    public func log(
        _ level: LogLevel, _ message: StaticString, _ metadata: KeyValuePairs<String, String> = [:]
    ) {
        guard Logger.isEnabled(level) else { return }
        var line = "level=\(level.name) component=\(component) msg=\(Logger.quote("\(message)"))"
        for (key, value) in metadata {
            line += " \(key)=\(Logger.quote(value))"
        }
        line += "\n"
        Logger.output.withLock { written in
            _ = line.withCString { fputs($0, stdout) }
            fflush(stdout)
            written &+= 1
        }
    }

    public func trace(_ m: StaticString, _ md: KeyValuePairs<String, String> = [:]) {
        log(.trace, m, md)
    }
    public func debug(_ m: StaticString, _ md: KeyValuePairs<String, String> = [:]) {
        log(.debug, m, md)
    }
    public func info(_ m: StaticString, _ md: KeyValuePairs<String, String> = [:]) {
        log(.info, m, md)
    }
    public func notice(_ m: StaticString, _ md: KeyValuePairs<String, String> = [:]) {
        log(.notice, m, md)
    }
    public func warning(_ m: StaticString, _ md: KeyValuePairs<String, String> = [:]) {
        log(.warning, m, md)
    }
    public func error(_ m: StaticString, _ md: KeyValuePairs<String, String> = [:]) {
        log(.error, m, md)
    }

    /// Quotes a value when it holds spaces, quotes or control characters (logfmt style).
    static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.utf8.contains { c in
            c <= 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "=") || c == 0x7F
        }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Errors of the recording module that are not the sealed file's own.
public enum RecordingError: Error, Equatable, CustomStringConvertible {
    /// The decrypted content is not the Ogg Opus that was written.
    case corrupt(String)
    /// A key could not be loaded, created or unwrapped.
    case key(String)
    /// A file operation failed: what, on which path, and errno's text.
    case io(String)
    /// libopus could not encode an export.
    case encoding(String)

    public var description: String {
        switch self {
        case .corrupt(let why): return "recording content is corrupt: \(why)"
        case .key(let why): return "recording key: \(why)"
        case .io(let why): return "recording file: \(why)"
        case .encoding(let why): return "recording export: \(why)"
        }
    }
}

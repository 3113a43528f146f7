import Admin
import Foundation

/// `whootctl recording export`: the daemon decrypts and sends the audio; whootctl writes it
/// to `--out` with mode 0600 (a recording is as private as its source) and prints the size.
enum RecordingExport {
    static func run(_ client: AdminClient, _ args: [String: JSONValue]) throws -> Int32 {
        var args = args
        guard case .string(let out)? = args.removeValue(forKey: "out") else {
            throw UsageError(message: "missing --out")
        }
        guard FileManager.default.createFile(
            atPath: out, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: out)
        else {
            standardError("whootctl: cannot write \(out)")
            return 1
        }
        defer { try? handle.close() }
        // A large export comes in pieces, each asked for with the token of the one before.
        var request = args
        var written = 0
        var pieces = 0
        while true {
            let result = try client.call("recording.export", request)
            let offset = result["offset"]?.intValue ?? 0
            guard let data = result["data"]?.stringValue, let bytes = Base64URLDecode(data),
                let total = result["bytes"]?.intValue, offset == Int64(written)
            else {
                standardError("whootctl: the daemon sent no audio, or a piece out of order")
                try? FileManager.default.removeItem(atPath: out)
                return 1
            }
            handle.write(Data(bytes))
            written += bytes.count
            pieces += 1
            guard let next = result["next"]?.stringValue else {
                guard written == Int(total) else {
                    standardError("whootctl: got \(written) of \(total) bytes")
                    try? FileManager.default.removeItem(atPath: out)
                    return 1
                }
                break
            }
            request = ["continue": .string(next)]
            if let chunk = args["chunk_bytes"] { request["chunk_bytes"] = chunk }
        }
        print("\(out): \(written) bytes" + (pieces > 1 ? " in \(pieces) pieces" : ""))
        return 0
    }

    /// Base64url without padding, as the daemon sends it.
    static func Base64URLDecode(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { [UInt8]($0) }
    }
}

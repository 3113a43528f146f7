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
        let result = try client.call("recording.export", args)
        guard let data = result["data"]?.stringValue, let bytes = Base64URLDecode(data) else {
            standardError("whootctl: the daemon sent no audio")
            return 1
        }
        guard FileManager.default.createFile(
            atPath: out, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else {
            standardError("whootctl: cannot write \(out)")
            return 1
        }
        print("\(out): \(bytes.count) bytes")
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

import Admin
import Foundation

/// `whootctl recording export`: the daemon decrypts and sends the audio; whootctl writes it
/// to `--out` with mode 0600 (a recording is as private as its source) and prints the size.
enum RecordingExport {
    /// Writes the export through `OutputFile`: a failed export leaves no file and does not
    /// clobber one.
    static func run(_ client: AdminClient, _ args: [String: JSONValue], json: Bool) throws
        -> Int32
    {
        var args = args
        guard case .string(let out)? = args.removeValue(forKey: "out") else {
            throw UsageError(message: "missing --out")
        }
        let output = try OutputFile(out)
        let fetched: (bytes: Int, pieces: Int)
        do {
            guard let whole = try fetch(client, args, into: output.handle) else {
                output.abandon()
                return 1
            }
            fetched = whole
            try output.finish()
        } catch {
            output.abandon()
            throw error
        }
        if json {
            let summary: JSONValue = [
                "out": .string(out), "bytes": .int(Int64(fetched.bytes)),
                "pieces": .int(Int64(fetched.pieces)),
            ]
            print(summary.description)
        } else {
            print("\(out): \(fetched.bytes) bytes"
                + (fetched.pieces > 1 ? " in \(fetched.pieces) pieces" : ""))
        }
        return 0
    }

    /// Fetches every piece into `handle`; nil (after saying why) when they do not add up.
    /// A large export comes in pieces, each asked for with the token of the one before.
    private static func fetch(
        _ client: AdminClient, _ args: [String: JSONValue], into handle: FileHandle
    ) throws -> (bytes: Int, pieces: Int)? {
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
                return nil
            }
            handle.write(Data(bytes))
            written += bytes.count
            pieces += 1
            guard let next = result["next"]?.stringValue else {
                guard written == Int(total) else {
                    standardError("whootctl: got \(written) of \(total) bytes")
                    return nil
                }
                return (written, pieces)
            }
            request = ["continue": .string(next)]
            if let chunk = args["chunk_bytes"] { request["chunk_bytes"] = chunk }
        }
    }

    /// Base64url without padding, as the daemon sends it.
    static func Base64URLDecode(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { [UInt8]($0) }
    }
}

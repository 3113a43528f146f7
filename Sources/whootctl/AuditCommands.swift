import Admin
import Control
import Crypto
import Foundation

extension Usage {
    static let auditCommands: [CommandSpec] = [
        CommandSpec(noun: "audit", verb: "verify", command: "audit.verify",
                    summary: "verify a tenant's log, or an export offline (--export, "
                        + "--public-key; no daemon needed)",
                    required: [], optional: ["tenant", "export", "public-key"]),
        CommandSpec(noun: "audit", verb: "export", command: "audit.export",
                    summary: "export the log as CSV (to --out or stdout)",
                    required: ["tenant"], optional: ["from", "to", "action", "actor", "out"]),
        CommandSpec(noun: "audit", verb: "public-key", command: "audit.public_key",
                    summary: "print the checkpoint signing public key (PEM)",
                    required: [], optional: ["out"]),
        CommandSpec(noun: "audit", verb: "checkpoint", command: "audit.checkpoint",
                    summary: "sign a checkpoint of a tenant's log now",
                    required: ["tenant"], optional: []),
        CommandSpec(noun: "review", verb: "start", command: "review.start",
                    summary: "start an access review of every member",
                    required: ["tenant"], optional: []),
        CommandSpec(noun: "review", verb: "show", command: "review.show",
                    summary: "show a review and who still needs a decision",
                    required: ["tenant", "review"], optional: []),
        CommandSpec(noun: "review", verb: "decide", command: "review.decide",
                    summary: "approve, modify (--role, --channels a;b) or revoke a member",
                    required: ["tenant", "review", "member", "decision", "comment"],
                    optional: ["role", "channels"]),
        CommandSpec(noun: "review", verb: "complete", command: "review.complete",
                    summary: "complete a review once every member has a decision",
                    required: ["tenant", "review"], optional: []),
        CommandSpec(noun: "review", verb: "report", command: "review.report",
                    summary: "the review's report as CSV (to --out or stdout)",
                    required: ["tenant", "review"], optional: ["out"]),
    ]
}

/// The audit and review commands that need more than one call, a file, or no daemon.
enum AuditCommands {
    /// Runs `spec` when it is one of these and returns the exit status; nil otherwise.
    static func run(_ spec: CommandSpec, _ args: [String: JSONValue], _ invocation: Invocation)
        throws -> Int32?
    {
        switch spec.command {
        case "audit.verify":
            if let export = args["export"]?.stringValue {
                guard let key = args["public-key"]?.stringValue else {
                    throw UsageError(message: "--export needs --public-key FILE")
                }
                return try verifyOffline(export: export, publicKey: key, json: invocation.json)
            }
            guard let tenant = args["tenant"] else {
                throw UsageError(message: "audit verify needs --tenant, or --export and "
                    + "--public-key")
            }
            let client = try AdminClient(socketPath: invocation.socket)
            let result = try client.call("audit.verify", ["tenant": tenant])
            return report(result, json: invocation.json)
        case "audit.export", "review.report":
            var args = args
            let out = args.removeValue(forKey: "out")?.stringValue
            try download(spec.command, args, to: out, socket: invocation.socket)
            return 0
        case "audit.public_key":
            let client = try AdminClient(socketPath: invocation.socket)
            let pem = try client.call("audit.public_key")["pem"]?.stringValue ?? ""
            if let out = args["out"]?.stringValue {
                let output = try OutputFile(out)
                do {
                    output.handle.write(Data(pem.utf8))
                    try output.finish()
                } catch {
                    output.abandon()
                    throw error
                }
            } else {
                print(pem, terminator: "")
            }
            return 0
        default:
            return nil
        }
    }

    /// Fetches an export chunk by chunk and writes each chunk as it arrives.
    static func download(
        _ command: String, _ args: [String: JSONValue], to path: String?, socket: String
    ) throws {
        // Exports are evidence about people: private to the operator, like recordings.
        let output = try path.map(OutputFile.init)
        let handle = output?.handle ?? FileHandle.standardOutput
        do {
            let client = try AdminClient(socketPath: socket)
            var request = args
            while true {
                let result = try client.call(command, request)
                handle.write(Data((result["csv"]?.stringValue ?? "").utf8))
                guard let next = result["next"]?.stringValue else { break }
                request = ["tenant": args["tenant"] ?? .null, "continue": .string(next)]
            }
            try output?.finish()
        } catch {
            output?.abandon()
            throw error
        }
    }

    static func verifyOffline(export: String, publicKey: String, json: Bool) throws -> Int32 {
        let pem = try String(contentsOfFile: publicKey, encoding: .utf8)
        let key = try Ed25519.PublicKey(pem: pem)
        guard let handle = FileHandle(forReadingAtPath: export) else {
            throw AdminClientError.transport("cannot open \(export)")
        }
        defer { try? handle.close() }
        var reader = CSVReader {
            let data = handle.readData(ofLength: 65_536)
            return data.isEmpty ? nil : Array(data)
        }
        let result = try AuditExportVerifier.verify(&reader, publicKey: key)
        let value: JSONValue = [
            "ok": .bool(result.ok), "entries": .int(result.entries), "links": .int(result.links),
            "checkpoints": .int(result.checkpoints), "first_seq": .int(result.firstSeq),
            "last_seq": .int(result.lastSeq),
            "problem": result.problem.map {
                ["seq": .int($0.seq), "reason": .string($0.reason),
                 "line": $0.line.map { .int(Int64($0)) } ?? .null]
            } ?? .null,
        ]
        return report(value, json: json)
    }

    /// Prints a verification result; exit status 0 when it verified, 3 when it did not.
    static func report(_ result: JSONValue, json: Bool) -> Int32 {
        let ok = result["ok"]?.boolValue ?? false
        if json {
            print(result.description)
        } else if ok {
            let entries = result["entries"]?.intValue ?? 0
            let checkpoint = result["last_checkpoint_seq"]?.intValue
                ?? result["last_seq"]?.intValue ?? 0
            print("ok: \(entries) entries verified, signed through seq \(checkpoint)")
        } else {
            let problem = result["problem"]
            let line = problem?["line"]?.intValue.map { " (CSV line \($0))" } ?? ""
            print("BROKEN at entry \(problem?["seq"]?.intValue ?? 0)\(line): "
                + (problem?["reason"]?.stringValue ?? "unknown"))
        }
        return ok ? 0 : 3
    }
}

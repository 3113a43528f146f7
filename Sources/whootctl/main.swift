import Admin
import Foundation

/// whootctl: the command-line client of whootd's admin socket.
/// Exit status: 0 success, 1 error from (or reaching) the daemon, 2 usage error.

struct UsageError: Error { let message: String }

func standardError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

struct Invocation {
    var socket = ProcessInfo.processInfo.environment["WHOOT_ADMIN_SOCKET"]
        ?? "/run/whoot/admin.sock"
    var json = false
    var help = false
    var words: [String] = []
    var flags: [String: String] = [:]

    init(_ arguments: [String]) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            switch argument {
            case "--help", "-h": help = true
            case "--json": json = true
            case _ where argument.hasPrefix("--"):
                let name = String(argument.dropFirst(2))
                guard index < arguments.count else {
                    throw UsageError(message: "\(argument) needs a value")
                }
                let value = arguments[index]
                index += 1
                if name == "socket" {
                    socket = value
                } else {
                    guard flags[name] == nil else {
                        throw UsageError(message: "\(argument) given twice")
                    }
                    flags[name] = value
                }
            default:
                words.append(argument)
            }
        }
    }

    func spec() throws -> CommandSpec {
        guard let noun = words.first else { throw UsageError(message: "no command given") }
        let candidates = Usage.commands.filter { $0.noun == noun }
        guard !candidates.isEmpty else { throw UsageError(message: "unknown noun \"\(noun)\"") }
        let verb = words.count > 1 ? words[1] : nil
        guard let spec = candidates.first(where: { $0.verb == verb }),
            words.count == (spec.verb == nil ? 1 : 2) + (spec.positional == nil ? 0 : 1)
        else {
            let verbs = candidates.compactMap(\.verb).joined(separator: ", ")
            throw UsageError(message: "\(noun): expected one of: \(verbs)")
        }
        return spec
    }

    func arguments(for spec: CommandSpec) throws -> [String: JSONValue] {
        var args: [String: JSONValue] = [:]
        for (name, value) in flags {
            guard spec.required.contains(name) || spec.optional.contains(name) else {
                throw UsageError(message: "unknown flag --\(name) for this command")
            }
            if spec.integers.contains(name) {
                guard let number = Int64(value) else {
                    throw UsageError(message: "--\(name) must be an integer")
                }
                args[name] = .int(number)
            } else {
                args[name] = .string(value)
            }
        }
        for name in spec.required where args[name] == nil {
            throw UsageError(message: "missing --\(name)")
        }
        if let name = spec.positional, let word = words.last {
            args[name] = .string(word)
        }
        if let name = spec.fromStdin {
            args[name] = .string(try readSecretLine(name))
        }
        return args
    }
}

/// One line of standard input without its line ending; at a terminal, read without echo.
func readSecretLine(_ name: String) throws -> String {
    let line: String?
    if isatty(0) == 1 {
        line = getpass("\(name): ").map { String(cString: $0) }
    } else {
        line = readLine(strippingNewline: true)
    }
    guard let line, !line.isEmpty else {
        throw UsageError(message: "expected the \(name) on standard input")
    }
    return line.hasSuffix("\r") ? String(line.dropLast()) : line
}

func run() -> Int32 {
    let invocation: Invocation
    let spec: CommandSpec
    let args: [String: JSONValue]
    do {
        let arguments: [String]
        do {
            arguments = try ProcessArguments.current()
        } catch {
            throw UsageError(message: "\(error)")
        }
        invocation = try Invocation(Array(arguments.dropFirst()))
        if invocation.help {
            let noun = invocation.words.first
            if noun != nil, let spec = try? invocation.spec() {
                print("usage: whootctl [--socket PATH] [--json] " + Usage.line(spec))
            } else {
                print(Usage.text(noun: Usage.commands.contains { $0.noun == noun } ? noun : nil))
            }
            return 0
        }
        spec = try invocation.spec()
        args = try invocation.arguments(for: spec)
    } catch let error as UsageError {
        standardError("whootctl: \(error.message) (see whootctl --help)")
        return 2
    } catch {
        standardError("whootctl: \(error)")
        return 2
    }

    do {
        if let status = try AuditCommands.run(spec, args, invocation) { return status }
        let client = try AdminClient(socketPath: invocation.socket)
        if spec.command == "recording.export" {
            return try RecordingExport.run(client, args, json: invocation.json)
        }
        let result = try client.call(spec.command, args)
        Output.print(result, for: spec, json: invocation.json)
        return 0
    } catch let error as UsageError {
        standardError("whootctl: \(error.message)")
        return 1
    } catch {
        standardError("whootctl: \(error)")
        return 1
    }
}

exit(run())

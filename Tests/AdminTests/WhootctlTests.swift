import Foundation
import Testing

/// whootctl end to end against a real admin server, through the built binary.
@Suite struct WhootctlTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The whootctl binary next to this test bundle in the build directory.
    static var binary: URL {
        var url = Bundle.main.bundleURL
        while url.path != "/" {
            let candidate = url.appendingPathComponent("whootctl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "/nonexistent/whootctl")
    }

    func whootctl(_ arguments: [String], socket: String?) throws -> Run {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = (socket.map { ["--socket", $0] } ?? []) + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func tokenJoinPrintsTheTokenAloneAndErrorsExitWithOneLine() throws {
        let fixture = try AdminFixture()
        let socket = fixture.socketPath
        _ = try fixture.control.ensureDemo()

        let token = try whootctl(
            ["token", "join", "--tenant", "demo", "--channel", "lobby", "--member", "alice"],
            socket: socket)
        #expect(token.status == 0)
        let lines = token.stdout.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("wjt_") && lines[0].count == 47)
        #expect(token.stderr.isEmpty)

        let refused = try whootctl(
            ["token", "join", "--tenant", "demo", "--channel", "nope", "--member", "alice"],
            socket: socket)
        #expect(refused.status == 1)
        #expect(refused.stderr == "whootctl: channel \"nope\" not found\n")

        let usage = try whootctl(["token", "join", "--tenant", "demo"], socket: socket)
        #expect(usage.status == 2 && usage.stderr.contains("missing --channel"))
        #expect(try whootctl(["frobnicate"], socket: socket).status == 2)
        #expect(try whootctl(["--help"], socket: socket).stdout.contains("token join"))
        #expect(try whootctl(["member", "--help"], socket: socket).status == 0)

        let unreachable = try whootctl(["tenant", "list"], socket: "/tmp/whoot-none/a.sock")
        #expect(unreachable.status == 1 && unreachable.stderr.contains("cannot reach whootd"))
    }

    @Test func listsPrintTablesOrJSON() throws {
        let fixture = try AdminFixture()
        let socket = fixture.socketPath
        #expect(try whootctl(["tenant", "create", "--slug", "acme", "--name", "Acme"],
                             socket: socket).status == 0)
        #expect(try whootctl(["member", "invite", "--tenant", "acme", "--handle", "ann",
                              "--role", "admin"], socket: socket).status == 0)

        let table = try whootctl(["member", "list", "--tenant", "acme"], socket: socket)
        #expect(table.stdout.hasPrefix("ID  HANDLE  ROLE   STATUS   EMAIL  CHANNELS\n"))
        #expect(table.stdout.contains("ann     admin  invited"))

        let json = try whootctl(["--json", "tenant", "list"], socket: socket)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8))
        let tenants = (object as? [String: Any])?["tenants"] as? [[String: Any]]
        #expect(tenants?.first?["slug"] as? String == "acme")
    }
}

@testable import Admin
import Control
import Foundation
import Glibc
import Store
import Testing
import Wire

/// A control plane and a started admin server in a fresh temporary directory.
final class AdminFixture {
    let directory: String
    let socketPath: String
    let control: ControlPlane
    let server: AdminServer

    init(
        adminGroup: UInt32? = nil, maxLineBytes: Int = 65_536, maxConnections: Int = 16,
        idleTimeoutSeconds: Int = 60
    ) throws {
        directory = "/tmp/whoot-admin-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/run/admin.sock"
        control = ControlPlane(store: try Store(path: directory + "/whoot.db"))
        server = AdminServer(
            configuration: .init(
                socketPath: socketPath, adminGroup: adminGroup, maxLineBytes: maxLineBytes,
                maxConnections: maxConnections, idleTimeoutSeconds: idleTimeoutSeconds),
            control: control)
        try server.start()
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func client() throws -> AdminClient { try AdminClient(socketPath: socketPath) }
}

@Suite struct AdminSocketTests {
    @Test func commandsRoundTripAndIssueARedeemableToken() throws {
        let fixture = try AdminFixture()
        let client = try fixture.client()

        let tenant = try client.call("tenant.create", ["slug": "acme", "name": "Acme Ltd"])
        #expect(tenant["slug"] == "acme")
        _ = try client.call("channel.create", ["tenant": "acme", "name": "ops"])
        let member = try client.call(
            "member.invite", ["tenant": "acme", "handle": "ann", "email": "ann@example.com"])
        #expect(member["status"] == "invited" && member["role"] == "member")
        let assigned = try client.call(
            "assign", ["tenant": "acme", "channel": "ops", "member": "ann"])
        #expect(assigned["changed"] == true)

        let result = try client.call(
            "token.join", ["tenant": "acme", "channel": "ops", "member": "ann"])
        let token = try #require(result["token"]?.stringValue)
        let admission = try fixture.control.redeemJoinToken(
            token, now: ControlPlane.wallClockMilliseconds())
        #expect(admission.memberHandle == "ann" && admission.channelName == "ops")

        let members = try client.call("member.list", ["tenant": "acme"])
        #expect(members["members"]?.arrayValue?.first?["channels"] == ["ops"])
        let channels = try client.call("channel.list", ["tenant": "acme"])
        #expect(channels["channels"]?.arrayValue?.first?["members"] == ["ann"])
        #expect(try client.call("tenant.list")["tenants"]?.arrayValue?.count == 1)
    }

    @Test func adminActionsAreAuditedWithThePeersUID() throws {
        let fixture = try AdminFixture()
        let client = try fixture.client()
        _ = try client.call("tenant.create", ["slug": "acme"])
        _ = try client.call("channel.create", ["tenant": "acme", "name": "ops"])

        let tenant = try fixture.control.tenantID(slug: "acme")
        let events = try fixture.control.store.read { try $0.auditEvents(TenantScope(tenant)) }
        #expect(events.map(\.entry.action) == ["tenant.create", "channel.create"])
        for event in events {
            #expect(event.entry.actor == "uid:\(getuid())")
            #expect(event.entry.requestID?.hasPrefix("adm-") == true)
        }
    }

    @Test func malformedLinesAndUnknownCommandsGetErrorsAndConnectionStaysUsable() throws {
        let fixture = try AdminFixture(maxLineBytes: 1_024)
        let client = try fixture.client()

        let cases: [(String, String)] = [
            ("{not json", "request is not valid JSON"),
            ("[1,2]", "request must be a JSON object"),
            (#"{"id":7,"command":"no.such"}"#, "unknown command \"no.such\""),
            (#"{"id":8,"command":"tenant.list","args":{"x":1}}"#,
             "tenant.list: unknown argument \"x\""),
            (#"{"id":9,"command":"tenant.create","args":{"slug":5}}"#,
             "tenant.create: argument \"slug\" must be a string"),
            (#"{"id":10,"command":"tenant.list","extra":true}"#, "unknown request field \"extra\""),
            (String(repeating: "x", count: 5_000), "request line longer than 1024 bytes"),
        ]
        for (line, message) in cases {
            let response = try client.exchange(Array(line.utf8))
            #expect(response["ok"] == false, "\(line.prefix(40))")
            #expect(response["error"]?.stringValue == message)
        }
        #expect(try client.exchange(Array(#"{"id":7,"command":"x"}"#.utf8))["id"] == 7)
        let bad = try client.exchange([0x7B, 0xFF, 0xFE, 0x7D])
        #expect(bad["error"] == "request is not valid UTF-8")

        _ = try client.call("tenant.create", ["slug": "acme"])
        #expect(throws: AdminClientError.daemon(
            message: "tenant \"acme\" already exists", status: 409)) {
            try client.call("tenant.create", ["slug": "acme"])
        }
        #expect(throws: AdminClientError.daemon(message: "tenant \"nope\" not found", status: 404))
        {
            try client.call("channel.list", ["tenant": "nope"])
        }
    }

    @Test func socketHasMode0660InA0750DirectoryAndStaleSocketIsReplaced() throws {
        let fixture = try AdminFixture()
        var info = stat()
        #expect(stat(fixture.socketPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(stat(fixture.directory + "/run", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o750)

        // A live socket is not taken over by a second server.
        let second = AdminServer(
            configuration: .init(socketPath: fixture.socketPath), control: fixture.control)
        #expect(throws: AdminError.self) { try second.start() }

        // A stale socket file (nobody listening) is replaced.
        let stalePath = fixture.directory + "/stale.sock"
        let fd = try UnixSocket.listen(path: stalePath, backlog: 1)
        close(fd)
        let third = AdminServer(
            configuration: .init(socketPath: stalePath), control: fixture.control)
        try third.start()
        #expect(try AdminClient(socketPath: stalePath).call("tenant.list")["tenants"] == [])
        third.stop()
        #expect(!FileManager.default.fileExists(atPath: stalePath))
    }

    @Test func daemonCanRegisterItsOwnCommands() throws {
        let fixture = try AdminFixture()
        fixture.server.register("relay.sessions") { request in
            try request.allowOnly(["channel"])
            return ["count": 3, "channel": .string(try request.string("channel"))]
        }
        let result = try fixture.client().call("relay.sessions", ["channel": "ops"])
        #expect(result == ["count": 3, "channel": "ops"])
        #expect(fixture.server.commands.contains("relay.sessions"))
    }

    @Test func connectingToAMissingSocketIsAClearTransportError() {
        #expect(throws: AdminClientError.self) {
            try AdminClient(socketPath: "/tmp/whoot-no-such-dir/admin.sock")
        }
    }
}

@Suite struct AdminUnitTests {
    @Test func lineReaderSplitsLinesAndDropsOverlongOnes() {
        var reader = LineReader(limit: 4)
        #expect(reader.feed(Array("ab\ncd".utf8)) == [.line(Array("ab".utf8))])
        #expect(reader.feed(Array("e\r\n".utf8)) == [.line(Array("cde".utf8))])
        #expect(reader.feed(Array("toolong".utf8)) == [.tooLong])
        #expect(reader.feed(Array("more\nok\n".utf8)) == [.line(Array("ok".utf8))])
    }

    @Test func peerPolicyAllowsRootDaemonUserAndAdminGroupOnly() {
        let policy = PeerPolicy(daemonUID: 1_000, adminGroup: 4_242)
        #expect(policy.allows(PeerCredentials(pid: 1, uid: 0, gid: 0)))
        #expect(policy.allows(PeerCredentials(pid: 1, uid: 1_000, gid: 1_000)))
        #expect(policy.allows(PeerCredentials(pid: 1, uid: 2_000, gid: 4_242)))
        #expect(!policy.allows(PeerCredentials(pid: 1, uid: 2_000, gid: 2_000)))
        let noGroup = PeerPolicy(daemonUID: 1_000, adminGroup: nil)
        #expect(!noGroup.allows(PeerCredentials(pid: 1, uid: 2_000, gid: 4_242)))
    }

    @Test func jsonValuesKeepIntegersExact() throws {
        let text = #"{"a":9007199254740993,"b":1.5,"c":[true,null]}"#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(value["a"] == .int(9_007_199_254_740_993))
        #expect(value["b"] == .double(1.5))
        #expect(value["c"] == [true, nil])
        #expect(value.description == text)
    }
}

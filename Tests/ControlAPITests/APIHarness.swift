import Admin
import Control
import ControlAPI
import Crypto
import Foundation
import HTTPEdge
import Store
import Wire

/// A control plane over a fresh database, its `/v1` routes on a router, and helpers that
/// send requests straight to the router (no sockets, no TLS). The clock is manual.
final class APIHarness {
    let directory: String
    var nowMs: Int64 = 1_700_000_000_000
    private(set) var control: ControlPlane!
    private(set) var router = Router()

    init() throws {
        directory = NSTemporaryDirectory() + "whoot-api-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        control = ControlPlane(
            store: try Store(path: directory + "/whoot.db"), clock: { [unowned self] in nowMs },
            mfaKey: Secret(SecureRandom.bytes(32)))
        ControlRoutes(control: control, clock: { [unowned self] in nowMs }).register(on: &router)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    struct Reply {
        let status: Int
        let headers: [(String, String)]
        let json: JSONValue?

        var error: String { json?["error"]?.stringValue ?? "" }

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// Sends `body` (raw bytes) with `contentType` and the session `token`, if any.
    func send(
        _ method: String, _ path: String, token: String? = nil, raw body: [UInt8] = [],
        contentType: String? = "application/json", ip: String = "192.0.2.10"
    ) -> Reply {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if let contentType, !body.isEmpty { headers["Content-Type"] = contentType }
        let request = HTTPRequest(
            method: method, path: path, headers: headers, body: body, clientAddress: ip,
            requestID: Hex.encode(SecureRandom.bytes(8)))
        let response = router.handle(request)
        let json = response.body.isEmpty ? nil : try? JSONValue.parse(response.body)
        return Reply(status: response.status, headers: response.headers, json: json)
    }

    /// Sends `json` encoded as the body.
    func send(_ method: String, _ path: String, token: String? = nil, json: JSONValue)
        -> Reply
    {
        send(method, path, token: token, raw: json.encoded())
    }
}

/// One tenant with a channel "lobby", a member "pat" assigned to it, and one signed-in
/// member per role (handles "owner", "admin", "member", "auditor"), each assigned to lobby.
struct Workspace {
    let slug: String
    let tenant: TenantID
    let lobby: ChannelID
    let pat: MemberID
    /// Member ids and session tokens by role.
    var ids: [MemberRole: MemberID] = [:]
    var tokens: [MemberRole: String] = [:]

    static func password(_ handle: String, _ slug: String) -> String {
        "correct horse \(slug) \(handle)"
    }

    init(_ harness: APIHarness, slug: String) throws {
        let control = harness.control!
        self.slug = slug
        tenant = try control.createTenant(slug: slug, name: slug, actor: .system)
        lobby = try control.createChannel(tenant: tenant, name: "lobby", actor: .system)
        pat = try control.inviteMember(
            tenant: tenant, handle: "pat", email: "pat@\(slug).example", actor: .system)
        try control.assign(member: pat, channel: lobby, in: tenant, actor: .system)
        for role in MemberRole.allCases {
            let id = try control.inviteMember(
                tenant: tenant, handle: role.rawValue, role: role, actor: .system)
            try control.assign(member: id, channel: lobby, in: tenant, actor: .system)
            try control.setPassword(
                tenant: tenant, member: id, password: Secret(Self.password(role.rawValue, slug)),
                actor: .system)
            let reply = harness.send("POST", "/v1/login", json: [
                "tenant": .string(slug), "handle": .string(role.rawValue),
                "password": .string(Self.password(role.rawValue, slug)),
            ])
            guard reply.status == 200, let token = reply.json?["token"]?.stringValue else {
                throw APIError("login as \(role.rawValue) answered \(reply.status)")
            }
            ids[role] = id
            tokens[role] = token
        }
    }

    /// Everything about the tenant that a change would touch, audit log length included:
    /// every change writes an audit event, so an unchanged count means nothing was written.
    static func snapshot(_ control: ControlPlane, _ tenant: TenantID) throws -> [String] {
        let members = try control.members(tenant: tenant).map {
            "\($0.id.rawValue):\($0.handle):\($0.role.rawValue):\($0.status.rawValue)"
        }
        let channels = try control.channels(tenant: tenant).map { channel in
            let assigned = try control.assignedMembers(tenant: tenant, channel: channel.id)
            return "\(channel.id.rawValue):\(channel.name):\(assigned.map(\.rawValue))"
        }
        let audit = try control.store.read { try $0.auditEvents(TenantScope(tenant)).count }
        return members + channels + ["audit:\(audit)"]
    }
}

struct APIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

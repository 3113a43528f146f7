import Admin
import Control
import ControlAPI
import Crypto
import Foundation
import FuzzSupport
import HTTPEdge
import Store

/// The HTTPS API's `/v1` routes (ControlAPI) as the HTTPS edge hands them a request: the
/// router, the session check, then each handler's strict JSON body (`JSONBody`: size,
/// media type, UTF-8, one object, no unknown fields, field types) and the control plane
/// change it asks for, on a real store in tmpfs that is replaced every `inputsPerStore`
/// inputs (handlers log out, delete and demote, so a workspace does not last).
///
/// Input: one byte choosing the session (none, owner, member, auditor, a forged token),
/// then length-prefixed method, path (with an optional `?query`) and Content-Type, then
/// the body. Every response must be a status in 200...599 other than 500 (an internal
/// error means some input reached a failure the API does not map), with a JSON body.
///
/// Seeds: `swift run FuzzAPIBody --write-seeds Tests/Fuzz/corpus/APIBody` (Seeds.swift).
if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--write-seeds" {
    exit(writeSeeds(to: CommandLine.arguments[2]))
}

let inputsPerStore = 500
let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : "/tmp"
let databasePath = "\(directory)/whoot-fuzz-api-\(getpid()).sqlite"
let nowMs: Int64 = 1_700_000_000_000
atexit { for suffix in ["", "-wal", "-shm"] { unlink(databasePath + suffix) } }

/// A router over a fresh control plane, and session tokens by the input's first byte.
struct Workspace {
    var router = Router()
    var tokens: [String?]

    init() {
        for suffix in ["", "-wal", "-shm"] { unlink(databasePath + suffix) }
        let control = ControlPlane(
            store: try! Store(path: databasePath), clock: { nowMs },
            mfaKey: Secret((0..<32).map { UInt8($0) }))
        ControlRoutes(control: control, clock: { nowMs }).register(on: &router)
        let tenant = try! control.createTenant(slug: "acme", name: "Acme", actor: .system)
        let lobby = try! control.createChannel(tenant: tenant, name: "lobby", actor: .system)
        var tokens: [String?] = [nil]
        for role in [MemberRole.owner, .member, .auditor] {
            let member = try! control.inviteMember(
                tenant: tenant, handle: role.rawValue, role: role, actor: .system)
            try! control.assign(member: member, channel: lobby, in: tenant, actor: .system)
            let password = Secret("correct horse \(role.rawValue)")
            try! control.setPassword(
                tenant: tenant, member: member, password: password, actor: .system)
            let login = try! control.login(
                tenant: "acme", handle: role.rawValue, password: password, ip: nil, now: nowMs)
            tokens.append(login.token.reveal)
        }
        tokens.append(String(repeating: "A", count: 43))
        self.tokens = tokens
    }
}

nonisolated(unsafe) var workspace: Workspace?
nonisolated(unsafe) var inputs = 0

/// `path?a=b&c` split as the HTTPS edge splits it.
func split(_ target: String) -> (path: String, query: [String: String]) {
    let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    var query: [String: String] = [:]
    if parts.count == 2 {
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[String(kv[0])] = kv.count == 2 ? String(kv[1]) : ""
        }
    }
    return (String(parts[0]), query)
}

FuzzDriver.run { input in
    guard let selector = input.first else { return }
    if workspace == nil || inputs % inputsPerStore == 0 { workspace = Workspace() }
    inputs += 1

    var reader = FuzzInputReader(UnsafeRawBufferPointer(rebasing: input.dropFirst()))
    let method = reader.nextString()
    let (path, query) = split(reader.nextString())
    var headers = ["Content-Type": reader.nextString()]
    let tokens = workspace!.tokens
    if let token = tokens[Int(selector) % tokens.count] {
        headers["Authorization"] = "Bearer \(token)"
    }
    let request = HTTPRequest(
        method: method, path: path, query: query, headers: headers, body: reader.rest(),
        clientAddress: "127.0.0.1", requestID: "fuzz")
    let response = workspace!.router.handle(request)
    precondition((200...599).contains(response.status), "status \(response.status)")
    precondition(response.status != 500,
                 "internal error: \(String(decoding: response.body, as: UTF8.self))")
    if !response.body.isEmpty {
        guard case .object? = try? JSONValue.parse(response.body) else {
            fatalError("response \(response.status) to \(method) \(path) is not a JSON object")
        }
    }
}

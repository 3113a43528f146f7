import Control
import Foundation
import FuzzSupport
import Store
@testable import Admin

/// The admin socket's JSON lines as a connection thread reads them (AdminServer.serve):
/// the bounded line splitter, then each line through `respond`, which parses the JSON,
/// decodes the request and runs the command against a real control plane. The store lives
/// on tmpfs and is replaced every `inputsPerStore` inputs so it stays small.
let inputsPerStore = 2_000
let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : "/tmp"
let prefix = "\(directory)/whoot-fuzz-admin-\(getpid())"
let peer = PeerCredentials(pid: 1, uid: 0, gid: 0)

nonisolated(unsafe) var server: AdminServer?
nonisolated(unsafe) var inputs = 0

func freshServer() -> AdminServer {
    for suffix in ["", "-wal", "-shm"] { unlink(prefix + ".sqlite" + suffix) }
    let store = try! Store(path: prefix + ".sqlite")
    let control = ControlPlane(store: store)
    return AdminServer(
        configuration: .init(socketPath: prefix + ".sock", maxLineBytes: 4096),
        control: control)
}

atexit { for suffix in ["", "-wal", "-shm"] { unlink(prefix + ".sqlite" + suffix) } }

FuzzDriver.run { input in
    if server == nil || inputs % inputsPerStore == 0 { server = freshServer() }
    inputs += 1
    let admin = server!

    var reader = LineReader(limit: admin.configuration.maxLineBytes)
    for event in reader.feed(input) {
        guard case .line(let line) = event else { continue }
        let response = admin.respond(to: line, peer: peer)
        guard response.last == 0x0A,
            case .object(let object)? = try? JSONValue.parse(Array(response.dropLast())),
            case .bool? = object["ok"]
        else { fatalError("admin response is not one JSON object line with \"ok\"") }
    }
}

import Control
import Foundation
import Store
import Wire

/// A control plane over a fresh database in its own temporary directory, with a manual
/// clock. The directory is removed when the fixture goes away.
final class Fixture {
    let directory: String
    let path: String
    var nowMs: Int64 = 1_700_000_000_000
    private(set) var control: ControlPlane!

    init() throws {
        directory = NSTemporaryDirectory() + "whoot-control-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        path = directory + "/whoot.db"
        control = try open()
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Opens another store and control plane on the same file.
    func open() throws -> ControlPlane {
        ControlPlane(store: try Store(path: path), clock: { [unowned self] in self.nowMs })
    }

    /// Tenant `slug` with channels and members, every member assigned to every channel.
    @discardableResult
    func tenant(_ slug: String, channels: [String], members: [String]) throws -> TenantID {
        let tenant = try control.createTenant(slug: slug, name: slug.capitalized, actor: .system)
        let channelIDs = try channels.map {
            try control.createChannel(tenant: tenant, name: $0, actor: .system)
        }
        for handle in members {
            let member = try control.inviteMember(tenant: tenant, handle: handle, actor: .system)
            for channel in channelIDs {
                try control.assign(member: member, channel: channel, in: tenant, actor: .system)
            }
        }
        return tenant
    }
}

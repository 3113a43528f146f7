import Control
import Crypto
import Foundation
import Store
import Wire

/// A control plane over a fresh database in its own temporary directory, with a manual
/// clock. The directory is removed when the fixture goes away.
///
/// With `WHOOT_TEST_POSTGRES` set (a base conninfo of a throwaway cluster, see
/// scripts/pg-cluster.sh), the database is instead a fresh PostgreSQL database migrated by
/// `whoot_owner` and used as `whoot_app`, under row-level security.
final class Fixture {
    let directory: String
    let path: String
    /// The PostgreSQL database of this fixture, or nil on SQLite.
    let postgres: PostgresTestDatabase?
    var nowMs: Int64 = 1_700_000_000_000
    private(set) var control: ControlPlane!

    init() throws {
        directory = NSTemporaryDirectory() + "whoot-control-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        path = directory + "/whoot.db"
        postgres = try PostgresTestDatabase.fromEnvironment()
        control = try open()
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Opens another store and control plane on the same file.
    func open() throws -> ControlPlane {
        ControlPlane(store: try openStore(), clock: { [unowned self] in self.nowMs })
    }

    /// Opens another store on the same database.
    func openStore() throws -> Store {
        guard let postgres else { return try Store(path: path) }
        return try Store(
            postgres: Secret(postgres.conninfo(role: "whoot_app")),
            migrateAs: Secret(postgres.conninfo(role: "whoot_owner")))
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

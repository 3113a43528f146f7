import Foundation
@testable import Store

/// A fresh database in the throwaway PostgreSQL cluster named by `WHOOT_TEST_POSTGRES`
/// (a base conninfo such as "host=/tmp/whoot-pg.x port=5432"). Created by `whoot_owner`,
/// which owns its schema; the cluster goes away with everything in it after the tests.
struct PostgresTestDatabase {
    let base: String
    let name: String

    /// A new database when the environment names a cluster, else nil (SQLite).
    static func fromEnvironment() throws -> PostgresTestDatabase? {
        guard let base = ProcessInfo.processInfo.environment["WHOOT_TEST_POSTGRES"],
            !base.isEmpty
        else { return nil }
        let name = "whoot_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresConnection(conninfo: base + " dbname=postgres user=whoot_owner")
        try admin.exec("CREATE DATABASE \(name)")
        return PostgresTestDatabase(base: base, name: name)
    }

    func conninfo(role: String) -> String { "\(base) dbname=\(name) user=\(role)" }

    /// A raw connection as `role`, for SQL that bypasses the store's API.
    func connect(as role: String) throws -> PostgresConnection {
        try PostgresConnection(conninfo: conninfo(role: role))
    }
}

import Crypto
import Store

extension Daemon {
    /// The configured database: SQLite under `state` (encrypted with the state's database
    /// key), or PostgreSQL when `store` names one. With `store_owner`, pending migrations
    /// run as that role first; whootd itself then acts as the `store` role, which
    /// row-level security confines to one tenant per transaction.
    func openStore(_ state: String) throws -> Store {
        guard let conninfo = options.store else {
            let key = try DatabaseKey.load(stateDirectory: state)
            return try Store(path: state + "/whoot.db", key: key)
        }
        return try Store(
            postgres: conninfo, migrateAs: options.storeOwner, poolSize: options.storePool)
    }
}

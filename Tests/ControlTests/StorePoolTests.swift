import Control
import Dispatch
import Store
import Synchronization
import Testing
import Wire

/// One store serving transactions from many threads at once: on PostgreSQL through its
/// connection pool (side by side), on SQLite through its one connection (in turn).
/// Runs on SQLite, and on PostgreSQL in the second pass (scripts/test-postgres.sh).
@Suite struct StorePoolTests {
    @Test func concurrentAuditedWritesAllCommitAndTheChainVerifies() throws {
        let fixture = try Fixture()
        let control: ControlPlane = fixture.control
        let tenant = try fixture.tenant("acme", channels: [], members: [])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<15 {
                do {
                    _ = try control.createChannel(
                        tenant: tenant, name: "t\(thread)-\(index)", actor: .system)
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let channels = try control.store.read { try $0.channels(TenantScope(tenant)) }
        #expect(channels.count == 120)
        #expect(try control.verifyAudit(tenant: tenant).ok)
    }

    @Test func moreThreadsThanConnectionsAllGetTheirTurn() throws {
        let fixture = try Fixture()
        let tenant = try fixture.tenant("acme", channels: ["ops"], members: [])
        let store: Store = fixture.control.store
        #expect(store.poolSize >= 1)
        let seen = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4 * store.poolSize + 3) { _ in
            if let channels = try? store.read({ try $0.channels(TenantScope(tenant)) }),
                channels.count == 1
            {
                seen.add(1, ordering: .relaxed)
            }
        }
        #expect(seen.load(ordering: .relaxed) == 4 * store.poolSize + 3)
    }
}

@testable import Admin
import Foundation
import Testing

/// Idle clients cannot lock operators out of the admin socket.
@Suite struct AdminConnectionLimitTests {
    @Test func aClientOverTheLimitIsToldWhyAndIdleClientsAreCutAfterTheTimeout() throws {
        let fixture = try AdminFixture(maxConnections: 2, idleTimeoutSeconds: 1)
        let idle = [try fixture.client(), try fixture.client()]
        _ = try idle[0].call("tenant.list")
        _ = try idle[1].call("tenant.list")

        // Both slots are taken: the third client gets the daemon's reason, not EPIPE.
        Thread.sleep(forTimeInterval: 0.1)
        let refused = try fixture.client()
        let error = #expect(throws: AdminClientError.self) { _ = try refused.call("tenant.list") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("too many admin connections"))

        // After the idle timeout the server drops the silent connections.
        Thread.sleep(forTimeInterval: 1.6)
        let later = try fixture.client()
        let tenants = try later.call("tenant.list")
        #expect(tenants["tenants"] != nil)
        withExtendedLifetime(idle) {}
    }
}

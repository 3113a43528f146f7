import Control
import Relay

extension Daemon {
    /// Joins the nodes sharing this PostgreSQL database when `node_url` is set.
    func startCluster(control: ControlPlane, relay: Relay, whip: WHIPService) throws {
        guard let nodeURL = options.nodeURL else { return }
        guard let conninfo = options.store else {
            throw Options.UsageError(description: "node_url needs a postgres:// store")
        }
        let cluster = try NodeCluster(
            nodeURL: nodeURL, leaseSeconds: options.leaseSeconds, conninfo: conninfo,
            control: control, relay: relay)
        cluster.start()
        whip.cluster = cluster
        Self.logger.notice("cluster node started", ["node": cluster.node, "url": nodeURL])
    }
}

import Admin
import Control
import Crypto
import Foundation
import HTTPEdge
import Logging
import Recording
import Relay
import Store
import Synchronization
import Wire

/// Wires the planes together and runs them: started in order, stopped in reverse.
///
/// Lifecycle (systemd Type=notify): READY once HTTPS, UDP and the admin socket accept;
/// WATCHDOG pings while the forwarding loop turns; SIGTERM drains (no new joins, live
/// calls get `drainSeconds` to end, then are cut) and exits 0; SIGHUP reloads the
/// configuration file's log level and the TLS certificate without touching live calls.
final class Daemon {
    static let logger = Logger("whootd")

    private(set) var options: Options
    let notifier = SystemdNotifier()
    let httpMetrics = HTTPMetrics()
    let httpLimits = HTTPLimitCounters()
    private var relay: Relay?
    private var https: HTTPSServer?
    private var admin: AdminServer?
    private var control: ControlPlane?
    private var whip: WHIPService?
    private var keys: KeyDirectory?
    private var watchdog: Thread?
    private let stopping = StopFlag()
    private var sealing: AuditSealing?
    private var recording: RecordingWiring?

    init(options: Options) {
        self.options = options
    }

    func start() throws {
        notifier.send("STATUS=starting")
        let state = URL(fileURLWithPath: options.stateDirectory).standardizedFileURL.path
        try makePrivateDirectory(state)
        let keys = try KeyDirectory(
            stateDirectory: state, environment: ProcessInfo.processInfo.environment)
        self.keys = keys
        try makePrivateDirectory(state + "/audit")

        // Every key is read (or made) before the database is opened, so a damaged or
        // exposed key refuses the start before anything is written.
        let mfaKey = try MFAKey.load(stateDirectory: state)
        _ = try keys.ed25519("audit-signing.pem")
        _ = try RecordingKeys.loadMasterKey(stateDirectory: state)
        let dtlsCertificate = try keys.certificate(
            "dtls.pem", commonName: "whootd", subjectAltNames: [])
        let tlsCertificate = try loadTLSCertificate(keys)

        let control = ControlPlane(store: try openStore(state), mfaKey: mfaKey)
        self.control = control
        let sealing = try AuditSealing(
            control: control, keys: keys, stateDirectory: state, soleWriter: options.store == nil)
        sealing.start()
        self.sealing = sealing
        if options.seedDemo { _ = try control.ensureDemo() }

        guard let udpAddress = PeerAddress(host: options.udpHost, port: options.udpPort) else {
            throw Options.UsageError(description: "bad udp address")
        }
        let relay = try Relay(
            bind: udpAddress, certificate: dtlsCertificate, limits: options.admission)
        relay.start()
        self.relay = relay
        control.onRevocation { revocation in
            relay.dropMember(
                tenant: revocation.tenant, member: revocation.member, channel: revocation.channel)
        }

        let recording = try RecordingWiring(stateDirectory: state, control: control, relay: relay)
        self.recording = recording

        let candidate = options.candidateHost
            ?? (["0.0.0.0", "::"].contains(options.udpHost) ? "127.0.0.1" : options.udpHost)
        let whip = WHIPService(
            control: control, relay: relay, certificate: dtlsCertificate,
            candidateHost: candidate)
        let rejoin = RejoinKeeper(
            graceSeconds: options.rejoinGraceSeconds, control: control, relay: relay)
        rejoin.start()
        whip.rejoin = rejoin
        self.whip = whip
        try startCluster(control: control, relay: relay, whip: whip)
        let api = APIRoutes(
            whip: whip, relay: relay, control: control, recording: recording.service,
            metrics: MetricsRenderer(
                relay: relay, http: httpMetrics,
                limits: LimitHits(relay: relay, http: httpLimits, control: control),
                recording: recording.service.writer),
            joinTokenTTLSeconds: options.joinTokenTTLSeconds,
            cors: CrossOrigin(allowed: options.allowedOrigins))
        let metrics = httpMetrics
        let https = HTTPSServer(
            configuration: HTTPSConfiguration(
                host: options.httpsHost, port: options.httpsPort,
                certificatePEM: tlsCertificate.certificatePEM,
                privateKeyPEM: tlsCertificate.privateKeyPEM.reveal,
                maxBodyBytes: options.httpMaxBodyBytes,
                maxConnections: options.httpMaxConnections,
                perIPConnectionLimit: options.httpMaxConnectionsPerIP,
                connectionTimeoutSeconds: options.httpConnectionTimeoutSeconds,
                limitCounters: httpLimits),
            handler: { request in
                let started = DispatchTime.now().uptimeNanoseconds
                let response = api.handle(request)
                let elapsed = DispatchTime.now().uptimeNanoseconds - started
                metrics.observe(status: response.status, seconds: Double(elapsed) / 1e9)
                return response
            })
        try https.start()
        self.https = https

        let admin = AdminServer(
            configuration: AdminServer.Configuration(
                socketPath: options.adminSocket, adminGroup: options.adminGroup,
                idleTimeoutSeconds: options.adminIdleTimeoutSeconds),
            control: control)
        AdminCommands.register(on: admin, relay: relay)
        AdminCommands.registerRecording(on: admin, control: control, service: recording.service)
        try admin.start()
        self.admin = admin

        startWatchdog(relay: relay)
        notifier.send("READY=1\nSTATUS=serving")
        Self.logger.notice("whootd ready", [
            "https.addr": "\(options.httpsHost):\(https.boundPort)",
            "udp.addr": relay.localAddress.description, "admin.socket": options.adminSocket,
            "state.dir": state,
        ])
    }

    /// SIGTERM: stop admitting, let live calls end until the deadline, then stop
    /// everything in reverse order of start.
    func drainAndStop() {
        stopping.value.store(true, ordering: .relaxed)
        whip?.stopAdmitting()
        notifier.send("STOPPING=1\nSTATUS=draining")
        if let cluster = whip?.cluster {
            let dropped = cluster.handOver()
            Self.logger.notice("leases given back; sessions handed over to the other nodes",
                               ["sessions": "\(dropped)"])
        }
        if let relay {
            let deadline = Date().addingTimeInterval(Double(options.drainSeconds))
            var live = relay.sessions().count
            Self.logger.notice("draining", ["sessions": "\(live)",
                                            "deadline.s": "\(options.drainSeconds)"])
            while live > 0 && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
                live = relay.sessions().count
            }
            if live > 0 {
                Self.logger.notice("drain deadline passed; cutting calls", ["sessions": "\(live)"])
            }
        }
        stop()
    }

    /// Stops in reverse order of start.
    func stop() {
        stopping.value.store(true, ordering: .relaxed)
        whip?.cluster?.stop()
        whip?.rejoin?.stop()
        admin?.stop()
        https?.stop()
        relay?.stop()
        recording?.stop()
        sealing?.stop()
        // Every committed page into the database file, and the WAL emptied; whatever
        // still holds the store after this finds it as it was.
        do { try control?.store.checkpoint() } catch {
            Self.logger.error("database not checkpointed at stop", ["error": "\(error)"])
        }
        admin = nil
        https = nil
        whip = nil
        control = nil
        Self.logger.notice("whootd stopped")
    }

    /// SIGHUP: re-reads the configuration file (log level) and the TLS certificate. Live
    /// calls are untouched; a bad new certificate leaves the old one in service.
    func reload() {
        notifier.send("RELOADING=1\nSTATUS=reloading")
        defer { notifier.send("READY=1\nSTATUS=serving") }
        if let path = options.configFile {
            do {
                let fresh = try Options.parse(
                    ["--config", path],
                    readFile: Options.readConfigurationFile)
                options.logLevel = fresh.logLevel
                options.tlsCertificate = fresh.tlsCertificate
                if let level = LogLevel(name: fresh.logLevel) { Logger.setLevel(level) }
            } catch {
                Self.logger.error("reload: configuration not applied", ["error": "\(error)"])
            }
        }
        guard let keys, let https else { return }
        do {
            let certificate = try loadTLSCertificate(keys)
            try https.reloadCertificate(
                certificatePEM: certificate.certificatePEM,
                privateKeyPEM: certificate.privateKeyPEM.reveal)
            Self.logger.notice("reload: TLS certificate in service",
                               ["tls.sha256": Hex.encode(certificate.fingerprint(.sha256))])
        } catch {
            Self.logger.error("reload: TLS certificate not replaced", ["error": "\(error)"])
        }
    }

    private func loadTLSCertificate(_ keys: KeyDirectory) throws -> Certificate {
        if let path = options.tlsCertificate {
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw Options.UsageError(
                    description: "tls_certificate \(path): cannot read it (missing or no access)")
            }
            return try Certificate(pem: String(decoding: bytes, as: UTF8.self))
        }
        return try keys.certificate(
            "tls.pem", commonName: "localhost",
            subjectAltNames: ["localhost", "127.0.0.1", "::1"])
    }

    /// Pings the systemd watchdog at half its interval while the forwarding loop is alive.
    private func startWatchdog(relay: Relay) {
        guard let usec = notifier.watchdogMicroseconds else { return }
        let interval = Double(usec) / 2_000_000
        let notifier = self.notifier
        let thread = Thread { [stopping] in
            while !stopping.value.load(ordering: .relaxed) {
                let age = monotonicMillis() &- relay.heartbeat
                if age < UInt64(usec / 1000) { notifier.send("WATCHDOG=1") }
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.name = "whoot-watchdog"
        thread.start()
        watchdog = thread
    }

    private func makePrivateDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
    }
}

/// Unix time in milliseconds, for token expiry and audit timestamps.
func unixMillis() -> Int64 {
    Int64(Date().timeIntervalSince1970 * 1000)
}

/// A flag other threads can hold a reference to (atomics cannot be captured by value).
final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}

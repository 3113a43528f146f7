import Admin
import Control
import Crypto
import Foundation
import HTTPEdge
import Logging
import Recording
import Relay
import Store
import Wire

/// Wires the planes together and runs them: started in order, stopped in reverse.
final class Daemon {
    static let logger = Logger("whootd")

    let options: Options
    private var relay: Relay?
    private var https: HTTPSServer?
    private var admin: AdminServer?
    private var control: ControlPlane?
    private var whip: WHIPService?
    private var recording: RecordingWiring?

    init(options: Options) {
        self.options = options
    }

    func start() throws {
        let state = URL(fileURLWithPath: options.stateDirectory).standardizedFileURL.path
        try makePrivateDirectory(state)
        try makePrivateDirectory(state + "/keys")
        try makePrivateDirectory(state + "/tls")

        let control = ControlPlane(store: try Store(path: state + "/whoot.db"))
        self.control = control
        if options.seedDemo { _ = try control.ensureDemo() }

        let dtlsCertificate = try Certificate.loadOrCreate(
            path: state + "/keys/dtls.pem", commonName: "whootd", subjectAltNames: [])
        let tlsCertificate = try Certificate.loadOrCreate(
            path: state + "/tls/server.pem", commonName: "localhost",
            subjectAltNames: ["localhost", "127.0.0.1", "::1"])

        guard let udpAddress = PeerAddress(host: options.udpHost, port: options.udpPort) else {
            throw Options.UsageError(description: "bad --udp address")
        }
        let relay = try Relay(bind: udpAddress, certificate: dtlsCertificate)
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
        self.whip = whip
        let api = APIRoutes(whip: whip, relay: relay, control: control,
                            recording: recording.service)
        let https = HTTPSServer(
            configuration: HTTPSConfiguration(
                host: options.httpsHost, port: options.httpsPort,
                certificatePEM: tlsCertificate.certificatePEM,
                privateKeyPEM: tlsCertificate.privateKeyPEM.reveal),
            handler: api.handle)
        try https.start()
        self.https = https

        let admin = AdminServer(
            configuration: AdminServer.Configuration(socketPath: options.adminSocket),
            control: control)
        AdminCommands.register(on: admin, relay: relay)
        AdminCommands.registerRecording(on: admin, control: control, service: recording.service)
        try admin.start()
        self.admin = admin

        Self.logger.notice("whootd ready", [
            "https.addr": "\(options.httpsHost):\(https.boundPort)",
            "udp.addr": relay.localAddress.description, "admin.socket": options.adminSocket,
            "state.dir": state,
        ])
    }

    /// Stops in reverse order of start.
    func stop() {
        whip?.admitting = false
        admin?.stop()
        https?.stop()
        relay?.stop()
        recording?.stop()
        Self.logger.notice("whootd stopped")
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

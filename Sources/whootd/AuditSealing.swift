import Control
import Crypto
import Foundation
import Logging

/// The audit log's signing key and the timer that signs checkpoints every few minutes.
///
/// The key is `audit-signing.pem` from `KeyDirectory`: the systemd credential, else
/// `<state>/keys/audit-signing.pem` (created with mode 0600 on first start). Checkpoints
/// also go to `<state>/audit/checkpoints.log`.
final class AuditSealing {
    static let logger = Logger("audit")
    /// Time between timed checkpoints, in seconds.
    static let intervalSeconds: Double = 300

    private let control: ControlPlane
    private let stopped = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// - Parameter soleWriter: whether this process is the database's only writer (SQLite),
    ///   so that its checkpoint file must hold every checkpoint in the database.
    init(control: ControlPlane, keys: KeyDirectory, stateDirectory: String, soleWriter: Bool)
        throws
    {
        self.control = control
        let key = try keys.ed25519("audit-signing.pem")
        try control.auditSettings.configure(
            signer: key, checkpointFile: stateDirectory + "/audit/checkpoints.log",
            fileHoldsEveryCheckpoint: soleWriter)
    }

    /// Starts the timer thread; each turn signs every tenant's new entries.
    func start() {
        let thread = Thread { [control, stopped] in
            while stopped.wait(timeout: .now() + Self.intervalSeconds) == .timedOut {
                do {
                    let made = try control.checkpointAllAudit(
                        now: ControlPlane.wallClockMilliseconds())
                    if !made.isEmpty {
                        Self.logger.info("audit checkpoints signed", ["count": "\(made.count)"])
                    }
                } catch {
                    Self.logger.error("audit checkpoint failed", ["error": "\(error)"])
                }
            }
        }
        thread.name = "whoot-audit-seal"
        self.thread = thread
        thread.start()
    }

    /// Signs a last checkpoint of every tenant and stops the timer.
    func stop() {
        stopped.signal()
        _ = try? control.checkpointAllAudit(now: ControlPlane.wallClockMilliseconds())
    }
}

import Control
import Foundation
import Logging
import Recording
import Relay
import Wire

#if canImport(Glibc)
    import Glibc
#endif

extension RecordingTap: MediaTap {}

/// Starts recording for whootd: the master key, the writer thread, the relay taps of the
/// channels with recording on, recovery after a crash, and the retention job (at start,
/// then every `WHOOT_RETENTION_INTERVAL_S` seconds, default 3600).
///
/// Test knobs (environment): `WHOOT_RECORDING_WRITE_DELAY_MS` sleeps before each file
/// write (the slow-disk test), `WHOOT_RECORDING_IDLE_MS` closes a file after that much
/// silence (default 15000), `WHOOT_RECORDING_TAP_SLOTS` sets each tap's ring size.
final class RecordingWiring {
    static let logger = Logger("recording")

    let service: RecordingService
    private let retentionStop = DispatchSemaphore(value: 0)
    private let retentionDone = DispatchSemaphore(value: 0)

    init(stateDirectory: String, control: ControlPlane, relay: Relay) throws {
        let environment = ProcessInfo.processInfo.environment
        let keys = RecordingKeys(
            master: try RecordingKeys.loadMasterKey(stateDirectory: stateDirectory),
            store: control.store)
        var configuration = RecordingWriter.Configuration(stateDirectory: stateDirectory)
        if let idle = environment["WHOOT_RECORDING_IDLE_MS"].flatMap(UInt64.init) {
            configuration.idleCloseMs = idle
        }
        if let slots = environment["WHOOT_RECORDING_TAP_SLOTS"].flatMap(Int.init) {
            configuration.tapCapacity = slots
        }
        if let delay = environment["WHOOT_RECORDING_WRITE_DELAY_MS"].flatMap(UInt32.init) {
            configuration.beforeWrite = { usleep(delay * 1_000) }
        }
        let writer = RecordingWriter(
            configuration: configuration, store: control.store, keys: keys,
            wallClock: ControlPlane.wallClockMilliseconds, monotonic: monotonicMillis)
        service = RecordingService(
            control: control, keys: keys, writer: writer, stateDirectory: stateDirectory,
            clock: ControlPlane.wallClockMilliseconds)

        try service.recoverAfterRestart()
        writer.start()
        try service.onTapChange { tenant, channel, tap in
            relay.setRecordingTap(tenant: tenant, channel: channel, tap: tap)
        }
        let interval = environment["WHOOT_RETENTION_INTERVAL_S"].flatMap(Int.init) ?? 3_600
        startRetention(everySeconds: max(interval, 1))
    }

    private func startRetention(everySeconds interval: Int) {
        let service = self.service
        let stop = retentionStop
        let done = retentionDone
        let thread = Thread {
            repeat {
                do {
                    let deleted = try service.runRetention()
                    if deleted > 0 {
                        Self.logger.info("retention deleted recordings", ["count": "\(deleted)"])
                    }
                } catch {
                    Self.logger.error("retention job failed", ["error": "\(error)"])
                }
            } while stop.wait(timeout: .now() + .seconds(interval)) == .timedOut
            done.signal()
        }
        thread.name = "whoot-retention"
        thread.start()
    }

    /// Stops the retention job, then the writer (which closes every open file).
    func stop() {
        retentionStop.signal()
        retentionDone.wait()
        service.writer.stop()
    }
}

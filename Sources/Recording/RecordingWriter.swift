import Foundation
import Logging
import Store
import Synchronization
import Wire

/// The recording writer: one thread that drains every recorded channel's tap and writes
/// its encrypted file. The forwarding threads never wait for it; when it falls behind,
/// taps fill up and drop (counted in each tap).
///
/// Thread use: `tap(for:)`, `stopRecording`, `abandon` and `stop` may be called from any
/// thread; recorders are touched only on the writer thread (or by `runOnce` in tests that
/// do not start the thread).
public final class RecordingWriter: @unchecked Sendable {
    static let logger = Logger("recording")

    public struct Configuration: Sendable {
        /// whootd's state directory; files go under `recordings/<tenant>/<channel>/`.
        public var stateDirectory: String
        /// A chunk is sealed and written at least this often while frames arrive, in ms:
        /// at most this much audio is lost when whootd dies.
        public var chunkIntervalMs: UInt64 = 1_000
        /// A chunk is sealed early when its plaintext reaches this size, in bytes.
        public var chunkBytes = 64 * 1_024
        /// A file is closed after the channel has been silent this long, in ms.
        public var idleCloseMs: UInt64 = 15_000
        /// How often the thread wakes to drain the taps, in ms.
        public var pollMs: UInt32 = 20
        /// Slots per tap.
        public var tapCapacity = 1_024
        /// Called before each file write: the slow-disk test injects a delay here, and
        /// tests of a failing disk throw.
        public var beforeWrite: (@Sendable () throws -> Void)?

        public init(stateDirectory: String) {
            self.stateDirectory = stateDirectory
        }
    }

    private let context: RecorderContext
    private let monotonic: () -> UInt64
    private let recorders = Mutex<[RecordingKey: ChannelRecorder]>([:])
    /// Recorders turned off, to be closed by the writer thread on its next turn.
    private let retiring = Mutex<[ChannelRecorder]>([])
    /// Recorders of deleted channels, to be dropped by the writer thread.
    private let abandoned = Mutex<[ChannelRecorder]>([])
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let errors = Atomic<UInt64>(0)

    /// Write errors so far (each also logged).
    public var errorCount: UInt64 { errors.load(ordering: .relaxed) }

    /// - Parameters:
    ///   - wallClock: Unix time in ms, for the database's started/ended times.
    ///   - monotonic: monotonic ms on the same clock as the relay's arrival times.
    public init(
        configuration: Configuration, store: Store, keys: RecordingKeys,
        wallClock: @escaping () -> Int64, monotonic: @escaping () -> UInt64
    ) {
        context = RecorderContext(
            configuration: configuration, store: store, keys: keys, wallClock: wallClock)
        self.monotonic = monotonic
    }

    /// The tap of a channel to record, made on first call.
    public func tap(tenant: TenantID, channel: ChannelID) -> RecordingTap {
        recorders.withLock { recorders in
            let key = RecordingKey(tenant: tenant, channel: channel)
            if let recorder = recorders[key] { return recorder.tap }
            let tap = RecordingTap(
                tenant: tenant, channel: channel, capacity: context.configuration.tapCapacity)
            recorders[key] = ChannelRecorder(tap: tap, context: context)
            return tap
        }
    }

    /// Every tap being drained, for counters.
    public func taps() -> [RecordingTap] {
        recorders.withLock { $0.values.map(\.tap) }
    }

    /// Stops recording a channel: what is queued is written and the file closed on the
    /// writer's next turn. Detach the tap from the relay first.
    public func stopRecording(tenant: TenantID, channel: ChannelID) {
        let key = RecordingKey(tenant: tenant, channel: channel)
        guard let recorder = recorders.withLock({ $0.removeValue(forKey: key) }) else { return }
        retiring.withLock { $0.append(recorder) }
    }

    /// Drops a channel's recording in progress; its file is unlinked on the writer's next
    /// turn (the channel was deleted, and its rows with it).
    public func abandon(tenant: TenantID, channel: ChannelID) {
        let key = RecordingKey(tenant: tenant, channel: channel)
        guard let recorder = recorders.withLock({ $0.removeValue(forKey: key) }) else { return }
        abandoned.withLock { $0.append(recorder) }
    }

    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) {
                runOnce()
                usleep(context.configuration.pollMs * 1_000)
            }
            runOnce()
            closeAll()
            finished.signal()
        }
        thread.name = "whoot-rec"
        thread.start()
    }

    /// Stops the thread after it has written what is queued and closed every file.
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    /// One writer turn: drain every tap, seal due chunks, close idle and retired files.
    public func runOnce() {
        let now = monotonic()
        let active = recorders.withLock { Array($0.values) }
        for recorder in active where recorder.retryAtMs <= now {
            guarded(recorder, now: now) { try $0.service(nowMs: now) }
        }
        let retired = retiring.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for recorder in abandoned.withLock({ list in defer { list.removeAll() }; return list }) {
            recorder.abandon()
        }
        for recorder in retired {
            guarded(recorder, now: now) {
                try $0.service(nowMs: now)
                try $0.close()
            }
        }
    }

    /// Closes every open file (writer stopping).
    public func closeAll() {
        let now = monotonic()
        for recorder in recorders.withLock({ Array($0.values) }) {
            guarded(recorder, now: now) { try $0.close() }
        }
    }

    /// Runs one step of `recorder`; a failure is counted, logged with when the next attempt
    /// comes, and drops the file in progress (see `ChannelRecorder.abandonAfterError`).
    private func guarded(
        _ recorder: ChannelRecorder, now: UInt64, _ body: (ChannelRecorder) throws -> Void
    ) {
        let tenant = "\(recorder.tap.tenant.rawValue)"
        let channel = "\(recorder.tap.channel.rawValue)"
        do {
            try body(recorder)
        } catch {
            errors.add(1, ordering: .relaxed)
            let delay = recorder.abandonAfterError(nowMs: now)
            Self.logger.error("recording write failed", [
                "tenant.id": tenant, "channel.id": channel, "error": "\(error)",
                "retry.in_ms": "\(delay)", "failures.in_a_row": "\(recorder.failuresInARow)",
            ])
            return
        }
        // Resumed once a file is open again (a silent channel proves nothing).
        if recorder.failuresInARow > 0, recorder.current != nil {
            let failures = recorder.recovered()
            Self.logger.notice("recording writes resumed", [
                "tenant.id": tenant, "channel.id": channel,
                "failures.in_a_row": "\(failures)",
            ])
        }
    }
}

/// A recorded channel: tenant and channel together.
struct RecordingKey: Hashable {
    let tenant: TenantID
    let channel: ChannelID
}

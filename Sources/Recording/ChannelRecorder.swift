import Crypto
import Store
import Wire

/// One channel's recording in progress, driven by the writer thread only: frames from the
/// tap go through the Ogg Opus muxer into a plaintext buffer, which is sealed into a chunk
/// every `chunkIntervalMs` or `chunkBytes`, and appended to the file.
///
/// A file is opened on the first frame and closed (final chunk, database row finished)
/// when the channel stays silent for `idleCloseMs`, when recording is turned off, or when
/// the writer stops.
final class ChannelRecorder {
    struct OpenFile {
        let recordID: Int64
        let scope: TenantScope
        let file: AppendFile
        var sealer: SealedFileWriter
        let muxer: OggOpusMuxer
        var plaintext: [UInt8] = []
        var lastChunkAtMs: UInt64
        var lastFrameAtMs: UInt64
    }

    let tap: RecordingTap
    private let context: RecorderContext
    private(set) var current: OpenFile?
    /// Files this recorder closed, for counters.
    private(set) var filesClosed = 0
    /// Write failures in a row; the writer waits longer before each retry.
    private(set) var failuresInARow = 0
    /// Monotonic ms before which the writer leaves this recorder alone after a failure.
    private(set) var retryAtMs: UInt64 = 0
    /// Files dropped after a write error whose rows are still to be marked ended
    /// (incomplete); tried again each turn until the database takes the write.
    private var unended: [(scope: TenantScope, recordID: Int64, bytes: Int64)] = []

    /// Longest wait between retries after failures in a row, in ms.
    static let maxRetryDelayMs: UInt64 = 30_000

    init(tap: RecordingTap, context: RecorderContext) {
        self.tap = tap
        self.context = context
    }

    /// Moves the tap's frames into the file and seals a chunk when one is due.
    func service(nowMs: UInt64) throws {
        try endDropped()
        try tap.drain { frame in
            if current == nil { try open(firstFrameAt: frame.arrivalMs, nowMs: nowMs) }
            current!.muxer.add(frame, into: &current!.plaintext)
            current!.lastFrameAtMs = frame.arrivalMs
        }
        guard var open = current else { return }
        if nowMs &- open.lastFrameAtMs >= context.configuration.idleCloseMs {
            return try close()
        }
        let due = nowMs &- open.lastChunkAtMs >= context.configuration.chunkIntervalMs
        if open.plaintext.count >= context.configuration.chunkBytes
            || (due && !open.plaintext.isEmpty)
        {
            try writeChunk(&open, last: false, nowMs: nowMs)
            current = open
        }
    }

    /// Drains what is queued, writes the final chunk and finishes the database row.
    func close() throws {
        try endDropped()
        guard var open = current else { return }
        current = nil
        open.muxer.finish(into: &open.plaintext)
        try writeChunk(&open, last: true, nowMs: 0)
        open.file.close()
        let duration = open.muxer.durationSamples / 48
        try context.store.write { transaction in
            try transaction.finishRecording(
                open.scope, id: open.recordID, endedAtMs: context.wallClock(),
                durationMs: duration, bytes: open.file.bytesWritten, complete: true)
        }
        filesClosed += 1
    }

    /// Stops without finishing: the channel was deleted and its rows are gone already.
    func abandon() {
        current?.file.close()
        if let path = current?.file.path { try? PrivateFiles.remove(path) }
        current = nil
    }

    /// - Parameters:
    ///   - startMs: the first frame's arrival, monotonic ms.
    ///   - nowMs: monotonic ms now; the frame may have waited in the tap (a disk that was
    ///     full), and the recording starts when its audio arrived, not when it was written.
    private func open(firstFrameAt startMs: UInt64, nowMs: UInt64) throws {
        let scope = TenantScope(tap.tenant)
        let now = context.wallClock() - Int64(nowMs > startMs ? nowMs - startMs : 0)
        let fileIDBytes = SecureRandom.bytes(16)
        let fileID = Hex.encode(fileIDBytes)
        let directory = "recordings/\(tap.tenant.rawValue)/\(tap.channel.rawValue)"
        let path = "\(directory)/\(fileID).wrec"
        try PrivateFiles.makeDirectory(context.configuration.stateDirectory + "/" + directory)

        let key = KeyWrap.generateKey()
        let wrapped = try context.keys.wrapFileKey(
            key, tenant: tap.tenant, fileID: fileID, nowMs: now)
        // The file and its header first, then the row: a disk that refuses either leaves
        // neither behind (a row without a file would look like a recording in progress).
        let fullPath = context.configuration.stateDirectory + "/" + path
        let file = try AppendFile(creating: fullPath)
        let sealer = SealedFileWriter(key: key, fileID: fileIDBytes, kind: .audio)
        let recordID: Int64
        do {
            try context.slowDown()
            try file.append(sealer.header)
            recordID = try context.store.write { transaction -> Int64 in
                let settings = try transaction.recordingSettings(scope, channel: tap.channel)
                return try transaction.insertRecording(
                    scope, fileID: fileID, channel: tap.channel, path: path, startedAtMs: now,
                    wrappedKey: wrapped,
                    expiresAtMs: settings.retentionDays.map { now + Int64($0) * 86_400_000 })
            }
        } catch {
            file.close()
            try? PrivateFiles.remove(fullPath)
            throw error
        }
        current = OpenFile(
            recordID: recordID, scope: scope, file: file, sealer: sealer,
            muxer: OggOpusMuxer(startMs: startMs), lastChunkAtMs: startMs,
            lastFrameAtMs: startMs)
    }

    private func writeChunk(_ open: inout OpenFile, last: Bool, nowMs: UInt64) throws {
        let bytes = try open.sealer.seal(open.plaintext, last: last)
        open.plaintext.removeAll(keepingCapacity: true)
        try context.slowDown()
        try open.file.append(bytes)
        try open.file.sync()
        if nowMs > 0 { open.lastChunkAtMs = nowMs }
    }
}

/// What every recorder of one writer shares.
final class RecorderContext {
    let configuration: RecordingWriter.Configuration
    let store: Store
    let keys: RecordingKeys
    let wallClock: () -> Int64

    init(configuration: RecordingWriter.Configuration, store: Store, keys: RecordingKeys,
         wallClock: @escaping () -> Int64)
    {
        self.configuration = configuration
        self.store = store
        self.keys = keys
        self.wallClock = wallClock
    }

    /// The injected disk delay or failure of a test, if any.
    func slowDown() throws {
        try configuration.beforeWrite?()
    }
}

extension ChannelRecorder {
    /// Drops the file in progress after a failed write (it opens up to its last whole
    /// chunk; its row is marked ended, incomplete, as soon as the database takes the
    /// write) and schedules the next attempt:
    /// 1 s after the first failure, doubling up to `maxRetryDelayMs`, so that a full disk
    /// costs a few attempts (and log lines) a minute rather than one every turn. Frames
    /// arriving meanwhile fill the tap, which drops and counts them. Returns the delay.
    @discardableResult
    func abandonAfterError(nowMs: UInt64) -> UInt64 {
        if let open = current {
            open.file.close()
            unended.append((open.scope, open.recordID, open.file.bytesWritten))
            _ = try? endDropped()
        }
        current = nil
        failuresInARow += 1
        let delay = min(Self.maxRetryDelayMs, 1_000 << UInt64(min(failuresInARow - 1, 15)))
        retryAtMs = nowMs &+ delay
        return delay
    }

    /// Marks the rows of dropped files ended (incomplete, duration unknown, as recovery
    /// after a crash does). Throws while the database refuses; they stay queued.
    private func endDropped() throws {
        while let dropped = unended.first {
            try context.store.write { transaction in
                try transaction.finishRecording(
                    dropped.scope, id: dropped.recordID, endedAtMs: context.wallClock(),
                    durationMs: -1, bytes: dropped.bytes, complete: false)
            }
            unended.removeFirst()
        }
    }

    /// A turn went through after failures: the next failure waits 1 s again. Returns how
    /// many failures in a row there had been.
    func recovered() -> Int {
        defer { failuresInARow = 0 }
        return failuresInARow
    }
}

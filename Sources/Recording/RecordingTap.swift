import Synchronization
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// A bounded single-producer, single-consumer ring of decrypted Opus frames for one
/// channel being recorded.
///
/// The producer is the forwarding thread that owns the channel's room; it calls `push`
/// once per received frame. The consumer is the recording writer's thread, which calls
/// `drain`. Slots are allocated once; `push` copies the payload into a slot, takes no
/// lock, never allocates and never waits. A full ring drops the frame and counts it.
public final class RecordingTap: @unchecked Sendable {
    /// One frame as the writer sees it; `payload` is valid only inside `drain`'s body.
    public struct Frame {
        public let speaker: MemberID
        /// The speaker's RTP timestamp (48 kHz clock for Opus, RFC 7587 4.1).
        public let timestamp: UInt32
        /// Monotonic arrival time, in ms.
        public let arrivalMs: UInt64
        public let payload: UnsafeRawBufferPointer
    }

    private struct Meta {
        var speaker: Int64 = 0
        var timestamp: UInt32 = 0
        var length: Int = 0
        var arrivalMs: UInt64 = 0
    }

    /// Largest payload a slot holds, in bytes: an Opus packet is at most 1275 bytes per
    /// frame (RFC 6716 3.2.1); anything longer is dropped as oversized.
    public static let slotBytes = 1_280

    public let tenant: TenantID
    public let channel: ChannelID
    /// Slots in the ring (a power of two).
    public let capacity: Int

    /// Frames pushed, frames dropped because the ring was full, and frames dropped as
    /// larger than a slot. Read from any thread.
    public var pushedCount: UInt64 { pushed.load(ordering: .relaxed) }
    public var droppedCount: UInt64 { dropped.load(ordering: .relaxed) }
    public var oversizedCount: UInt64 { oversized.load(ordering: .relaxed) }

    private let mask: Int
    private let metas: UnsafeMutablePointer<Meta>
    private let payloads: UnsafeMutableRawPointer
    /// Next slot the consumer reads; written only by the consumer.
    private let head = Atomic<Int>(0)
    /// Next slot the producer writes; written only by the producer.
    private let tail = Atomic<Int>(0)
    private let pushed = Atomic<UInt64>(0)
    private let dropped = Atomic<UInt64>(0)
    private let oversized = Atomic<UInt64>(0)

    /// - Parameter capacity: slots, rounded up to a power of two (at least 2). 1024 slots
    ///   hold about 20 s of one speaker's 20 ms frames, 1.3 MB.
    public init(tenant: TenantID, channel: ChannelID, capacity: Int = 1_024) {
        var size = 2
        while size < capacity { size <<= 1 }
        self.tenant = tenant
        self.channel = channel
        self.capacity = size
        mask = size - 1
        metas = .allocate(capacity: size)
        metas.initialize(repeating: Meta(), count: size)
        payloads = .allocate(byteCount: size * Self.slotBytes, alignment: 16)
    }

    deinit {
        metas.deinitialize(count: capacity)
        metas.deallocate()
        payloads.deallocate()
    }

    /// Copies one frame into the ring. Producer thread only. Returns false, counting the
    /// drop, when the ring is full or the payload is larger than a slot.
    @inline(__always)
    @discardableResult
    public func push(
        speaker: MemberID, timestamp: UInt32, arrivalMs: UInt64, payload: UnsafeRawBufferPointer
    ) -> Bool {
        guard payload.count <= Self.slotBytes else {
            oversized.add(1, ordering: .relaxed)
            return false
        }
        let position = tail.load(ordering: .relaxed)
        guard position &- head.load(ordering: .acquiring) < capacity else {
            dropped.add(1, ordering: .relaxed)
            return false
        }

        let slot = position & mask
        metas[slot] = Meta(
            speaker: speaker.rawValue, timestamp: timestamp, length: payload.count,
            arrivalMs: arrivalMs)
        if let source = payload.baseAddress, payload.count > 0 {
            memcpy(payloads + slot * Self.slotBytes, source, payload.count)
        }
        tail.store(position &+ 1, ordering: .releasing)
        pushed.add(1, ordering: .relaxed)
        return true
    }

    /// Hands up to `limit` queued frames to `body`, oldest first, and frees their slots.
    /// Consumer thread only. Returns how many were handed over.
    @discardableResult
    public func drain(limit: Int = .max, _ body: (Frame) throws -> Void) rethrows -> Int {
        var position = head.load(ordering: .relaxed)
        let end = tail.load(ordering: .acquiring)
        var count = 0
        while position != end && count < limit {
            let slot = position & mask
            let meta = metas[slot]
            try body(Frame(
                speaker: MemberID(meta.speaker), timestamp: meta.timestamp,
                arrivalMs: meta.arrivalMs,
                payload: UnsafeRawBufferPointer(
                    start: payloads + slot * Self.slotBytes, count: meta.length)))
            position &+= 1
            count += 1
            head.store(position, ordering: .releasing)
        }
        return count
    }

    /// Frames waiting for the consumer.
    public var queued: Int { tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring) }
}

import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A lock-free single-producer single-consumer ring of datagrams, for handing a packet
/// that arrived on one worker's socket to the worker that owns its session.
///
/// Every slot has its own preallocated buffer: the producer copies the datagram in and
/// publishes it by advancing `tail` (release); the consumer reads it in place and frees
/// the slot by advancing `head` (release). Nothing is allocated after `init`.
///
/// Thread use: exactly one producer thread calls `push`, exactly one consumer thread calls
/// `peek`/`pop`. Owns its memory; `deinit` frees it.
final class SPSCRing: @unchecked Sendable {
    /// One queued datagram's metadata.
    struct Entry {
        var length: Int
        var peer: PeerAddress
        /// The owner's local session number the route named.
        var session: UInt32
        /// The kernel's arrival stamp (CLOCK_REALTIME ns; 0 when unknown).
        var arrival: UInt64
    }

    let capacity: Int
    let slotBytes: Int
    private let mask: Int
    /// Next slot to read; written by the consumer only.
    private let head = Atomic<Int>(0)
    /// Next slot to write; written by the producer only.
    private let tail = Atomic<Int>(0)
    private let entries: UnsafeMutablePointer<Entry>
    private let buffers: UnsafeMutableRawPointer

    /// - Parameters:
    ///   - capacity: slots, rounded up to a power of two.
    ///   - slotBytes: bytes per slot's buffer; longer datagrams are refused.
    init(capacity: Int, slotBytes: Int = 2048) {
        var size = 1
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.slotBytes = slotBytes
        mask = size - 1
        entries = .allocate(capacity: size)
        let nowhere = PeerAddress(host: "0.0.0.0", port: 0)!
        entries.initialize(
            repeating: Entry(length: 0, peer: nowhere, session: 0, arrival: 0), count: size)
        buffers = .allocate(byteCount: size * slotBytes, alignment: 64)
    }

    deinit {
        entries.deinitialize(count: capacity)
        entries.deallocate()
        buffers.deallocate()
    }

    /// Producer: copies `bytes` into the next slot. Returns false when the ring is full or
    /// the datagram is too long (the caller counts the drop).
    func push(
        _ bytes: UnsafeRawBufferPointer, from peer: PeerAddress, session: UInt32,
        arrival: UInt64 = 0
    ) -> Bool {
        let position = tail.load(ordering: .relaxed)
        guard bytes.count <= slotBytes,
            position &- head.load(ordering: .acquiring) < capacity
        else { return false }

        let index = position & mask
        if let source = bytes.baseAddress {
            memcpy(buffers + index * slotBytes, source, bytes.count)
        }
        entries[index] = Entry(
            length: bytes.count, peer: peer, session: session, arrival: arrival)
        tail.store(position &+ 1, ordering: .releasing)
        return true
    }

    /// Consumer: the oldest queued datagram and its whole slot buffer (so it can be
    /// decrypted in place), or nil when the ring is empty. Call `pop` when done with it.
    func peek() -> (entry: Entry, buffer: UnsafeMutableRawBufferPointer)? {
        let position = head.load(ordering: .relaxed)
        guard position != tail.load(ordering: .acquiring) else { return nil }
        let index = position & mask
        let buffer = UnsafeMutableRawBufferPointer(
            start: buffers + index * slotBytes, count: slotBytes)
        return (entries[index], buffer)
    }

    /// Consumer: frees the slot `peek` returned.
    func pop() {
        head.store(head.load(ordering: .relaxed) &+ 1, ordering: .releasing)
    }

    /// Datagrams queued now (approximate when read by neither side).
    var count: Int { tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring) }
}

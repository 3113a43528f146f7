import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A preallocated batch of packet buffers with the `mmsghdr`/`iovec`/address arrays that
/// `recvmmsg` and `sendmmsg` need. Allocated once per worker; receiving and sending touch
/// only this memory, so the packet path allocates nothing.
///
/// Thread use: owned by one worker. Owns its buffer memory and the C batch; `deinit`
/// frees both.
final class PacketBatch {
    /// Entries in the batch.
    let capacity: Int
    /// Bytes per buffer: enough for a 1500-byte path MTU datagram plus an SRTP trailer.
    let bufferBytes: Int
    private let memory: UnsafeMutableRawPointer
    private let batch: OpaquePointer
    /// Entries filled for sending so far.
    private(set) var pending = 0

    init(capacity: Int, bufferBytes: Int = 2048) {
        self.capacity = capacity
        self.bufferBytes = bufferBytes
        memory = .allocate(byteCount: capacity * bufferBytes, alignment: 64)
        guard let created = whoot_mmsg_create(UInt32(capacity), memory, bufferBytes) else {
            fatalError("out of memory allocating a packet batch of \(capacity)")
        }
        batch = created
    }

    deinit {
        whoot_mmsg_destroy(batch)
        memory.deallocate()
    }

    /// Entry `index`'s whole buffer.
    @inline(__always)
    func buffer(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: memory + index * bufferBytes, count: bufferBytes)
    }

    // MARK: receiving

    /// Receives what is waiting on `fd`, up to the batch's capacity, without blocking.
    /// Returns the number of datagrams; throws on a socket error other than would-block.
    func receive(from fd: Int32) throws -> Int {
        let got = whoot_mmsg_recv(fd, batch, UInt32(capacity))
        guard got >= 0 else { throw SystemError(call: "recvmmsg", errno: errno) }
        return Int(got)
    }

    @inline(__always)
    func length(_ index: Int) -> Int { whoot_mmsg_length(batch, UInt32(index)) }

    /// The kernel's arrival stamp of received entry `index` (CLOCK_REALTIME ns), or 0 when
    /// the socket does not stamp arrivals.
    @inline(__always)
    func arrival(_ index: Int) -> UInt64 { whoot_mmsg_arrival_ns(batch, UInt32(index)) }

    /// The sender of received entry `index`, or nil for an address family we do not route.
    @inline(__always)
    func sender(_ index: Int) -> PeerAddress? {
        PeerAddress(storage: whoot_mmsg_address(batch, UInt32(index)).pointee)
    }

    // MARK: sending

    /// True when no entry is free for another datagram.
    var isFull: Bool { pending == capacity }

    /// The buffer of the next entry to send; fill it, then call `commit`.
    @inline(__always)
    func nextSendBuffer() -> UnsafeMutableRawBufferPointer { buffer(pending) }

    /// Queues the next entry's first `length` bytes for `peer`.
    @inline(__always)
    func commit(length: Int, to peer: PeerAddress) {
        let index = UInt32(pending)
        let addressLength = peer.write(to: &whoot_mmsg_address(batch, index).pointee)
        whoot_mmsg_prepare_send(batch, index, length, addressLength)
        pending += 1
    }

    /// Sends every queued entry with `sendmmsg`. Returns how many the kernel took; the
    /// rest (a full socket buffer) are dropped: real-time audio is better lost than late.
    @discardableResult
    func flush(to fd: Int32) -> Int {
        guard pending > 0 else { return 0 }
        let sent = Int(whoot_mmsg_send(fd, batch, UInt32(pending)))
        pending = 0
        return sent
    }
}

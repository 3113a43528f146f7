import CLoadGen
import Foundation
import Wire

/// What the receiver threads saw during one measuring window.
struct Reception {
    /// Datagrams that look like forwarded media: RTP version 2, payload type 111, at least
    /// a 12-byte header plus our 60-byte payload. Counted on every listener socket.
    var received = 0
    /// Kernel arrival time minus the send time in the payload, in ns, for sampled listeners.
    var latencies: [Int64] = []
}

/// Reads every listener socket on its own threads: listener i belongs to thread i % threads,
/// which drains it with recvmmsg batches of 64 and reads the kernel's arrival stamp
/// (SO_TIMESTAMPNS). Only sampled listeners are decrypted (libsrtp) to read the send time;
/// the rest are counted by their look, so the generator is not the bottleneck.
final class ReceiverPool: @unchecked Sendable {
    private let threads: [ReceiverThread]

    /// `sampled`: how many listeners, spread evenly, are decrypted for latency.
    init(listeners: [Participant], threads count: Int, sampled: Int) throws {
        let stride = max(1, listeners.count / max(1, min(sampled, listeners.count)))
        var parts = Array(repeating: [(Participant, Bool)](), count: count)
        for (index, listener) in listeners.enumerated() {
            let isSampled = index % stride == 0 && index / stride < sampled
            parts[index % count].append((listener, isSampled))
        }
        threads = try parts.map { try ReceiverThread(listeners: $0) }
        sampledCount = parts.joined().filter(\.1).count
        for thread in threads { thread.start() }
    }

    /// Listeners decrypted for latency.
    let sampledCount: Int

    /// Starts a window: counts and latencies from now on.
    func begin() { for thread in threads { thread.setCounting(true) } }

    /// Ends the window and returns what all threads saw in it.
    func end() -> Reception {
        var total = Reception()
        for thread in threads {
            let part = thread.setCounting(false)
            total.received += part.received
            total.latencies += part.latencies
        }
        return total
    }

    func stop() { for thread in threads { thread.stop() } }
}

/// One receiving thread and the listeners it owns (their sockets and inbound SRTP).
private final class ReceiverThread: @unchecked Sendable {
    private let listeners: [(Participant, Bool)]
    private let epoll: Int32
    private let lock = NSLock()
    private var counting = false
    private var running = true
    private var reception = Reception()
    private let finished = DispatchSemaphore(value: 0)

    init(listeners: [(Participant, Bool)]) throws {
        self.listeners = listeners
        epoll = lg_epoll_create()
        guard epoll >= 0 else { throw LoadGenError("epoll_create1 failed: errno \(errno)") }
        for (token, (listener, _)) in listeners.enumerated() {
            let fd = listener.peer.socket.fd
            guard lg_enable_timestamps(fd) == 0, lg_epoll_add(epoll, fd, UInt32(token)) == 0
            else { throw LoadGenError("SO_TIMESTAMPNS or epoll_ctl failed: errno \(errno)") }
        }
    }

    deinit { close(epoll) }

    func start() {
        Thread.detachNewThread { [self] in
            run()
            finished.signal()
        }
    }

    func stop() {
        lock.withLock { running = false }
        finished.wait()
    }

    /// Switches counting and returns (and clears) what was counted so far.
    @discardableResult
    func setCounting(_ on: Bool) -> Reception {
        lock.withLock {
            let seen = reception
            reception = Reception()
            counting = on
            return seen
        }
    }

    private func run() {
        guard let batch = lg_batch_create(64, 1500) else { return }
        defer { lg_batch_destroy(batch) }
        var tokens = [UInt32](repeating: 0, count: 256)
        var latencies: [Int64] = []
        while lock.withLock({ running }) {
            let ready = lg_epoll_wait(epoll, &tokens, Int32(tokens.count), 20)
            var received = 0
            for token in tokens.prefix(Int(max(0, ready))) {
                let (listener, sampled) = listeners[Int(token)]
                while true {
                    let count = Int(lg_recv(listener.peer.socket.fd, batch))
                    guard count > 0 else { break }
                    for i in 0..<count {
                        received += Self.look(
                            batch, UInt32(i), listener: sampled ? listener : nil,
                            into: &latencies)
                    }
                    if count < 64 { break }
                }
            }
            lock.withLock {
                if counting {
                    reception.received += received
                    reception.latencies += latencies
                }
            }
            latencies.removeAll(keepingCapacity: true)
        }
    }

    /// 1 when entry `i` looks like forwarded media; for a sampled `listener`, decrypts it and
    /// appends arrival minus send time.
    private static func look(
        _ batch: OpaquePointer, _ i: UInt32, listener: Participant?, into latencies: inout [Int64]
    ) -> Int {
        let length = lg_batch_length(batch, i)
        let bytes = lg_batch_buffer(batch, i)!
        guard length >= 12 + Participant.payloadLength, bytes[0] & 0xC0 == 0x80,
            bytes[1] & 0x7F == 111
        else { return 0 }
        guard let listener, let inbound = listener.peer.inbound else { return 1 }

        let datagram = Array(UnsafeBufferPointer(start: bytes, count: length))
        guard let plain = try? inbound.unprotectRTP(datagram),
            let header = plain.withUnsafeBytes({ RTPHeaderView.parse($0) }),
            header.payloadLength >= 9
        else { return 1 }
        let sent = plain.withUnsafeBytes {
            $0.loadUnaligned(fromByteOffset: header.headerLength + 1, as: UInt64.self)
        }
        let stamp = lg_batch_stamp(batch, i)
        if stamp > 0 { latencies.append(stamp - Int64(bitPattern: sent)) }
        return 1
    }
}

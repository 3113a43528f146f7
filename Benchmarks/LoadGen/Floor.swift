import CLoadGen
import Foundation
import TestKit

/// The kernel's floor for forwarding: CPU ns per datagram of plain sendmmsg of 100-byte
/// datagrams from one socket to `receivers` loopback sockets, batches of 64, the receivers
/// drained by another thread. On loopback the sender's CPU time includes the delivery into
/// the receiving socket, as a relay's does.
func kernelFloor(receivers count: Int, seconds: Double) throws -> (nanosPerPacket: Double,
                                                                   packets: Int)
{
    let sockets = (0..<count).map { _ in UDPTestSocket() }
    let epoll = lg_epoll_create()
    defer { close(epoll) }
    for (token, socket) in sockets.enumerated() {
        guard lg_epoll_add(epoll, socket.fd, UInt32(token)) == 0 else {
            throw LoadGenError("epoll_ctl failed: errno \(errno)")
        }
    }
    final class Flag: @unchecked Sendable {
        let lock = NSLock()
        var running = true
    }
    let flag = Flag()
    let drained = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        guard let batch = lg_batch_create(64, 256) else { return }
        defer { lg_batch_destroy(batch) }
        var tokens = [UInt32](repeating: 0, count: 256)
        while flag.lock.withLock({ flag.running }) {
            let ready = lg_epoll_wait(epoll, &tokens, 256, 10)
            for token in tokens.prefix(Int(max(0, ready))) {
                while lg_recv(sockets[Int(token)].fd, batch) == 64 {}
            }
        }
        drained.signal()
    }

    let sender = UDPTestSocket()
    guard let batch = lg_batch_create(64, 128) else { throw LoadGenError("out of memory") }
    defer { lg_batch_destroy(batch) }
    let ports = sockets.map(\.port)
    var window = [UInt16](repeating: 0, count: 64)
    var next = 0
    var sent = 0
    let cpuStart = threadCPUNanos()
    let end = nanos() + UInt64(seconds * 1e9)
    while nanos() < end {
        for i in 0..<64 {
            window[i] = ports[next]
            next = (next + 1) % ports.count
        }
        sent += Int(max(0, lg_send_to_ports(sender.fd, batch, window, 64, 100)))
    }
    let cpu = threadCPUNanos() - cpuStart
    flag.lock.withLock { flag.running = false }
    drained.wait()
    return (Double(cpu) / Double(max(sent, 1)), sent)
}

/// CPU time of the calling thread, in ns.
func threadCPUNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

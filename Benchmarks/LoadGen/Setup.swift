import Foundation

/// Runs `body(i)` for i in 0..<count on `width` threads (set-up is mostly waiting: process
/// spawns, HTTP, DTLS round trips) and returns the results in index order. The first error
/// stops the remaining work and is rethrown.
func parallelMap<T>(_ count: Int, width: Int, _ body: @escaping (Int) throws -> T) throws -> [T] {
    let shared = ParallelState<T>(count)
    let group = DispatchGroup()
    for _ in 0..<max(1, min(width, count)) {
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            while true {
                shared.lock.lock()
                let index = shared.next
                shared.next += 1
                let stop = index >= count || shared.failure != nil
                shared.lock.unlock()
                if stop { return }

                do {
                    let value = try body(index)
                    shared.lock.withLock { shared.results[index] = value }
                } catch {
                    shared.lock.withLock { shared.failure = shared.failure ?? error }
                }
            }
        }
    }
    group.wait()
    if let failure = shared.failure { throw failure }
    return shared.results.map { $0! }
}

/// The work index, results and first error of one `parallelMap`, under one lock.
private final class ParallelState<T>: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    var results: [T?]
    var failure: Error?
    init(_ count: Int) { results = Array(repeating: nil, count: count) }
}

/// Sends consent checks (RFC 7675) for every registered participant every `period`, on its
/// own thread, from set-up until `stop`, so a relay never times a session out while the
/// others are still being connected or measured.
final class ConsentKeeper: @unchecked Sendable {
    private let lock = NSLock()
    private var participants: [Participant] = []
    private var running = true
    private let done = DispatchSemaphore(value: 0)
    private let period: UInt64

    init(periodSeconds: Double = 4) {
        period = UInt64(periodSeconds * 1e9)
        Thread.detachNewThread { [self] in
            var last = nanos()
            while lock.withLock({ running }) {
                usleep(50_000)
                guard nanos() - last >= period else { continue }
                last = nanos()
                for participant in lock.withLock({ participants }) {
                    participant.refreshConsent()
                }
            }
            done.signal()
        }
    }

    /// Adds connected participants; any thread may call it.
    func add(_ more: [Participant]) { lock.withLock { participants += more } }

    func stop() {
        lock.withLock { running = false }
        done.wait()
    }
}

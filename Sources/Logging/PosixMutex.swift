#if canImport(Glibc)
    import Glibc
#endif

/// A value guarded by a `pthread_mutex_t`, for state that threads share: the relay's
/// routing master copy, session registry and command queues, and the log output.
///
/// Used instead of the standard library's `Mutex` because ThreadSanitizer understands
/// pthread mutexes but not the futex inside `Mutex`, and reports every access under a
/// `Mutex` from two threads as a race (checked with this toolchain), which would drown
/// real reports from `make test-tsan`.
///
/// Thread use: any thread. Owns its pthread mutex; `deinit` destroys it.
public final class PosixMutex<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the mutex.
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic time in milliseconds, for timers. Not wall-clock time.
public func monotonicMillis() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}

/// The number of online cores (sysconf), at least 1.
func onlineCores() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

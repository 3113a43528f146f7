import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic time in milliseconds, for timers. Not wall-clock time.
public func monotonicMillis() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}

/// The number of cores this process may run on: its CPU affinity (taskset, systemd's
/// CPUAffinity=, a container's cpuset), else the online cores; at least 1.
func onlineCores() -> Int {
    let usable = Int(whoot_usable_cpus())
    return max(1, usable > 0 ? usable : Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// Counts failed logins per key (an account, or a client IP) in a fixed window, and
/// refuses further attempts for a key that reached its limit until the window ends.
/// Sans-IO: `now` (Unix ms) is passed in. Kept in memory: a restart forgets it.
struct LoginThrottle {
    /// Failures allowed per window before the key is blocked.
    let limit: Int
    /// Window length in ms.
    let windowMs: Int64
    private var failures: [String: (count: Int, windowStartMs: Int64)] = [:]

    init(limit: Int, windowMs: Int64) {
        self.limit = limit
        self.windowMs = windowMs
    }

    /// Seconds until `key` may try again, or nil when it may try now.
    func retryAfter(_ key: String, now: Int64) -> Int? {
        guard let entry = failures[key], now - entry.windowStartMs < windowMs,
            entry.count >= limit
        else { return nil }
        return Int((entry.windowStartMs + windowMs - now + 999) / 1_000)
    }

    mutating func recordFailure(_ key: String, now: Int64) {
        if let entry = failures[key], now - entry.windowStartMs < windowMs {
            failures[key] = (entry.count + 1, entry.windowStartMs)
        } else {
            failures[key] = (1, now)
        }
        if failures.count > 100_000 { prune(now: now) }
    }

    /// Counts an attempt as a failure before it is checked, unless `key` is blocked (then
    /// the seconds to wait). Attempts checked side by side thus cannot all pass the limit;
    /// one that succeeds gives its count back (`giveBack`) or resets the key.
    mutating func take(_ key: String, now: Int64) -> Int? {
        if let wait = retryAfter(key, now: now) { return wait }
        recordFailure(key, now: now)
        return nil
    }

    /// Undoes one `take` of the current window.
    mutating func giveBack(_ key: String, now: Int64) {
        guard let entry = failures[key], now - entry.windowStartMs < windowMs else { return }
        failures[key] = entry.count > 1 ? (entry.count - 1, entry.windowStartMs) : nil
    }

    mutating func reset(_ key: String) { failures[key] = nil }

    /// Forgets windows that have ended, so memory stays bounded.
    mutating func prune(now: Int64) {
        failures = failures.filter { now - $0.value.windowStartMs < windowMs }
    }
}

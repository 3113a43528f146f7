/// A point on the caller's monotonic clock, in nanoseconds since an arbitrary origin.
///
/// The Crypto module never reads a clock for its own decisions: protocol code takes `now`
/// as an `Instant`, so tests drive time by hand.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The instant `milliseconds` after the origin.
    public static func milliseconds(_ milliseconds: UInt64) -> Instant {
        Instant(nanoseconds: milliseconds * 1_000_000)
    }

    /// Whole milliseconds since the origin, rounded down.
    public var milliseconds: UInt64 { nanoseconds / 1_000_000 }

    /// This instant moved forward by `milliseconds`.
    public func adding(milliseconds: UInt64) -> Instant {
        Instant(nanoseconds: nanoseconds + milliseconds * 1_000_000)
    }

    /// This instant moved forward by `microseconds`.
    public func adding(microseconds: UInt64) -> Instant {
        Instant(nanoseconds: nanoseconds + microseconds * 1_000)
    }

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    public var description: String { "\(nanoseconds / 1_000_000)ms" }
}

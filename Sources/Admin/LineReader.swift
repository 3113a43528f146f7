/// Splits a byte stream into newline-terminated lines, with a bound on line length so a
/// peer cannot make us buffer without limit. Sans-IO: feed it what `recv` returned.
struct LineReader {
    enum Event: Equatable {
        case line([UInt8])
        /// A line longer than the limit was dropped (up to and including its newline).
        case tooLong
    }

    /// Longest accepted line, in bytes, without its newline.
    let limit: Int
    private var pending: [UInt8] = []
    private var discarding = false

    init(limit: Int) { self.limit = limit }

    mutating func feed(_ bytes: some Collection<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if byte == 0x0A {
                if discarding {
                    discarding = false
                } else {
                    if pending.last == 0x0D { pending.removeLast() }
                    events.append(.line(pending))
                }
                pending.removeAll(keepingCapacity: true)
            } else if !discarding {
                pending.append(byte)
                if pending.count > limit {
                    pending.removeAll()
                    discarding = true
                    events.append(.tooLong)
                }
            }
        }
        return events
    }
}

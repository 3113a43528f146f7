/// Reads the local ufrag out of a STUN Binding request's USERNAME ("local:remote",
/// RFC 8445 7.2.2) in place, so that a worker can route the check to the session's owner
/// before anything parses the message in full.
enum STUNUsername {
    static let usernameType: UInt16 = 0x0006

    /// The part of USERNAME before the colon, or nil when the datagram has no well-framed
    /// USERNAME attribute.
    static func localUfrag(in p: UnsafeRawBufferPointer) -> String? {
        guard p.count >= 20 else { return nil }
        let declared = Int(UInt16(p[2]) << 8 | UInt16(p[3]))
        let end = min(p.count, 20 + declared)
        var at = 20
        while at + 4 <= end {
            let type = UInt16(p[at]) << 8 | UInt16(p[at + 1])
            let length = Int(UInt16(p[at + 2]) << 8 | UInt16(p[at + 3]))
            let value = at + 4
            guard value + length <= end else { return nil }
            if type == usernameType {
                var colon = value
                while colon < value + length && p[colon] != UInt8(ascii: ":") { colon += 1 }
                guard colon > value else { return nil }
                return String(decoding: UnsafeRawBufferPointer(rebasing: p[value..<colon]),
                              as: UTF8.self)
            }
            at = value + (length + 3) / 4 * 4
        }
        return nil
    }
}

/// Why an `SRTPContext` refused a packet or could not be created.
public enum SRTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The authentication tag did not verify: tampered, corrupt or wrong key.
    case authFail
    /// The packet index was already seen or is older than the 128-packet replay window; on
    /// the outbound side, a sequence number that would reuse a keystream.
    case replayFail
    /// A parameter was unusable: key or salt length, packet too short for its header or
    /// tag, buffer too small, wrong direction.
    case badParam
    /// A new SSRC arrived while the context already holds `SRTPContext.maximumStreams`
    /// streams; `removeStream(ssrc:)` frees a place.
    case streamLimit
    /// The SRTCP index of a stream reached 2^31 - 1 (RFC 3711 3.2.1): the key must be
    /// renegotiated before that stream can send more RTCP.
    case indexExhausted
    /// OpenSSL failed to set up a cipher; the text names the call.
    case cryptoFailure(String)

    public var description: String {
        switch self {
        case .authFail: return "SRTP authentication failed (tampered packet or wrong key)"
        case .replayFail: return "SRTP replay check failed (duplicate or too old)"
        case .badParam: return "SRTP bad parameter (key/salt length, packet or buffer size)"
        case .streamLimit:
            return "SRTP stream table full (\(SRTPContext.maximumStreams) SSRCs per context)"
        case .indexExhausted: return "SRTCP index exhausted (2^31 packets under one key)"
        case .cryptoFailure(let call): return "SRTP cipher set-up failed in \(call)"
        }
    }
}

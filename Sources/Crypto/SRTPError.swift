import CSRTP

/// Why libsrtp refused a packet or a context (its `srtp_err_status_t`, grouped).
public enum SRTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The authentication tag did not verify: tampered, corrupt or wrong key.
    case authFail
    /// The packet index was already seen or is too old for the replay window.
    case replayFail
    /// A parameter was unusable: key or salt length, packet too short, buffer too small.
    case badParam
    /// Any other libsrtp status, by its numeric code.
    case other(Int32)

    init(status: srtp_err_status_t) {
        switch status {
        case srtp_err_status_auth_fail: self = .authFail
        case srtp_err_status_replay_fail, srtp_err_status_replay_old: self = .replayFail
        case srtp_err_status_bad_param: self = .badParam
        default: self = .other(Int32(bitPattern: status.rawValue))
        }
    }

    public var description: String {
        switch self {
        case .authFail: return "SRTP authentication failed (tampered packet or wrong key)"
        case .replayFail: return "SRTP replay check failed (duplicate or too old)"
        case .badParam: return "SRTP bad parameter (key/salt length, packet or buffer size)"
        case .other(let code): return "SRTP error status \(code)"
        }
    }
}

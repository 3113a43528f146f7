import CSRTP

/// Whether an `SRTPContext` protects what we send or unprotects what we receive.
public enum SRTPDirection: Sendable, Equatable {
    case inbound
    case outbound
}

/// libsrtp initialisation, run once by whichever thread first needs it.
private enum SRTPLibrary {
    static let status: srtp_err_status_t = srtp_init()
}

/// One direction of an SRTP/SRTCP session (RFC 3711, AES-GCM per RFC 7714) keyed from
/// DTLS-SRTP. Any number of SSRCs share it: libsrtp keeps a stream, with its own rollover
/// counter and replay window (128 packets), per SSRC it sees.
///
/// Not thread-safe: one owner thread calls every method. Owns an `srtp_t`; `deinit`
/// deallocates it.
public final class SRTPContext {
    public let profile: SRTPProfile
    public let direction: SRTPDirection
    private let session: srtp_t
    /// Bytes `protectRTP` / `protectRTCP` append (tag, plus the SRTCP index for RTCP).
    public let rtpOverhead: Int
    public let rtcpOverhead: Int

    /// - Parameters:
    ///   - key: the master key, `profile.keyLength` bytes.
    ///   - salt: the master salt, `profile.saltLength` bytes.
    public init(
        profile: SRTPProfile, key: Secret<[UInt8]>, salt: Secret<[UInt8]>,
        direction: SRTPDirection
    ) throws(SRTPError) {
        guard SRTPLibrary.status == srtp_err_status_ok else {
            throw SRTPError(status: SRTPLibrary.status)
        }
        guard key.reveal.count == profile.keyLength, salt.reveal.count == profile.saltLength
        else { throw .badParam }

        var policy = srtp_policy_t()
        var status = srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, profile.libsrtp)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        status = srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, profile.libsrtp)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = 0
        policy.allow_repeat_tx = 0

        var master = key.reveal + salt.reveal
        defer { for index in master.indices { master[index] = 0 } }
        var created: srtp_t?
        status = master.withUnsafeMutableBufferPointer { bytes in
            policy.key = bytes.baseAddress
            return srtp_create(&created, &policy)
        }
        guard status == srtp_err_status_ok, let created else { throw SRTPError(status: status) }

        self.profile = profile
        self.direction = direction
        self.session = created
        var trailer: UInt32 = 0
        _ = srtp_get_protect_trailer_length(created, 0, 0, &trailer)
        rtpOverhead = Int(trailer)
        _ = srtp_get_protect_rtcp_trailer_length(created, 0, 0, &trailer)
        rtcpOverhead = Int(trailer)
    }

    deinit { srtp_dealloc(session) }

    /// Encrypts and authenticates the RTP packet in `buffer[0..<length]` in place.
    /// `capacity` must leave `rtpOverhead` bytes after it. Returns the new length.
    public func protectRTP(
        _ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int
    ) throws(SRTPError) -> Int {
        guard direction == .outbound, length >= 12, capacity >= length + rtpOverhead else {
            throw .badParam
        }
        return try run(buffer, length) { srtp_protect(session, $0, $1) }
    }

    /// Verifies and decrypts the SRTP packet in `buffer[0..<length]` in place. Returns the
    /// RTP length (shorter by the tag).
    public func unprotectRTP(
        _ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int
    ) throws(SRTPError) -> Int {
        guard direction == .inbound, length >= 12, capacity >= length else { throw .badParam }
        return try run(buffer, length) { srtp_unprotect(session, $0, $1) }
    }

    /// As `protectRTP`, for one compound RTCP packet; `rtcpOverhead` bytes are appended.
    public func protectRTCP(
        _ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int
    ) throws(SRTPError) -> Int {
        guard direction == .outbound, length >= 8, capacity >= length + rtcpOverhead else {
            throw .badParam
        }
        return try run(buffer, length) { srtp_protect_rtcp(session, $0, $1) }
    }

    /// As `unprotectRTP`, for one SRTCP packet.
    public func unprotectRTCP(
        _ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int
    ) throws(SRTPError) -> Int {
        guard direction == .inbound, length >= 8, capacity >= length else { throw .badParam }
        return try run(buffer, length) { srtp_unprotect_rtcp(session, $0, $1) }
    }

    /// The rollover counter libsrtp holds for `ssrc`, or nil if it has no stream for it.
    public func rolloverCounter(ssrc: UInt32) -> UInt32? {
        var roc: UInt32 = 0
        guard srtp_get_stream_roc(session, ssrc, &roc) == srtp_err_status_ok else { return nil }
        return roc
    }

    /// Forgets the stream of `ssrc` (its rollover counter and replay window), e.g. when a
    /// sender leaves, so the context does not grow without bound.
    public func removeStream(ssrc: UInt32) {
        _ = srtp_remove_stream(session, ssrc.bigEndian)
    }

    private func run(
        _ buffer: UnsafeMutableRawPointer, _ length: Int,
        _ call: (UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws(SRTPError) -> Int {
        guard length <= 65_535 else { throw .badParam }
        var size = Int32(length)
        let status = call(buffer, &size)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        return Int(size)
    }
}

extension SRTPProfile {
    var libsrtp: srtp_profile_t {
        switch self {
        case .aes128CmSha1_80: return srtp_profile_aes128_cm_sha1_80
        case .aeadAes128Gcm: return srtp_profile_aead_aes_128_gcm
        }
    }
}

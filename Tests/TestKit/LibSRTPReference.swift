import CSRTP
import Crypto

/// libsrtp (Debian's libsrtp2) as the reference our `SRTPContext` is checked against in
/// tests and benchmarks. Same shape as `SRTPContext`: one direction, any SSRC, in place.
/// Owns an `srtp_t`; `deinit` deallocates it. Not for the product.
public final class LibSRTPReference {
    private let session: srtp_t

    /// Why libsrtp refused: its `srtp_err_status_t` code (7 auth, 9/10 replay, 2 bad param).
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let status: UInt32
        public var isAuthFailure: Bool { status == srtp_err_status_auth_fail.rawValue }
        public var isReplay: Bool {
            status == srtp_err_status_replay_fail.rawValue
                || status == srtp_err_status_replay_old.rawValue
        }
        public var description: String { "libsrtp status \(status)" }
    }

    private static let initialised: srtp_err_status_t = srtp_init()

    public init(
        profile: SRTPProfile, key: [UInt8], salt: [UInt8], direction: SRTPDirection
    ) throws {
        guard Self.initialised == srtp_err_status_ok else {
            throw Failure(status: Self.initialised.rawValue)
        }
        let libsrtpProfile = profile == .aeadAes128Gcm
            ? srtp_profile_aead_aes_128_gcm : srtp_profile_aes128_cm_sha1_80
        var policy = srtp_policy_t()
        _ = srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, libsrtpProfile)
        _ = srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, libsrtpProfile)
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = 0
        policy.allow_repeat_tx = 0

        var master = key + salt
        var created: srtp_t?
        let status = master.withUnsafeMutableBufferPointer { bytes in
            policy.key = bytes.baseAddress
            return srtp_create(&created, &policy)
        }
        guard status == srtp_err_status_ok, let created else {
            throw Failure(status: status.rawValue)
        }
        session = created
    }

    deinit { srtp_dealloc(session) }

    public func protectRTP(_ packet: [UInt8]) throws -> [UInt8] {
        try run(packet, extra: 16) { srtp_protect(session, $0, $1) }
    }

    public func unprotectRTP(_ packet: [UInt8]) throws -> [UInt8] {
        try run(packet, extra: 0) { srtp_unprotect(session, $0, $1) }
    }

    public func protectRTCP(_ packet: [UInt8]) throws -> [UInt8] {
        try run(packet, extra: 20) { srtp_protect_rtcp(session, $0, $1) }
    }

    public func unprotectRTCP(_ packet: [UInt8]) throws -> [UInt8] {
        try run(packet, extra: 0) { srtp_unprotect_rtcp(session, $0, $1) }
    }

    /// In place, for the benchmark: `buffer` must have room for the trailer.
    public func protectRTP(_ buffer: UnsafeMutableRawPointer, length: Int) throws -> Int {
        var size = Int32(length)
        let status = srtp_protect(session, buffer, &size)
        guard status == srtp_err_status_ok else { throw Failure(status: status.rawValue) }
        return Int(size)
    }

    public func unprotectRTP(_ buffer: UnsafeMutableRawPointer, length: Int) throws -> Int {
        var size = Int32(length)
        let status = srtp_unprotect(session, buffer, &size)
        guard status == srtp_err_status_ok else { throw Failure(status: status.rawValue) }
        return Int(size)
    }

    private func run(
        _ packet: [UInt8], extra: Int,
        _ call: (UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws -> [UInt8] {
        var buffer = packet + [UInt8](repeating: 0, count: extra)
        var size = Int32(packet.count)
        let status = buffer.withUnsafeMutableBytes { call($0.baseAddress!, &size) }
        guard status == srtp_err_status_ok else { throw Failure(status: status.rawValue) }
        return Array(buffer[0..<Int(size)])
    }
}

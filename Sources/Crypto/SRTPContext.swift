import COpenSSL

/// Whether an `SRTPContext` protects what we send or unprotects what we receive.
public enum SRTPDirection: Sendable, Equatable {
    case inbound
    case outbound
}

/// One direction of an SRTP/SRTCP session (RFC 3711; AES-GCM per RFC 7714) keyed from
/// DTLS-SRTP. Up to `maximumStreams` SSRCs share it, each with its own rollover counter,
/// 128-packet RTP replay window and SRTCP index window, kept as libsrtp keeps them.
///
/// Session keys are derived once at init and held only inside OpenSSL cipher contexts and
/// HMAC states, which are wiped and freed on `deinit`. Protecting and unprotecting work in
/// the caller's buffer and allocate nothing.
///
/// Not thread-safe: one owner thread calls every method.
public final class SRTPContext {
    /// SSRCs one context tracks unless told otherwise (`streams:`); a further one is
    /// refused with `SRTPError.streamLimit` until `removeStream(ssrc:)` frees a place.
    public static let maximumStreams = 16

    public let profile: SRTPProfile
    public let direction: SRTPDirection
    /// Bytes `protectRTP` appends (the tag).
    public let rtpOverhead: Int
    /// Bytes `protectRTCP` appends (the tag and the E||SRTCP index word).
    public let rtcpOverhead: Int
    private let transform: any SRTPTransform
    private var streams: SRTPStreamTable

    /// - Parameters:
    ///   - key: the master key, `profile.keyLength` bytes.
    ///   - salt: the master salt, `profile.saltLength` bytes.
    ///   - streams: how many SSRCs the context tracks (their room is reserved now).
    public convenience init(
        profile: SRTPProfile, key: Secret<[UInt8]>, salt: Secret<[UInt8]>,
        direction: SRTPDirection, streams: Int = SRTPContext.maximumStreams
    ) throws(SRTPError) {
        guard key.reveal.count == profile.keyLength, salt.reveal.count == profile.saltLength
        else { throw .badParam }

        var keys = try SRTPSessionKeys(
            profile: profile, masterKey: key.reveal, masterSalt: salt.reveal)
        defer { keys.wipe() }
        try self.init(profile: profile, sessionKeys: keys, direction: direction,
                      streams: streams)
    }

    /// A context keyed with session keys directly, skipping derivation (test vectors).
    init(
        profile: SRTPProfile, sessionKeys: SRTPSessionKeys, direction: SRTPDirection,
        streams: Int = SRTPContext.maximumStreams
    ) throws(SRTPError) {
        switch profile {
        case .aes128CmSha1_80: transform = try SRTPCounterModeTransform(keys: sessionKeys)
        case .aeadAes128Gcm: transform = try SRTPGCMTransform(keys: sessionKeys)
        }
        self.profile = profile
        self.direction = direction
        self.streams = SRTPStreamTable(capacity: max(1, streams))
        rtpOverhead = transform.rtpOverhead
        rtcpOverhead = transform.rtcpOverhead
    }

    /// The rollover counter of `ssrc`'s newest packet, or nil if the context has no stream
    /// for it.
    public func rolloverCounter(ssrc: UInt32) -> UInt32? {
        streams.find(ssrc).map { streams[$0].rtp.rolloverCounter }
    }

    /// Forgets the stream of `ssrc` (its rollover counter and replay windows), e.g. when a
    /// sender leaves, so its place can hold another SSRC.
    public func removeStream(ssrc: UInt32) {
        streams.remove(ssrc)
    }

    /// Estimates, checks and records the 48-bit index of an outbound RTP packet.
    func nextRTPIndex(_ ssrc: UInt32, sequence: UInt16) throws(SRTPError) -> UInt64 {
        let position = try outboundStream(ssrc)
        return try streams.update(position) { stream throws(SRTPError) in
            let (index, delta) = stream.rtp.estimate(sequence: sequence)
            if let refused = stream.rtp.check(delta: delta) { throw refused }

            stream.rtp.accept(delta: delta)
            return index
        }
    }

    /// The next SRTCP index of outbound `ssrc` (1, 2, ...; at most 2^31 - 1).
    func nextRTCPIndex(_ ssrc: UInt32) throws(SRTPError) -> UInt32 {
        let position = try outboundStream(ssrc)
        return try streams.update(position) { stream throws(SRTPError) in
            guard stream.rtcpSent < 0x7FFF_FFFF else { throw .indexExhausted }

            stream.rtcpSent += 1
            return stream.rtcpSent
        }
    }

    /// The position of `ssrc`'s outbound stream, created on first use.
    private func outboundStream(_ ssrc: UInt32) throws(SRTPError) -> Int {
        if let position = streams.find(ssrc) { return position }
        guard let position = streams.insert(SRTPStream(ssrc: ssrc)) else { throw .streamLimit }
        return position
    }

    /// Runs `body` on the stream of inbound `ssrc`, or on a new one that is kept only if
    /// `body` succeeds: packets that fail authentication never take a place in the table.
    func withInboundStream<Result>(
        _ ssrc: UInt32, _ body: (inout SRTPStream) throws(SRTPError) -> Result
    ) throws(SRTPError) -> Result {
        if let position = streams.find(ssrc) { return try streams.update(position, body) }
        guard !streams.isFull else { throw .streamLimit }

        var stream = SRTPStream(ssrc: ssrc)
        let result = try body(&stream)
        _ = streams.insert(stream)
        return result
    }

    var crypto: any SRTPTransform { transform }
}

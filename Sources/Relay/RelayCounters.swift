import Synchronization

/// Why the media plane dropped a datagram. Counted, never logged per packet.
public enum DropReason: Int, CaseIterable, Sendable {
    case unknownAddress
    case malformed
    case stunBadIntegrity
    case stunUnknownUser
    case srtpAuthFailure
    case srtpReplay
    case notConnected
    case unexpectedPayloadType
    case noFreeSlot
    case sendBufferFull
    /// The ring towards the owning worker was full.
    case ringFull
    /// A DTLS record for a session whose DTLS endpoint was already released.
    case dtlsAfterHandshake
    /// An RTP packet that waited in the relay's socket or ring longer than
    /// `RelayEngine.staleMediaMs` (the relay is overloaded): decrypted and recorded, not
    /// forwarded.
    case staleMedia
    /// A speaker's packet older than the one its listener's slot was last rebased on (it
    /// arrived out of order across a change of speaker or SSRC): forwarding it would reuse
    /// sequence numbers the slot already sent.
    case lateAfterSwitch
    /// A valid connectivity check from an address another live session holds: a session
    /// may not take over an address whose owner proved it within
    /// `RelayEngine.addressHoldMs` (a forged source would otherwise steal it).
    case addressInUse

    public var label: String {
        switch self {
        case .unknownAddress: return "unknown_address"
        case .malformed: return "malformed"
        case .stunBadIntegrity: return "stun_bad_integrity"
        case .stunUnknownUser: return "stun_unknown_user"
        case .srtpAuthFailure: return "srtp_auth_failure"
        case .srtpReplay: return "srtp_replay"
        case .notConnected: return "not_connected"
        case .unexpectedPayloadType: return "unexpected_payload_type"
        case .noFreeSlot: return "no_free_slot"
        case .sendBufferFull: return "send_buffer_full"
        case .ringFull: return "ring_full"
        case .dtlsAfterHandshake: return "dtls_after_handshake"
        case .staleMedia: return "stale_media"
        case .lateAfterSwitch: return "late_after_switch"
        case .addressInUse: return "address_in_use"
        }
    }
}

/// Counters of the media plane, written by the forwarding workers with relaxed atomic
/// adds (no lock) and read by /metrics and the admin socket from any thread.
public final class RelayCounters: Sendable {
    public let packetsIn = Atomic<UInt64>(0)
    public let bytesIn = Atomic<UInt64>(0)
    public let packetsOut = Atomic<UInt64>(0)
    public let bytesOut = Atomic<UInt64>(0)
    public let rtpForwarded = Atomic<UInt64>(0)
    public let rtcpReceived = Atomic<UInt64>(0)
    public let rtcpMalformed = Atomic<UInt64>(0)
    /// Compound RTCP packets of our own (sender or receiver reports) sent.
    public let rtcpSent = Atomic<UInt64>(0)
    /// Datagrams that arrived on one worker's socket and went to their owner's ring.
    public let handedOff = Atomic<UInt64>(0)
    public let dtlsHandshakesCompleted = Atomic<UInt64>(0)
    /// DTLS endpoints let go of after their handshake (see `MediaSession.releaseDTLSIfDone`).
    public let dtlsEndpointsReleased = Atomic<UInt64>(0)
    public let dtlsFailures = Atomic<UInt64>(0)
    public let sessionsAdmitted = Atomic<UInt64>(0)
    public let sessionsClosed = Atomic<UInt64>(0)
    /// One counter per `DropReason`, allocated once (atomics cannot live in an array).
    private nonisolated(unsafe) let drops: UnsafeMutablePointer<Atomic<UInt64>>

    public init() {
        drops = .allocate(capacity: DropReason.allCases.count)
        for index in 0..<DropReason.allCases.count {
            (drops + index).initialize(to: Atomic<UInt64>(0))
        }
    }

    deinit {
        drops.deinitialize(count: DropReason.allCases.count)
        drops.deallocate()
    }

    @inline(__always)
    public func drop(_ reason: DropReason) {
        drops[reason.rawValue].add(1, ordering: .relaxed)
    }

    public func drops(_ reason: DropReason) -> UInt64 {
        drops[reason.rawValue].load(ordering: .relaxed)
    }
}

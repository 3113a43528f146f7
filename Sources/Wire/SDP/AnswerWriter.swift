import Crypto

/// Writes the SDP answer text (RFC 8866, JSEP RFC 8829 5.3), always with CRLF line ends.
///
/// Transport attributes (ICE credentials, fingerprint, setup, ice-lite) are written once at
/// session level. Every accepted m-line carries the same port and address, as all of them
/// share one BUNDLE transport; the host candidates are listed on the first accepted m-line.
struct AnswerWriter {
    var local: LocalMediaParameters
    var role: DTLSRole
    var bundleMids: [String]
    var allowMixedExtensions: Bool

    private var lines: [String] = []

    init(local: LocalMediaParameters, role: DTLSRole, bundleMids: [String],
        allowMixedExtensions: Bool)
    {
        self.local = local
        self.role = role
        self.bundleMids = bundleMids
        self.allowMixedExtensions = allowMixedExtensions
    }

    func answer(offered: [OfferedMedia], negotiated: [NegotiatedMedia]) -> String {
        var writer = self
        writer.writeSession()
        for (item, media) in zip(offered, negotiated) {
            if media.accepted {
                // Every accepted m-line repeats the (shared) host candidates. RFC 8843 7.3.2
                // asks for them on the BUNDLE-tag m-line only, but aiortc keys remote
                // candidates by m-line and never checks one that has none; browsers accept
                // the repetition, and the transport is the same either way.
                writer.writeAccepted(item, media, withCandidates: true)
            } else {
                writer.writeRejected(item)
            }
        }
        return writer.lines.map { $0 + "\r\n" }.joined()
    }

    /// A session id for `o=` (RFC 8866 5.2) derived from the local ufrag, which is random
    /// per session; FNV-1a keeps it stable for a given ufrag.
    private var originID: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in local.iceUfrag.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash >> 1
    }

    private mutating func writeSession() {
        lines += ["v=0", "o=- \(originID) 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=ice-lite"]
        if !bundleMids.isEmpty {
            lines.append("a=group:BUNDLE " + bundleMids.joined(separator: " "))
        }
        if allowMixedExtensions { lines.append("a=extmap-allow-mixed") }
        lines.append("a=ice-ufrag:\(local.iceUfrag)")
        lines.append("a=ice-pwd:\(local.icePwd)")
        lines.append("a=fingerprint:\(local.fingerprint.sdpValue)")
        lines.append(role == .server ? "a=setup:passive" : "a=setup:active")
    }

    private var connectionLine: String {
        guard let candidate = local.candidates.first else { return "c=IN IP4 0.0.0.0" }
        return candidate.family == .ipv4
            ? "c=IN IP4 \(candidate.ip)" : "c=IN IP6 \(candidate.ip)"
    }

    /// Port 0 and nothing but the mid (RFC 3264 6, RFC 8843 7.3.3).
    private mutating func writeRejected(_ item: OfferedMedia) {
        let media = item.description
        let formats = media.formats.joined(separator: " ")
        lines.append("m=\(media.kind) 0 \(media.proto) \(formats)")
        lines.append("c=IN IP4 0.0.0.0")
        if let mid = item.mid { lines.append("a=mid:\(mid)") }
    }

    private mutating func writeAccepted(
        _ item: OfferedMedia, _ media: NegotiatedMedia, withCandidates: Bool
    ) {
        let pt = media.payloadType?.rawValue ?? 0
        let port = local.candidates.first?.port ?? 9
        lines.append("m=audio \(port) \(NegotiatedSession.transport) \(pt)")
        lines.append(connectionLine)
        if let mid = media.mid { lines.append("a=mid:\(mid)") }
        lines.append("a=\(item.direction.answer.rawValue)")
        lines.append("a=rtcp-mux")
        lines.append("a=rtpmap:\(pt) opus/48000/2")

        var parameters: [String] = []
        if media.fmtp["minptime"] == "10" { parameters.append("minptime=10") }
        if media.fmtp["useinbandfec"] == "1" { parameters.append("useinbandfec=1") }
        if !parameters.isEmpty {
            lines.append("a=fmtp:\(pt) " + parameters.joined(separator: ";"))
        }

        if let id = media.audioLevelExtensionID {
            lines.append("a=extmap:\(id) \(ExtensionMap.audioLevelURI)")
        }
        if let id = media.midExtensionID {
            lines.append("a=extmap:\(id) \(ExtensionMap.midURI)")
        }
        if item.allowsMixedExtensions { lines.append("a=extmap-allow-mixed") }

        if let ssrc = media.localSSRC {
            lines.append("a=msid:whoot whoot-\(ssrc.rawValue)")
            lines.append("a=ssrc:\(ssrc.rawValue) cname:whoot")
        }
        if withCandidates { writeCandidates() }
    }

    /// Host candidates with RFC 8445 5.1.2.1 priorities: type preference 126, local
    /// preference falling with list position, component 1.
    private mutating func writeCandidates() {
        for (index, candidate) in local.candidates.enumerated() {
            let localPreference = UInt32(max(0, 65535 - index))
            let priority = (126 << 24) | (localPreference << 8) | 255
            lines.append(
                "a=candidate:\(index + 1) 1 udp \(priority) \(candidate.ip) "
                    + "\(candidate.port) typ host")
        }
        lines.append("a=end-of-candidates")
    }
}

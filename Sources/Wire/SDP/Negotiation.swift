import Crypto

/// What the offer says about one m-line, before whoot decides to accept it.
struct OfferedMedia {
    var index: Int
    var description: MediaDescription
    var mid: String?
    var opus: RTPMap?
    var fmtp: [String: String] = [:]
    var audioLevelID: UInt8?
    var midExtensionID: UInt8?
    var remoteSSRCs: [SSRC] = []
    var direction: MediaDirection = .sendrecv
    var allowsMixedExtensions = false
    /// Why whoot cannot accept this m-line; nil if it can.
    var rejection: String?
}

extension NegotiatedSession {
    static let transport = "UDP/TLS/RTP/SAVPF"

    /// Answers a WHIP offer as an ICE-lite, Opus-only relay (JSEP, RFC 8829 5.3).
    ///
    /// Accepts audio m-lines over UDP/TLS/RTP/SAVPF with Opus and rtcp-mux; every other
    /// m-line is rejected with port 0. All accepted m-lines share one transport: with a
    /// BUNDLE group, the usable m-lines in the first group; without one, only the first
    /// usable m-line. `makeSSRC` is called once per m-line on which whoot sends.
    ///
    /// - Throws: `SDPError` `.malformed` for invalid or missing mandatory attributes,
    ///   `.unsupported` when nothing can be accepted or the DTLS role is impossible.
    public static func negotiate(
        offer: SessionDescription, local: LocalMediaParameters, makeSSRC: () -> SSRC
    ) throws -> NegotiatedSession {
        var offered = try offer.media.enumerated().map { index, media in
            try OfferedMedia.inspect(media, index: index)
        }
        try checkMids(offered)
        let bundle = try firstBundleGroup(offer, offered)

        let usable = offered.filter { $0.rejection == nil }
        var selected = usable.filter { item in bundle.contains { $0 == item.mid } }
        let bundled = !selected.isEmpty
        if selected.isEmpty, let first = usable.first { selected = [first] }
        guard let primary = selected.first else {
            // An offer cut short usually lacks its transport attributes too; that is the
            // more basic fault, so report it (malformed) before the missing codec.
            if let audio = offer.media.first(where: { $0.kind == "audio" }) {
                _ = try RemoteTransport(offer: offer, media: audio)
            }
            let reasons = offered.map { "m-line \($0.index + 1): \($0.rejection ?? "?")" }
            throw SDPError.unsupported(
                "no audio m-line with Opus over \(transport) and rtcp-mux"
                    + (reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")"))
        }
        for index in offered.indices where offered[index].rejection == nil {
            if !selected.contains(where: { $0.index == index }) {
                offered[index].rejection = "not bundled with the first accepted m-line"
            }
        }

        let transport = try RemoteTransport(offer: offer, media: primary.description)
        var usedSSRCs = Set(offered.flatMap { $0.remoteSSRCs })
        var media: [NegotiatedMedia] = []
        for item in offered {
            media.append(item.negotiated(makeSSRC: makeSSRC, avoiding: &usedSSRCs))
        }

        let bundleMids = bundled ? media.filter { $0.accepted }.compactMap { $0.mid } : []
        let allowMixed = offer.attribute("extmap-allow-mixed") != nil
            || offered.contains { $0.rejection == nil && $0.allowsMixedExtensions }
        let writer = AnswerWriter(
            local: local, role: transport.role, bundleMids: bundleMids,
            allowMixedExtensions: allowMixed)
        return NegotiatedSession(
            remoteIceUfrag: transport.ufrag, remoteIcePwd: transport.pwd,
            remoteFingerprints: transport.fingerprints, localDTLSRole: transport.role,
            bundleMids: bundleMids, media: media,
            answer: writer.answer(offered: offered, negotiated: media))
    }

    /// Rejects duplicate or empty mids (RFC 5888 4).
    static func checkMids(_ offered: [OfferedMedia]) throws {
        var seen = Set<String>()
        for item in offered {
            guard let mid = item.mid else { continue }
            let line = item.description.attribute("mid")?.line
            guard !mid.isEmpty, !mid.contains(" ") else {
                throw SDPError.malformed("a=mid must not be empty or contain spaces", line: line)
            }
            guard seen.insert(mid).inserted else {
                throw SDPError.malformed("mid '\(mid)' used twice", line: line)
            }
        }
    }

    /// The mids of the first `a=group:BUNDLE`; each must name an m-line (RFC 8843 7.2).
    static func firstBundleGroup(_ offer: SessionDescription, _ offered: [OfferedMedia])
        throws -> [String]
    {
        for attribute in offer.attributes(named: "group") {
            let fields = (attribute.value ?? "").split(separator: " ").map(String.init)
            guard fields.first == "BUNDLE" else { continue }
            for mid in fields.dropFirst() where !offered.contains(where: { $0.mid == mid }) {
                throw SDPError.malformed("BUNDLE group names unknown mid '\(mid)'",
                    line: attribute.line)
            }
            return Array(fields.dropFirst())
        }
        return []
    }
}

extension OfferedMedia {
    /// Reads the attributes whoot cares about; throws only for malformed values.
    static func inspect(_ media: MediaDescription, index: Int) throws -> OfferedMedia {
        var item = OfferedMedia(index: index, description: media)
        item.mid = media.attribute("mid")?.value
        guard media.kind == "audio" else {
            item.rejection = "\(media.kind) is not supported"
            return item
        }
        guard media.proto == NegotiatedSession.transport else {
            item.rejection = "transport \(media.proto) is not \(NegotiatedSession.transport)"
            return item
        }
        guard media.port != 0 || media.attribute("bundle-only") != nil else {
            item.rejection = "disabled by the offerer (port 0)"
            return item
        }

        for attribute in media.attributes(named: "rtpmap") {
            let map = try RTPMap(attribute)
            if item.opus == nil, map.isOpus, media.formats.contains(String(map.payloadType)) {
                item.opus = map
            }
        }
        guard let opus = item.opus else {
            item.rejection = "no opus/48000/2 payload type"
            return item
        }
        guard media.attribute("rtcp-mux") != nil else {
            item.rejection = "rtcp-mux is required"
            return item
        }

        for attribute in media.attributes(named: "fmtp") {
            let (pt, parameters) = try parseFMTP(attribute)
            if pt == opus.payloadType { item.fmtp = parameters }
        }
        for attribute in media.attributes(named: "extmap") {
            let map = try ExtensionMap(attribute)
            if map.uri == ExtensionMap.audioLevelURI { item.audioLevelID = map.id }
            if map.uri == ExtensionMap.midURI { item.midExtensionID = map.id }
        }
        try item.readSSRCs()
        item.direction = MediaDirection.find(in: media.attributes) ?? .sendrecv
        item.allowsMixedExtensions = media.attribute("extmap-allow-mixed") != nil
        return item
    }

    mutating func readSSRCs() throws {
        for attribute in description.attributes(named: "ssrc") {
            let text = attribute.value ?? ""
            let digits = text.prefix { $0 != " " }
            guard let value = UInt32(digits) else {
                throw SDPError.malformed("ssrc must start with a 32-bit number",
                    line: attribute.line)
            }
            if !remoteSSRCs.contains(SSRC(value)) { remoteSSRCs.append(SSRC(value)) }
        }
    }

    func negotiated(makeSSRC: () -> SSRC, avoiding used: inout Set<SSRC>) -> NegotiatedMedia {
        let accepted = rejection == nil
        let answer = direction.answer
        let sends = accepted && (answer == .sendrecv || answer == .sendonly)
        var local: SSRC?
        if sends {
            var ssrc = makeSSRC()
            // A clash with the peer's SSRCs would confuse both ends (RFC 3550 8.2).
            for _ in 0..<16 where used.contains(ssrc) { ssrc = makeSSRC() }
            used.insert(ssrc)
            local = ssrc
        }
        let payloadType = accepted ? opus.map { PayloadType($0.payloadType) } : nil
        return NegotiatedMedia(
            index: index, mid: mid, accepted: accepted,
            receivesFromPeer: accepted && (answer == .sendrecv || answer == .recvonly),
            sendsToPeer: sends, payloadType: payloadType,
            fmtp: accepted ? fmtp : [:],
            audioLevelExtensionID: accepted ? audioLevelID : nil,
            midExtensionID: accepted ? midExtensionID : nil,
            remoteSSRCs: accepted ? remoteSSRCs : [], localSSRC: local, rejection: rejection)
    }
}

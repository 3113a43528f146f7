import Control
import Foundation
import Crypto
import HTTPEdge
import Logging
import Relay
import Synchronization
import Wire

/// The WHIP edge (RFC 9725): turns an SDP offer and a join token into an admitted media
/// session and an SDP answer, and ends sessions on DELETE.
///
/// Thread use: called on the HTTP server's threads, concurrently.
final class WHIPService: @unchecked Sendable {
    static let logger = Logger("whip")
    /// The response header of a 201 that carries the session's rejoin token.
    static let rejoinTokenHeader = "Whoot-Rejoin-Token"
    static let iceAlphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    let control: ControlPlane
    let relay: Relay
    let dtlsFingerprint: [UInt8]
    let candidateHost: String
    /// With several nodes on one database: sends joins to the channel's node.
    var cluster: NodeCluster?
    /// Issues and keeps the rejoin token handed out with each admitted session.
    var rejoin: RejoinKeeper?
    /// Cleared when a drain starts: new joins get 503.
    private let admitting = Atomic<Bool>(true)

    init(control: ControlPlane, relay: Relay, certificate: Certificate, candidateHost: String) {
        self.control = control
        self.relay = relay
        self.dtlsFingerprint = certificate.fingerprint(.sha256)
        self.candidateHost = candidateHost
    }

    func post(_ request: HTTPRequest) -> HTTPResponse {
        let contentType = request.header("content-type") ?? ""
        let mediaType = contentType.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        guard mediaType == "application/sdp" else {
            return .error(415, "Content-Type must be application/sdp")
        }
        guard let token = bearerToken(request) else {
            return .error(401, "missing Authorization: Bearer <join token>")
        }
        guard admitting.load(ordering: .relaxed) else {
            return .error(503, "the relay is shutting down")
        }
        if let refusal = relay.pendingRefusal(origin: request.clientAddress) {
            return refused(refusal, request)
        }
        guard let text = String(validating: request.body, as: UTF8.self) else {
            return .error(400, "the SDP offer is not valid UTF-8")
        }

        let offer: SessionDescription
        let negotiated: NegotiatedSession
        let ufrag = SecureRandom.string(length: 8, alphabet: Self.iceAlphabet)
        let pwd = SecureRandom.string(length: 24, alphabet: Self.iceAlphabet)
        do {
            offer = try SessionDescription.parse(text)
            negotiated = try NegotiatedSession.negotiate(
                offer: offer, local: localParameters(ufrag: ufrag, pwd: pwd),
                makeSSRC: { SSRC(UInt32.random(in: 1...UInt32.max)) })
        } catch let error as SDPError {
            return .error(error.kind == .malformed ? 400 : 422, error.message)
        } catch {
            return .error(400, "the SDP offer could not be read: \(error)")
        }

        switch cluster?.route(token: token) ?? .local {
        case .local: break
        case .redirect(let url):
            return HTTPResponse(status: 307, headers: [("Location", url)], body: [])
        case .unavailable:
            var response = HTTPResponse.error(503, "the channel's node cannot be looked up now")
            response.headers.append(("Retry-After", "2"))
            return response
        }

        let admission: Admission
        do {
            admission = try control.redeemJoinToken(
                token, now: unixMillis(), ip: request.clientAddress,
                requestID: request.requestID)
        } catch {
            Self.logger.notice(
                "join refused", ["peer.addr": request.clientAddress, "error": "\(error)"])
            return .error(401, "join token refused: \(error)")
        }

        let id = SessionID(SecureRandom.token(byteCount: 16))
        var plan = plan(id: id, admission: admission, negotiated: negotiated,
                        ufrag: ufrag, pwd: pwd)
        plan.ownerCredentialHash = Digest.sha256(token)
        do {
            try relay.admit(plan, origin: request.clientAddress)
        } catch {
            return refused(error, request)
        }
        var headers = [("Content-Type", "application/sdp"), ("Location", "/whip/\(id.rawValue)")]
        do {
            if let token = try rejoin?.issue(
                for: id, admission: admission, ip: request.clientAddress,
                requestID: request.requestID)
            {
                headers.append((Self.rejoinTokenHeader, token.reveal))
            }
        } catch {
            // The call works without it; the client just cannot come back by itself.
            Self.logger.error("rejoin token not issued", ["error": "\(error)"])
        }
        Self.logger.info("session created", [
            "session.id": id.rawValue, "tenant.id": "\(admission.tenant.rawValue)",
            "channel.id": "\(admission.channel.rawValue)",
            "member.id": "\(admission.member.rawValue)", "peer.addr": request.clientAddress,
        ])
        return HTTPResponse(status: 201, headers: headers, body: Array(negotiated.answer.utf8))
    }

    /// 503 when the relay as a whole is busy, 429 when this client, tenant or channel is
    /// at its cap; both with a Retry-After.
    private func refused(_ refusal: AdmissionRefusal, _ request: HTTPRequest) -> HTTPResponse {
        Self.logger.notice("join refused by a limit", [
            "limit": refusal.limit.label, "peer.addr": request.clientAddress,
        ])
        var response = HTTPResponse.error(
            refusal.limit == .pendingSessions ? 503 : 429, "join refused: \(refusal)")
        response.headers.append(("Retry-After", "5"))
        return response
    }

    func stopAdmitting() {
        admitting.store(false, ordering: .relaxed)
    }

    /// WHIP DELETE: the caller must present the bearer token that created the session.
    /// A wrong token answers 404, like an unknown session, so ids cannot be probed.
    func delete(_ request: HTTPRequest, id: String) -> HTTPResponse {
        guard let token = bearerToken(request) else {
            return .error(401, "missing Authorization: Bearer <the token that joined>")
        }
        let presented = Digest.sha256(token)
        let removed = relay.remove(SessionID(id)) {
            Digest.constantTimeEqual($0.ownerCredentialHash, presented)
        }
        guard removed else { return .error(404, "no such session") }
        rejoin?.withdraw(SessionID(id))
        return HTTPResponse(status: 200, headers: [], body: [])
    }

    /// GET /whip/route: the WHIP URL a join with this token belongs at (this node's
    /// `/whip`, or the channel's node), without spending the token. For browsers, whose
    /// fetch cannot follow a 307 across origins with its Authorization header.
    func route(_ request: HTTPRequest) -> HTTPResponse {
        guard let token = bearerToken(request) else {
            return .error(401, "missing Authorization: Bearer <join token>")
        }
        do {
            _ = try control.usableJoinToken(token, now: unixMillis())
        } catch {
            return .error(401, "join token refused: \(error)")
        }
        switch cluster?.route(token: token) ?? .local {
        case .local: return .json(200, ["whip_url": "/whip"])
        case .redirect(let url): return .json(200, ["whip_url": url])
        case .unavailable: return .error(503, "the channel's node cannot be looked up now")
        }
    }

    private func bearerToken(_ request: HTTPRequest) -> String? {
        guard let value = request.header("authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    private func localParameters(ufrag: String, pwd: String) -> LocalMediaParameters {
        LocalMediaParameters(
            iceUfrag: ufrag, icePwd: pwd,
            fingerprint: CertificateFingerprint(hash: .sha256, bytes: dtlsFingerprint),
            candidates: [Candidate(ip: candidateHost, port: relay.localAddress.port)])
    }

    private func plan(
        id: SessionID, admission: Admission, negotiated: NegotiatedSession,
        ufrag: String, pwd: String
    ) -> SessionPlan {
        let sending = negotiated.media.first { $0.accepted && $0.receivesFromPeer }
        let slots = negotiated.media.filter { $0.accepted && $0.sendsToPeer }.compactMap {
            media -> SlotPlan? in
            guard let ssrc = media.localSSRC, let payloadType = media.payloadType else {
                return nil
            }
            return SlotPlan(
                ssrc: ssrc, payloadType: payloadType, mid: media.mid,
                midExtensionID: media.midExtensionID,
                audioLevelExtensionID: media.audioLevelExtensionID)
        }
        return SessionPlan(
            id: id, tenant: admission.tenant, channel: admission.channel,
            member: admission.member, localUfrag: ufrag, localPwd: Secret(pwd),
            remoteUfrag: negotiated.remoteIceUfrag,
            dtlsRole: negotiated.localDTLSRole,
            remoteFingerprints: negotiated.remoteFingerprints,
            incoming: sending.flatMap { media in
                media.payloadType.map {
                    IncomingStream(payloadType: $0,
                                   audioLevelExtensionID: media.audioLevelExtensionID)
                }
            },
            slots: slots)
    }
}

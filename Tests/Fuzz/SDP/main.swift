import Crypto
import FuzzSupport
import Wire

/// A WHIP offer: SDP parsing, then negotiation; an answer whoot writes must parse back.
let local = LocalMediaParameters(
    iceUfrag: "wh00", icePwd: "abcdefghijklmnopqrstuv",
    fingerprint: CertificateFingerprint(hash: .sha256, bytes: Array(0..<32)),
    candidates: [Candidate(ip: "127.0.0.1", port: 50000), Candidate(ip: "::1", port: 50002)])

FuzzDriver.run { input in
    let text = String(decoding: input, as: UTF8.self)
    guard let offer = try? SessionDescription.parse(text) else { return }

    var next: UInt32 = 1000
    let session: NegotiatedSession
    do {
        session = try NegotiatedSession.negotiate(offer: offer, local: local) {
            next += 1
            return SSRC(next)
        }
    } catch is SDPError {
        return
    } catch {
        fatalError("negotiation threw something other than SDPError: \(error)")
    }
    do {
        _ = try SessionDescription.parse(session.answer)
    } catch {
        fatalError("whoot's answer does not parse: \(error)\n\(session.answer)")
    }
}

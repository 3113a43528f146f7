import Control
import Crypto
import Foundation
import FuzzSupport
import HTTPEdge
import Store
import Wire

/// What the HTTPS edge hands the WHIP route for a POST or DELETE: method, path, headers
/// and body, routed as whootd's APIRoutes does. The POST handler takes the steps
/// WHIPService.post takes before admitting anyone (media type, bearer token, UTF-8, SDP
/// offer and negotiation, join-token redemption against a real store); whootd's own
/// service lives in the executable target and cannot be linked here.
///
/// Input: length-prefixed method, path, Content-Type, Authorization, then the body.
let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : "/tmp"
let path = "\(directory)/whoot-fuzz-whip-\(getpid()).sqlite"
let control = ControlPlane(store: try! Store(path: path))
atexit { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }

let local = LocalMediaParameters(
    iceUfrag: "wh00", icePwd: "abcdefghijklmnopqrstuv",
    fingerprint: CertificateFingerprint(hash: .sha256, bytes: Array(0..<32)),
    candidates: [Candidate(ip: "127.0.0.1", port: 50000)])

func post(_ request: HTTPRequest) -> HTTPResponse {
    let mediaType = (request.header("content-type") ?? "").split(separator: ";").first.map {
        $0.trimmingCharacters(in: .whitespaces).lowercased()
    } ?? ""
    guard mediaType == "application/sdp" else { return .error(415, "media type") }
    guard let value = request.header("authorization") else { return .error(401, "no token") }
    let parts = value.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else {
        return .error(401, "not bearer")
    }
    let token = parts[1].trimmingCharacters(in: .whitespaces)
    guard let text = String(validating: request.body, as: UTF8.self) else {
        return .error(400, "not UTF-8")
    }
    do {
        let offer = try SessionDescription.parse(text)
        _ = try NegotiatedSession.negotiate(offer: offer, local: local) { SSRC(7) }
    } catch let error as SDPError {
        return .error(error.kind == .malformed ? 400 : 422, error.message)
    } catch {
        fatalError("SDP threw something other than SDPError: \(error)")
    }
    do {
        _ = try control.redeemJoinToken(token, now: 1_700_000_000_000)
        fatalError("a fuzzed join token was accepted")
    } catch let error as JoinTokenError {
        return .error(401, "\(error)")
    } catch {
        fatalError("join token redemption threw \(error)")
    }
}

let router: Router = {
    var router = Router()
    router.add("GET", "/") { _, _ in .html(StaticPage.indexHTML) }
    router.add("GET", "/healthz") { _, _ in .json(200, rawJSON: #"{"status":"ok"}"#) }
    router.add("POST", "/whip") { request, _ in post(request) }
    router.add("DELETE", "/whip/:id") { _, params in
        precondition(params["id"].map { !$0.isEmpty } ?? false)
        return .error(404, "no such session")
    }
    return router
}()

FuzzDriver.run { input in
    var reader = FuzzInputReader(input)
    var headers: [String: String] = [:]
    let method = reader.nextString()
    let path = reader.nextString()
    headers["Content-Type"] = reader.nextString()
    headers["Authorization"] = reader.nextString()
    let request = HTTPRequest(
        method: method, path: path, headers: headers, body: reader.rest(),
        clientAddress: "127.0.0.1")
    let response = router.handle(request)
    precondition((200...599).contains(response.status))
}

import Foundation
import TestKit
import Wire

/// One Janus session over the HTTP REST transport (create, attach, message, trickle) with its
/// own connection; asynchronous plugin events come back by long-poll GET. One thread uses a
/// session at a time; events of other transactions are dropped.
final class JanusSession {
    private let http: HTTPConnection
    let id: UInt64
    private var transaction = 0

    init(port: UInt16) throws {
        http = HTTPConnection(port: port)
        let reply = try Self.post(http, "/janus", ["janus": "create", "transaction": "c"])
        guard let data = reply["data"] as? [String: Any], let id = data["id"] as? UInt64 else {
            throw LoadGenError("Janus create gave no session id: \(reply)")
        }
        self.id = id
    }

    /// A new handle attached to the VideoRoom plugin.
    func attach() throws -> UInt64 {
        let reply = try Self.post(http, "/janus/\(id)", [
            "janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": next(),
        ])
        guard let data = reply["data"] as? [String: Any], let handle = data["id"] as? UInt64
        else { throw LoadGenError("Janus attach gave no handle id: \(reply)") }
        return handle
    }

    /// Sends a plugin request and returns the plugin's answer: (plugin data, JSEP if any).
    /// Synchronous requests answer at once; the others are acked and answered by an event.
    func message(handle: UInt64, _ body: [String: Any], jsep: [String: Any]? = nil) throws
        -> (data: [String: Any], jsep: [String: Any]?)
    {
        let tag = next()
        var request: [String: Any] = ["janus": "message", "transaction": tag, "body": body]
        if let jsep { request["jsep"] = jsep }
        var reply = try Self.post(http, "/janus/\(id)/\(handle)", request)
        if reply["janus"] as? String == "ack" { reply = try awaitEvent(tag) }
        guard let plugin = reply["plugindata"] as? [String: Any],
            let data = plugin["data"] as? [String: Any]
        else { throw LoadGenError("Janus gave no plugin data: \(reply)") }
        if let error = data["error"] { throw LoadGenError("VideoRoom refused: \(error)") }
        return (data, reply["jsep"] as? [String: Any])
    }

    /// Tells Janus this handle has no (more) candidates: ours are learnt from our checks.
    func endOfCandidates(handle: UInt64) throws {
        _ = try Self.post(http, "/janus/\(id)/\(handle)", [
            "janus": "trickle", "candidate": ["completed": true], "transaction": next(),
        ])
    }

    private func next() -> String {
        transaction += 1
        return "t\(transaction)"
    }

    private func awaitEvent(_ tag: String) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let body = try http.request("GET", "/janus/\(id)?maxev=10")
            let parsed = try JSONSerialization.jsonObject(with: Data(body))
            let events = parsed as? [[String: Any]] ?? [parsed as? [String: Any] ?? [:]]
            if let event = events.first(where: { $0["transaction"] as? String == tag }) {
                return event
            }
        }
        throw LoadGenError("no Janus event for transaction \(tag) in 30 s")
    }

    private static func post(_ http: HTTPConnection, _ path: String, _ object: [String: Any])
        throws -> [String: Any]
    {
        let body = try JSONSerialization.data(withJSONObject: object)
        let reply = try http.request("POST", path, body: Array(body))
        guard let parsed = try JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any]
        else { throw LoadGenError("Janus reply is not a JSON object") }
        if parsed["janus"] as? String == "error" {
            throw LoadGenError("Janus error: \(parsed["error"] ?? "?")")
        }
        return parsed
    }
}

extension JanusSession {
    /// Creates VideoRoom room `room` for Opus audio with room for `publishers`.
    func createRoom(_ room: Int, publishers: Int) throws {
        let handle = try attach()
        _ = try message(handle: handle, [
            "request": "create", "room": room, "publishers": publishers,
            "audiocodec": "opus", "notify_joining": false, "audiolevel_event": false,
        ])
    }

    /// Joins `room` as a publisher of one Opus stream and connects; returns the endpoint and
    /// Janus's feed id for it.
    func publish(room: Int, name: String) throws -> (Participant, UInt64) {
        let handle = try attach()
        let peer = try TestPeer(relayUfrag: "", relayPassword: "")
        let ssrc = SSRC(UInt32.random(in: 1...UInt32.max))
        let offer = [
            "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 127.0.0.1", "a=sendonly", "a=mid:0",
            "a=rtcp-mux", "a=rtpmap:111 opus/48000/2", "a=ice-ufrag:\(peer.ufrag)",
            "a=ice-pwd:\(TestPeer.icePassword)",
            "a=fingerprint:sha-256 \(peer.fingerprintSDP)", "a=setup:active",
            "a=ssrc:\(ssrc.rawValue) cname:\(name)",
        ].joined(separator: "\r\n") + "\r\n"
        let (data, jsep) = try message(
            handle: handle,
            ["request": "joinandconfigure", "room": room, "ptype": "publisher",
             "display": name, "audio": true],
            jsep: ["type": "offer", "sdp": offer])
        guard let feed = data["id"] as? UInt64, let sdp = jsep?["sdp"] as? String else {
            throw LoadGenError("Janus publisher join gave no feed id or answer: \(data)")
        }
        let participant = try connect(peer, ssrc: ssrc, handle: handle, remote: sdp)
        return (participant, feed)
    }

    /// Subscribes to `feeds` of `room` on one PeerConnection (one m-line per feed), answers
    /// Janus's offer, starts and connects; returns the receiving endpoint.
    func subscribe(room: Int, feeds: [UInt64]) throws -> Participant {
        let handle = try attach()
        let (_, jsep) = try message(handle: handle, [
            "request": "join", "room": room, "ptype": "subscriber",
            "streams": feeds.map { ["feed": $0] },
        ])
        guard let sdp = jsep?["sdp"] as? String else {
            throw LoadGenError("Janus subscriber join gave no offer")
        }
        let peer = try TestPeer(relayUfrag: "", relayPassword: "")
        let remote = try RemoteDescription(parsing: sdp)
        _ = try message(
            handle: handle, ["request": "start"],
            jsep: ["type": "answer", "sdp": peer.answer(to: remote)])
        return try connect(
            peer, ssrc: SSRC(UInt32.random(in: 1...UInt32.max)), handle: handle, remote: sdp)
    }

    private func connect(_ peer: TestPeer, ssrc: SSRC, handle: UInt64, remote sdp: String)
        throws -> Participant
    {
        let remote = try RemoteDescription(parsing: sdp)
        guard let port = remote.loopbackPort else {
            throw LoadGenError("Janus offered no UDP host candidate on 127.0.0.1")
        }
        try endOfCandidates(handle: handle)
        peer.adopt(remote)
        // Janus's libnice answers our first check, then checks the pair itself and takes it
        // only once that check is answered: answer it before the DTLS handshake starts (its
        // loop would read the request as DTLS). Under load the check may come late, or
        // be taken by `check` as its reply; libnice retransmits it every 500 ms.
        var answered = false
        for _ in 0..<4 where !answered {
            guard peer.check(relayPort: port, pump: { usleep(200) }) != nil else { continue }
            let deadline = nanos() + 1_500_000_000
            while !answered && nanos() < deadline {
                answered = peer.answerPendingChecks() > 0
                usleep(500)
            }
        }
        guard answered else { throw LoadGenError("Janus sent no ICE check of its own") }
        // Its keepalive on the new pair would be read as the answer to `connect`'s check.
        usleep(20_000)
        try peer.connectRetrying(relayPort: port, relayFingerprint: remote.fingerprint)
        return Participant(peer: peer, ssrc: ssrc, relayPort: port)
    }
}

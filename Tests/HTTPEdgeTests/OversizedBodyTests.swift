import Foundation
import Testing

@testable import HTTPEdge

/// How an over-limit body is refused. A client that writes its whole request before
/// reading (Python's http.client, many scripts) must still read the 413: a server that
/// answers early and closes while the body is arriving makes the kernel reset the
/// connection, and the reset can destroy the answer before the client reads it.
@Suite struct OversizedBodyTests {
    @Test func aClientWritingItsWholeBodyFirstAlwaysReadsThe413() throws {
        try withServer { _, base in
            // 512 KiB against the test server's 1,024-byte limit, 30 times: before the body
            // was read to the end, some of the 30 ended in a reset instead of a status.
            let outcomes = try rawExchanges(
                base, rounds: 30, bodyBytes: 512 << 10, expectContinue: false)
            #expect(outcomes.allSatisfy { $0 == "413" }, "\(outcomes)")
            #expect(try curl(base + "/after").status == 200)
        }
    }

    @Test func aClientWaitingFor100ContinueIsRefusedBeforeItSendsTheBody() throws {
        try withServer { _, base in
            let outcomes = try rawExchanges(
                base, rounds: 3, bodyBytes: 64 * 1024, expectContinue: true)
            // "413 unsent": the answer came without a "100 Continue" before it.
            #expect(outcomes == ["413 unsent", "413 unsent", "413 unsent"])
        }
    }

    @Test func aBodyBeyondTheDiscardAllowanceIsCutAndTheServerServesOn() throws {
        let calls = Counter()
        try withServer(handler: countingEchoHandler(calls)) { _, base in
            // 3 MiB is not worth reading to answer 413: the server may answer at once and
            // close, so the client sees either the 413 or a reset; never a 200.
            let outcomes = try rawExchanges(
                base, rounds: 3, bodyBytes: 3 << 20, expectContinue: false)
            #expect(outcomes.allSatisfy { $0 == "413" || $0 == "reset" }, "\(outcomes)")
            #expect(try curl(base + "/after").status == 200)
            #expect(calls.count == 1)
        }
    }
}

/// Runs `rounds` POSTs of `bodyBytes` bytes through a client that sends the whole request
/// (headers, then, unless it waits for "100 Continue", the body) before reading anything.
/// Each outcome is the status read, "reset" when the connection failed first, and gets
/// " unsent" appended when the client never sent its body.
private func rawExchanges(
    _ base: String, rounds: Int, bodyBytes: Int, expectContinue: Bool
) throws -> [String] {
    let port = String(base.split(separator: ":").last ?? "")
    let script = """
        import socket, ssl, sys
        port, rounds, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
        expect = sys.argv[4] == "1"
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        for _ in range(rounds):
            outcome = "reset"
            unsent = expect
            try:
                raw = socket.create_connection(("127.0.0.1", port), timeout=10)
                with context.wrap_socket(raw) as s:
                    head = f"POST /upload HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: {size}\\r\\n"
                    if expect:
                        head += "Expect: 100-continue\\r\\n"
                    s.sendall((head + "\\r\\n").encode())
                    if not expect:
                        s.sendall(b"a" * size)
                    reply = b""
                    while b"\\r\\n" not in reply:
                        piece = s.recv(4096)
                        if not piece:
                            break
                        reply += piece
                    if reply.startswith(b"HTTP/1.1 100"):
                        unsent = False
                        s.sendall(b"a" * size)
                        reply = s.recv(4096)
                    if reply.startswith(b"HTTP/1."):
                        outcome = reply.split(b" ")[1].decode()
            except OSError:
                pass
            print(outcome + (" unsent" if unsent else ""))
        """
    let result = try runTool(
        "python3",
        ["-c", script, port, String(rounds), String(bodyBytes), expectContinue ? "1" : "0"])
    guard result.status == 0 else {
        throw ClientFailure(message: "python3 client failed: \(result.stderr)")
    }
    let outcomes = result.stdout.split(whereSeparator: \.isNewline).map(String.init)
    guard outcomes.count == rounds else {
        throw ClientFailure(message: "\(outcomes.count) outcomes for \(rounds) rounds")
    }
    return outcomes
}

private struct ClientFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

import Foundation
import Testing

@testable import HTTPEdge

/// A request head, and then its body, must each arrive within the connection timeout,
/// however they are paced: libmicrohttpd's own timeout restarts with every byte.
@Suite struct StalledRequestTests {
    @Test func aConnectionWaitingTooLongForItsHeadIsShutDownAndCountedAsCut() throws {
        let (ours, peer) = try socketPair()
        defer { close(ours); close(peer) }
        let activity = ConnectionActivity()
        let connection = OpaquePointer(bitPattern: 0x2000)!
        _ = activity.opened(connection, socket: ours, now: 10)

        #expect(activity.cutStalled(now: 14.9, timeout: 5) == 0)
        #expect(readable(peer) == nil)
        #expect(activity.cutStalled(now: 15.1, timeout: 5) == 1)
        #expect(readable(peer) == 0, "the peer sees the end of the stream")
        #expect(activity.cutStalled(now: 30, timeout: 5) == 0, "cut once")
        #expect(activity.closed(connection, now: 15.2).cut)
    }

    @Test func aBodyOwedPastTheTimeoutFromItsHeadIsCut() throws {
        let (ours, peer) = try socketPair()
        defer { close(ours); close(peer) }
        let activity = ConnectionActivity()
        let connection = OpaquePointer(bitPattern: 0x4000)!
        _ = activity.opened(connection, socket: ours, now: 10)
        activity.requestStarted(connection, now: 14)

        #expect(activity.cutStalled(now: 18.9, timeout: 5) == 0, "a fresh deadline for the body")
        #expect(activity.cutStalled(now: 19.1, timeout: 5) == 1)
        #expect(readable(peer) == 0)
    }

    @Test func aRequestBeingHandledIsNotCutAndTheNextHeadGetsAFreshTimeout() throws {
        let (ours, peer) = try socketPair()
        defer { close(ours); close(peer) }
        let activity = ConnectionActivity()
        let connection = OpaquePointer(bitPattern: 0x3000)!
        _ = activity.opened(connection, socket: ours, now: 10)
        activity.requestStarted(connection, now: 11)
        activity.bodyReceived(connection)

        #expect(activity.cutStalled(now: 100, timeout: 5) == 0)
        activity.requestFinished(connection, now: 100)
        #expect(activity.cutStalled(now: 104, timeout: 5) == 0)
        #expect(readable(peer) == nil)
        #expect(activity.cutStalled(now: 106, timeout: 5) == 1)
        #expect(readable(peer) == 0)
    }

    @Test func aHeadDribbledAByteAtATimeIsCutByTheServer() throws {
        var configuration = testConfiguration()
        configuration.connectionTimeoutSeconds = 2
        try withServer(configuration) { server, base in
            // Over TLS, one byte of the request head every 0.4 s: each byte restarts
            // libmicrohttpd's idle timer; only the head deadline ends the connection.
            let script = """
                import socket, ssl, sys, time
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                s = context.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
                started = time.monotonic()
                head = b"GET /slow HTTP/1.1\\r\\nHost: x\\r\\n" + b"X-Pad: " + b"a" * 200
                try:
                    for byte in head[:25]:
                        s.sendall(bytes([byte]))
                        time.sleep(0.4)
                        s.setblocking(False)
                        try:
                            if s.recv(1) == b"":
                                break
                        except ssl.SSLWantReadError:
                            pass
                        finally:
                            s.setblocking(True)
                except OSError:
                    pass
                print(f"{time.monotonic() - started:.2f}")
                """
            let result = try runTool("python3", ["-c", script, String(server.boundPort)])
            let seconds = try #require(Double(result.stdout.trimmingCharacters(
                in: .whitespacesAndNewlines)), "python3 said: \(result.stderr)")
            #expect(seconds >= 1.9 && seconds < 8, "cut after \(seconds) s, not ~2 s")
            #expect(configuration.limitCounters.connectionTimeouts.load(ordering: .relaxed) >= 1)
            #expect(try curl(base + "/after").status == 200)
        }
    }
}

private func socketPair() throws -> (Int32, Int32) {
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
        throw POSIXError(.init(rawValue: errno) ?? .EIO)
    }
    return (fds[0], fds[1])
}

/// Bytes waiting on `fd` after a short poll: nil if nothing happened, 0 at end of stream.
private func readable(_ fd: Int32) -> Int? {
    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&poller, 1, 100) > 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
    if count < 0 && (errno == ECONNRESET || errno == EPIPE) { return 0 }
    return count < 0 ? nil : count
}

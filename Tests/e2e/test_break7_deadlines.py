"""Break round 7: the edge's head deadline (a sweeper shuts down connections that wait
too long for a request head) and the body deadline. Dribbling in every phase must end near
the timeout and be counted; legitimate keep-alive clients and short connections opened
and closed in bulk while dribblers are cut must never be cut or reset."""

import os
import signal
import socket
import ssl
import tempfile
import threading
import time

import pytest

import rawhttps
from conftest import Daemon, daemon_configured
from test_floods import limit_hits, metrics
from test_service import self_signed, served_certificate_cn

TIMEOUT = 3  # http_connection_timeout of this module's daemons, seconds
SLACK = 4  # seconds past the timeout before a still-open connection counts as not cut
GAP = 0.4  # seconds between dribbled bytes, well inside the idle timeout
LIMIT = "http_connection_timeout"


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    config = f"http_connection_timeout = {TIMEOUT}\n"
    with daemon_configured(config, tmp_path_factory.mktemp("break7")) as running:
        yield running


def dribble(sock, data: bytes, limit: float = TIMEOUT + SLACK, gap: float = GAP):
    return rawhttps.dribble(sock, data, gap=gap, limit=limit)


def client_hello() -> bytes:
    """The bytes of a TLS ClientHello, as Python's ssl would send them."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = rawhttps.insecure_tls().wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def assert_cut_and_counted(edge, what: str, run) -> None:
    before = limit_hits(metrics(edge), LIMIT)
    cut = run()
    print(f"{what}: cut after {cut} s (timeout {TIMEOUT} s)")
    assert cut is not None, f"{what} was still open after {TIMEOUT + SLACK} s"
    assert cut > TIMEOUT - 1, f"{what} was cut after {cut:.1f} s, before the timeout"
    time.sleep(0.5)
    after = limit_hits(metrics(edge), LIMIT)
    assert after >= before + 1, f"{what} was cut but {LIMIT} hits stayed at {after}"


def test_a_dribbled_tls_handshake_is_cut_near_the_timeout_and_counted(edge):
    def run():
        with socket.create_connection(("127.0.0.1", edge.https_port), timeout=10) as raw:
            return dribble(raw, client_hello())
    assert_cut_and_counted(edge, "dribbled ClientHello", run)


def test_a_dribbled_request_line_is_cut_near_the_timeout_and_counted(edge):
    def run():
        with rawhttps.connect(edge.https_port) as sock:
            return dribble(sock, b"GET /" + b"a" * 200)
    assert_cut_and_counted(edge, "dribbled request line", run)


def test_a_head_dribbled_after_a_keepalive_request_is_cut_and_counted(edge):
    def run():
        with rawhttps.connect(edge.https_port) as sock:
            sock.sendall(rawhttps.head("GET", "/healthz", []))
            status, _, _ = rawhttps.Reader(sock).final()
            assert status == 200, f"the first request was answered {status}"
            return dribble(sock, rawhttps.head("GET", "/healthz", [("X-Pad", "p" * 200)]))
    assert_cut_and_counted(edge, "head dribbled between keep-alive requests", run)


def chunked_post_head() -> bytes:
    return rawhttps.head("POST", "/whip", [("Content-Type", "application/sdp"),
                                           ("Authorization", "Bearer wjt_x"),
                                           ("Transfer-Encoding", "chunked")])


def test_dribbled_chunked_trailers_are_cut_near_the_timeout_and_counted(edge):
    """The body arrives at once; then the trailer section trickles in. libmicrohttpd
    calls no handler while it parses trailers, so only a deadline outside the handler
    can cut it."""
    def run():
        with rawhttps.connect(edge.https_port) as sock:
            sock.sendall(chunked_post_head() + b"1\r\nv\r\n0\r\n")
            return dribble(sock, b"X-Trailer: " + b"t" * 200)
    assert_cut_and_counted(edge, "dribbled chunked trailers", run)


def test_a_dribbled_chunk_extension_is_cut_near_the_timeout_and_counted(edge):
    def run():
        with rawhttps.connect(edge.https_port) as sock:
            sock.sendall(chunked_post_head() + b"1\r\nv\r\n")
            return dribble(sock, b"1;ext=" + b"e" * 200)
    assert_cut_and_counted(edge, "dribbled chunk extension", run)


def test_keepalive_requests_back_to_back_are_never_cut(edge):
    """Requests on one connection for three timeouts, some gaps of half the timeout (a
    margin for a loaded machine: the idle timer would cut a gap of the whole timeout)."""
    with rawhttps.connect(edge.https_port) as sock:
        reader = rawhttps.Reader(sock)
        start, count = time.monotonic(), 0
        while time.monotonic() - start < 3 * TIMEOUT:
            sock.sendall(rawhttps.head("GET", "/healthz", []))
            status, _, _ = reader.final()
            assert status == 200, f"request {count} on a keep-alive connection: {status}"
            count += 1
            time.sleep(TIMEOUT - 1.5 if count % 5 == 0 else 0.05)
        assert reader.closed_within(0.2) is None, "the keep-alive connection was closed"


def test_short_connections_are_never_cut_while_dribblers_are(edge):
    """fd reuse: dribblers are cut four times a second while hundreds of short
    connections open and close; a cut aimed at a closed dribbler must never hit one."""
    stop = threading.Event()
    cuts, failures, served = [], [], [0]

    def dribbler():
        while not stop.is_set():
            try:
                with rawhttps.connect(edge.https_port) as sock:
                    cuts.append(dribble(sock, b"GET /" + b"d" * 100, limit=2 * TIMEOUT,
                                        gap=0.3))
            except OSError:
                pass

    def worker():
        while not stop.is_set():
            try:
                with rawhttps.connect(edge.https_port, timeout=5) as sock:
                    reader = rawhttps.Reader(sock)
                    for _ in range(2):
                        sock.sendall(rawhttps.head("GET", "/healthz", []))
                        status, _, _ = reader.final(5)
                        if status != 200:
                            failures.append(status)
                        else:
                            served[0] += 1
            except OSError as error:
                failures.append(repr(error))

    threads = [threading.Thread(target=dribbler) for _ in range(12)]
    threads += [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(3 * TIMEOUT)
    stop.set()
    for thread in threads:
        thread.join(timeout=2 * TIMEOUT + 5)

    print(f"{served[0]} requests served, {len(cuts)} dribblers ended, failures {failures[:5]}")
    assert served[0] > 200, f"only {served[0]} short requests were served"
    assert sum(1 for cut in cuts if cut is not None) >= 12, f"dribblers not cut: {cuts}"
    assert not failures, f"{len(failures)} legitimate requests failed: {failures[:10]}"


def test_slow_heads_open_across_a_certificate_reload_are_still_cut(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    first, second = self_signed(workdir, "first"), self_signed(workdir, "second")
    live = os.path.join(workdir, "tls.pem")
    os.replace(first, live)
    config = os.path.join(workdir, "whootd.conf")
    with open(config, "w") as out:
        out.write(f"tls_certificate = {live}\nhttp_connection_timeout = {TIMEOUT}\n")
    daemon = Daemon(workdir, str(tmp_path / "whootd.log"), extra_args=["--config", config])
    daemon.start()
    try:
        before = limit_hits(metrics(daemon), LIMIT)
        results = {}

        def slow(index):
            with rawhttps.connect(daemon.https_port) as sock:
                results[index] = dribble(sock, b"GET /" + b"r" * 200)
        threads = [threading.Thread(target=slow, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        os.replace(second, live)
        daemon.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while served_certificate_cn(daemon.https_port) != "second":
            assert time.monotonic() < deadline, "the new certificate was never served"
            time.sleep(0.2)
        late = {}

        def slow_late():
            with rawhttps.connect(daemon.https_port) as sock:
                late[0] = dribble(sock, b"GET /" + b"n" * 200)
        threads.append(threading.Thread(target=slow_late))
        threads[-1].start()
        for thread in threads:
            thread.join(timeout=TIMEOUT + SLACK + 5)

        print(f"old daemon's slow heads cut after {results}, new one's after {late}")
        assert all(results.get(i) is not None for i in range(6)), \
            f"slow heads opened before the reload were not cut: {results}"
        assert all(cut < TIMEOUT + 1.5 for cut in results.values()), results
        assert late.get(0) is not None, "a slow head on the new daemon was not cut"
        time.sleep(0.5)
        assert limit_hits(metrics(daemon), LIMIT) >= before + 7
        assert daemon.alive()
    finally:
        daemon.stop()
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)


def test_a_leading_zero_chunk_size_dribbled_is_cut_near_the_timeout_and_counted(edge):
    """The chunk-size line itself trickles in (RFC 9112 section 7.1 allows any number of
    leading zeros); libmicrohttpd calls no handler until the line ends."""
    def run():
        with rawhttps.connect(edge.https_port) as sock:
            sock.sendall(chunked_post_head())
            return dribble(sock, b"0" * 200 + b"1\r\n")
    assert_cut_and_counted(edge, "dribbled chunk-size line", run)


def test_pipelined_responses_read_slowly_are_not_cut(edge):
    """Forty pipelined GET / read a few KiB at a time over two timeouts: the server is
    answering all along, so no head deadline applies."""
    with rawhttps.connect(edge.https_port) as sock:
        sock.sendall(rawhttps.head("GET", "/", []) * 40)
        received, start = b"", time.monotonic()
        sock.settimeout(5)
        while received.count(b"HTTP/1.1 200") < 40:
            assert time.monotonic() - start < 8 * TIMEOUT, \
                f"{received.count(b'HTTP/1.1 200')} of 40 answers after {8 * TIMEOUT} s"
            chunk = sock.recv(2048)
            assert chunk, f"cut after {time.monotonic() - start:.1f} s with " \
                          f"{received.count(b'HTTP/1.1 200')} of 40 answers read"
            received += chunk
            if time.monotonic() - start < 2 * TIMEOUT:
                time.sleep(0.05)
        print(f"{len(received)} bytes read in {time.monotonic() - start:.1f} s")


def test_a_whip_join_succeeds_while_dribblers_are_cut(edge):
    import asyncio
    from peer import Peer
    edge.add_member("demo", "lobby", "erin")
    stop = threading.Event()

    def dribbler():
        while not stop.is_set():
            try:
                with rawhttps.connect(edge.https_port) as sock:
                    dribble(sock, b"GET /" + b"w" * 100, limit=2 * TIMEOUT, gap=0.3)
            except OSError:
                pass
    threads = [threading.Thread(target=dribbler) for _ in range(10)]
    for thread in threads:
        thread.start()

    async def join():
        await asyncio.sleep(TIMEOUT - 0.5)  # the first cuts land during the join
        peer = Peer(edge.base_url, edge.token("demo", "lobby", "erin"), tone_hz=440)
        await peer.connect(timeout=20)
        assert peer.connected, "the WHIP join did not connect"
        await asyncio.sleep(TIMEOUT)
        assert peer.connected, "the session dropped while dribblers were cut"
        await peer.close()
    try:
        asyncio.run(join())
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=2 * TIMEOUT + 5)

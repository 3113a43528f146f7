"""Break round 6: slow senders and many junk uploaders. A dribbled body or header block must
be cut by the connection timeout; clients uploading ~1 MiB of junk each must not starve a
WHIP join or a live call (join times are printed, not asserted)."""

import asyncio
import os
import socket
import subprocess
import sys
import time

import pytest

import rawhttps
from conftest import daemon_configured
from peer import Peer, connected_pair, http_request_sync

TIMEOUT_SECONDS = 5  # http_connection_timeout of this module's daemon
SLACK = 6  # seconds past the timeout before a still-open connection counts as not cut
UPLOADERS = 40
JUNK = 1 << 20


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    config = f"http_connection_timeout = {TIMEOUT_SECONDS}\n"
    with daemon_configured(config, tmp_path_factory.mktemp("break6slow")) as running:
        yield running


def dribble(port: int, head: bytes, body: bytes, gap: float, limit: float):
    """Sends `head` at once, then `body` as `rawhttps.dribble` does."""
    with rawhttps.connect(port) as sock:
        sock.sendall(head)
        return rawhttps.dribble(sock, body, gap=gap, limit=limit)


def test_a_body_dribbled_a_byte_at_a_time_is_cut_by_the_timeout(edge):
    head = rawhttps.head("POST", "/whip", [("Content-Type", "application/sdp"),
                                           ("Authorization", "Bearer wjt_x"),
                                           ("Content-Length", "2000")])
    cut = dribble(edge.https_port, head, b"v" * 2000, gap=0.5,
                  limit=TIMEOUT_SECONDS + SLACK)
    print(f"dribbled body cut after {cut} s (timeout {TIMEOUT_SECONDS} s)")
    assert cut is not None, f"a body dribbled at 2 B/s was still open after " \
                            f"{TIMEOUT_SECONDS + SLACK} s"


def test_a_header_block_dribbled_a_byte_at_a_time_is_cut_by_the_timeout(edge):
    """Slowloris: each byte arrives well inside the idle timeout, so only a deadline on
    the whole request head can cut it."""
    head = rawhttps.head("GET", "/healthz", [("X-Pad", "p" * 400)])
    cut = dribble(edge.https_port, b"", head, gap=0.5, limit=TIMEOUT_SECONDS + SLACK)
    print(f"dribbled header block cut after {cut} s (timeout {TIMEOUT_SECONDS} s)")
    assert cut is not None, f"a header block dribbled at 2 B/s was still open after " \
                            f"{TIMEOUT_SECONDS + SLACK} s: one client holds a connection " \
                            f"for as long as it likes"


def test_a_silent_tls_connection_is_cut_by_the_timeout(edge):
    raw = socket.create_connection(("127.0.0.1", edge.https_port), timeout=5)
    start = time.monotonic()
    closed = None
    try:
        raw.settimeout(TIMEOUT_SECONDS + SLACK)
        while closed is None:
            try:
                if not raw.recv(4096):  # a TLS alert may come first, then the close
                    closed = time.monotonic() - start
            except TimeoutError:
                break
            except OSError:
                closed = time.monotonic() - start
    finally:
        raw.close()
    print(f"silent connection cut after {closed} s")
    assert closed is not None, f"a silent connection was open after {TIMEOUT_SECONDS + SLACK} s"


UPLOADER = """
import sys, threading, time
sys.path.insert(0, sys.argv[1])
import rawhttps
port, count, size = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
head = rawhttps.head("POST", "/whip", [("Content-Type", "application/sdp"),
                                       ("Authorization", "Bearer wjt_junk"),
                                       ("Content-Length", str(size))])
lock = threading.Lock()
def run():
    while True:
        try:
            status = rawhttps.exchange(port, head + b"j" * size, timeout=20)[0]
        except OSError as error:
            status = type(error).__name__
        with lock:
            print(status, flush=True)
for _ in range(count):
    threading.Thread(target=run, daemon=True).start()
time.sleep(3600)
"""


def start_uploaders(port: int) -> subprocess.Popen:
    """A separate process (so the GIL does not stall this process's peers) whose
    `UPLOADERS` threads upload 1 MiB of junk to POST /whip again and again; it prints
    each answer's status on a line."""
    here = os.path.dirname(os.path.abspath(__file__))
    return subprocess.Popen([sys.executable, "-c", UPLOADER, here, str(port),
                             str(UPLOADERS), str(JUNK)],
                            stdout=subprocess.PIPE, text=True)


def rtp_counts(*peers):
    return tuple(sum(peer.rtp_by_ssrc.values()) for peer in peers)


def minus(after, before):
    return tuple(a - b for a, b in zip(after, before))


def relay_counters(daemon):
    """(packets in, RTP forwarded, stale_media drops) from /metrics."""
    _, _, text = http_request_sync(daemon.base_url, "GET", "/metrics", timeout=30)
    values = {}
    for line in text.decode().splitlines():
        name, _, value = line.rpartition(" ")
        values[name] = value
    return tuple(int(float(values.get(name, "0"))) for name in (
        "whoot_packets_in_total", "whoot_rtp_forwarded_total",
        'whoot_drops_total{reason="stale_media"}'))


async def timed_join(daemon, member: str, tone: float):
    """(seconds from POST to connected, peer)."""
    peer = Peer(daemon.base_url, daemon.token("demo", "lobby", member), tone_hz=tone)
    start = time.monotonic()
    await peer.connect(timeout=30)
    return time.monotonic() - start, peer


def test_junk_uploaders_do_not_starve_a_whip_join_or_a_live_call(edge):
    edge.add_member("demo", "lobby", "carol")
    edge.add_member("demo", "lobby", "dave")

    async def scenario():
        quiet, quiet_peer = await timed_join(edge, "carol", 880)
        await quiet_peer.close()

        async with connected_pair(edge.base_url, edge.token("demo", "lobby", "alice"),
                                  edge.token("demo", "lobby", "bob")) as (alice, bob):
            calm = rtp_counts(alice, bob)
            await asyncio.sleep(3.0)
            calm = minus(rtp_counts(alice, bob), calm)
            uploaders = start_uploaders(edge.https_port)
            try:
                await asyncio.sleep(2.0)
                before = rtp_counts(alice, bob)
                relay_before = await asyncio.to_thread(relay_counters, edge)
                started = time.monotonic()
                health = time.monotonic()
                status, _, _ = await asyncio.to_thread(
                    http_request_sync, edge.base_url, "GET", "/healthz", b"", None, 30)
                health = time.monotonic() - health
                loaded, dave = await timed_join(edge, "dave", 990)
                await dave.wait_frames(50, timeout=20)
                await asyncio.sleep(max(0.0, 4.0 - (time.monotonic() - started)))
                elapsed = time.monotonic() - started
                gained = minus(rtp_counts(alice, bob), before)
                relay = minus(await asyncio.to_thread(relay_counters, edge), relay_before)
            finally:
                uploaders.terminate()
                output, _ = uploaders.communicate(timeout=30)
            results = [line for line in output.split()]
            await dave.close()
            uploaded = len(results)
            print(f"join: {quiet:.2f} s quiet, {loaded:.2f} s under {UPLOADERS} uploaders of "
                  f"1 MiB ({uploaded} uploads, {uploaded / max(elapsed, 0.1):.1f}/s, "
                  f"answers {sorted(set(map(str, results)))}); /healthz {health:.2f} s; "
                  f"call RTP received in {elapsed:.1f} s: {gained} (in 3 s before: {calm}); "
                  f"relay in/forwarded/stale drops meanwhile: {relay}")
            assert status == 200
            assert results and all(r == "413" for r in results), sorted(set(map(str, results)))
            # The call must keep carrying audio: at least a second's worth (50 packets) for
            # each peer over the ~4 s. How much more is a figure, printed above, not a
            # pass mark: on 2 shared cores the peers' own aiortc loses CPU to the uploaders.
            assert min(gained) >= 50, \
                f"the call got {gained} RTP packets in {elapsed:.1f} s under the uploaders " \
                f"({calm} in 3 s before); relay in/forwarded/stale drops: {relay}"
        assert edge.alive()

    asyncio.run(scenario())

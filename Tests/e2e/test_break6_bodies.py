"""Break round 6: request bodies around the 64 KiB and 1 MiB limits, lying and doubled
Content-Length, chunked bodies, Expect: 100-continue, sent by a hand-written HTTPS client.
Every answer must be a clear status (never 2xx for an over-limit body) and the daemon
must keep serving."""

import asyncio
import time

import pytest

import rawhttps
from conftest import daemon_configured
from peer import connected_pair, http_request_sync
from test_bad_input import make_offer

LIMIT = 64 * 1024
ALLOWANCE = 1 << 20
TIMEOUT_SECONDS = 5  # http_connection_timeout of this module's daemon


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """One whootd for the module, its connection timeout cut to 5 s."""
    config = f"http_connection_timeout = {TIMEOUT_SECONDS}\n"
    with daemon_configured(config, tmp_path_factory.mktemp("break6")) as running:
        yield running


def offer_of_size(size: int) -> bytes:
    """A valid aiortc offer padded with unknown session attributes to exactly `size`."""
    offer = make_offer().encode()
    pad = size - len(offer)
    assert pad > 40
    lines = b""
    while pad - len(lines) > 1100:
        lines += b"a=x-pad:" + b"x" * 1000 + b"\r\n"
    rest = pad - len(lines) - len(b"a=x-pad:\r\n")
    lines += b"a=x-pad:" + b"y" * rest + b"\r\n"
    body = offer + lines
    assert len(body) == size
    return body


def whip_head(daemon, length, token=None, extra=()):
    headers = [("Content-Type", "application/sdp"),
               ("Authorization", f"Bearer {token or daemon.token('demo', 'lobby', 'alice')}")]
    if length is not None:
        headers.append(("Content-Length", str(length)))
    return rawhttps.head("POST", "/whip", headers + list(extra))


def assert_serving(daemon):
    status, _, _ = http_request_sync(daemon.base_url, "GET", "/healthz")
    assert status == 200 and daemon.alive(), daemon.output()[-2000:]


def leave(daemon, token, headers):
    location = headers.get("location")
    if location:
        http_request_sync(daemon.base_url, "DELETE", location,
                          headers={"Authorization": f"Bearer {token}"})


def test_a_body_of_exactly_the_limit_is_accepted_and_one_byte_more_is_413(edge):
    token = edge.token("demo", "lobby", "alice")
    over = offer_of_size(LIMIT + 1)
    status, _, body = rawhttps.exchange(edge.https_port, whip_head(edge, len(over), token) + over)
    assert status == 413, (status, body[:200])
    assert b"error" in body

    # The 413 did not spend the token: the same token joins with a body of exactly 64 KiB.
    exact = offer_of_size(LIMIT)
    status, headers, body = rawhttps.exchange(
        edge.https_port, whip_head(edge, len(exact), token) + exact)
    assert status == 201, (status, body[:300])
    leave(edge, token, headers)
    assert_serving(edge)


def test_a_body_of_one_mebibyte_is_read_dropped_and_answered_413(edge):
    junk = b"v" * ALLOWANCE
    status, _, body = rawhttps.exchange(edge.https_port, whip_head(edge, len(junk)) + junk)
    assert status == 413, (status, body[:200])
    assert_serving(edge)


def test_a_body_announced_over_one_mebibyte_is_answered_413_before_it_is_sent(edge):
    sock = rawhttps.connect(edge.https_port)
    try:
        sock.sendall(whip_head(edge, ALLOWANCE + 1))
        reader = rawhttps.Reader(sock)
        status, _, body = reader.final(timeout=5)
        assert status == 413, (status, body[:200])
        assert reader.closed_within(5) is not None, "connection kept open after the 413"
    finally:
        sock.close()
    assert_serving(edge)


def test_the_connection_still_serves_the_next_request_after_a_dropped_body(edge):
    junk = b"w" * (100 * 1024)
    sock = rawhttps.connect(edge.https_port)
    try:
        sock.sendall(whip_head(edge, len(junk)) + junk
                     + rawhttps.head("GET", "/healthz", []))
        reader = rawhttps.Reader(sock)
        first = reader.final()
        second = reader.final()
    finally:
        sock.close()
    assert first[0] == 413, first
    assert second[0] in (200, rawhttps.CLOSED), second


def test_expect_continue_on_a_small_body_gets_100_then_201(edge):
    token = edge.token("demo", "lobby", "alice")
    offer = make_offer().encode()
    sock = rawhttps.connect(edge.https_port)
    try:
        sock.sendall(whip_head(edge, len(offer), token, [("Expect", "100-continue")]))
        reader = rawhttps.Reader(sock)
        interim = reader.response(timeout=5)
        assert interim[0] == 100, f"no 100 Continue: {interim}"
        sock.sendall(offer)
        status, headers, body = reader.final()
    finally:
        sock.close()
    assert status == 201, (status, body[:300])
    leave(edge, token, headers)


def test_expect_continue_on_an_over_limit_body_gets_413_and_no_100(edge):
    sock = rawhttps.connect(edge.https_port)
    try:
        sock.sendall(whip_head(edge, LIMIT + 1, extra=[("Expect", "100-continue")]))
        status, _, body = rawhttps.Reader(sock).response(timeout=5)
    finally:
        sock.close()
    assert status == 413, (status, body[:200])


def test_a_content_length_saying_small_while_sending_big_is_not_accepted(edge):
    junk = b"GARBAGE " * (100 * 1024 // 8)
    status, _, body = rawhttps.exchange(edge.https_port, whip_head(edge, 10) + junk)
    assert isinstance(status, str) or 400 <= status < 500, (status, body[:200])
    assert_serving(edge)


def test_a_content_length_saying_big_then_stalling_is_cut_by_the_timeout(edge):
    sock = rawhttps.connect(edge.https_port)
    try:
        sock.sendall(whip_head(edge, 60000) + b"v=0\r\n")
        closed = rawhttps.Reader(sock).closed_within(TIMEOUT_SECONDS + 10)
    finally:
        sock.close()
    assert closed is not None, f"a stalled body was still open after {TIMEOUT_SECONDS + 10} s"
    print(f"stalled body cut after {closed:.1f} s (timeout {TIMEOUT_SECONDS} s)")


@pytest.mark.parametrize("lengths", [("100", "100"), ("70000", "70000")])
def test_two_equal_content_length_headers_get_a_4xx_for_a_bad_or_big_body(edge, lengths):
    body = b"z" * 70000
    headers = [("Content-Length", value) for value in lengths]
    status, _, reply = rawhttps.exchange(edge.https_port,
                                         whip_head(edge, None, extra=headers) + body)
    print(f"Content-Length {lengths}: {status} {reply[:80]!r}")
    assert isinstance(status, str) or 400 <= status < 500, (lengths, status, reply[:200])
    assert_serving(edge)


@pytest.mark.parametrize("lengths", [("10", "70000"), ("70000", "10")])
def test_two_different_content_lengths_are_refused_with_400(edge, lengths):
    """RFC 9112 section 6.3: differing Content-Length values are an unrecoverable framing
    error (400, close). whootd frames by the first and parses the rest of the body as the
    next request, which a proxy in front that frames by the last would disagree with."""
    token = edge.token("demo", "lobby", "alice")
    offer = make_offer().encode()
    smuggled = rawhttps.head("GET", "/healthz", [])
    first, second = lengths
    body = (offer + smuggled) if first == "10" else (b"z" * 70000)
    headers = [("Content-Length", str(len(offer)) if first == "10" else first),
               ("Content-Length", str(len(body)) if first == "10" else second)]
    sock = rawhttps.connect(edge.https_port)
    try:
        sock.sendall(whip_head(edge, None, token, headers) + body)
        reader = rawhttps.Reader(sock)
        answer = reader.final(timeout=5)
        follow = reader.final(timeout=3)
    finally:
        sock.close()
    print(f"Content-Length {headers}: {answer[0]}, then {follow[0]}")
    if answer[0] == 201:
        leave(edge, token, answer[1])
    assert answer[0] == 400, f"conflicting Content-Length answered {answer[0]}, then " \
                             f"{follow[0]} for the bytes after the first length"


@pytest.mark.xfail(strict=True, reason="libmicrohttpd 0.9.75 (Debian 12) sends its own 400 "
                   "for a malformed Content-Length twice, before whootd's handler runs; "
                   "the status is still 400. Strict: a fixed library makes this pass and "
                   "the suite says so.")
def test_the_400_for_a_malformed_content_length_is_a_well_formed_response(edge):
    """libmicrohttpd's own 400 here (seen on 0.9.75 over TLS) carries its status line and
    headers twice: the 'body' a client reads is a second header block."""
    reply = b""
    sock = rawhttps.connect(edge.https_port)
    try:
        sock.sendall(whip_head(edge, None, extra=[("Content-Length", "+70000")]))
        sock.settimeout(3)
        while True:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    except (OSError, TimeoutError):
        pass
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert reply.count(b"HTTP/1.1 400") == 1, f"status line sent twice: {reply[:300]!r}"


@pytest.mark.parametrize("value", ["+70000", "0x11170", "-1", "70000abc", "7e4",
                                   "99999999999999999999999", "70 000", ""])
def test_a_malformed_content_length_gets_a_4xx_never_a_2xx(edge, value):
    body = b"q" * 70000
    status, _, reply = rawhttps.exchange(
        edge.https_port, whip_head(edge, None, extra=[("Content-Length", value)]) + body)
    print(f"Content-Length {value!r}: {status} {reply[:80]!r}")
    assert isinstance(status, str) or 400 <= status < 500, (value, status, reply[:200])
    assert_serving(edge)


def test_a_chunked_body_over_the_limit_is_answered_413(edge):
    junk = b"c" * (100 * 1024)
    status, _, body = rawhttps.exchange(
        edge.https_port,
        whip_head(edge, None, extra=[("Transfer-Encoding", "chunked")]) + rawhttps.chunked(junk))
    assert status == 413, (status, body[:200])
    assert_serving(edge)


def test_a_chunked_body_over_one_mebibyte_is_cut_and_the_server_serves_on(edge):
    """A body announced by Content-Length over 1 MiB is answered 413 at once (README). A
    chunked one announces nothing; past 1 MiB of it the connection is closed without an
    answer, because libmicrohttpd 0.9.75 refuses a response queued in the middle of a body
    (README, limits). Never a 2xx, and everyone else is still served."""
    junk = b"d" * (2 * ALLOWANCE)
    status, _, body = rawhttps.exchange(
        edge.https_port,
        whip_head(edge, None, extra=[("Transfer-Encoding", "chunked")]) + rawhttps.chunked(junk))
    assert status in (413, "closed", "reset"), f"{status} for a 2 MiB chunked body"
    assert_serving(edge)


@pytest.mark.parametrize("chunk", [b"zz\r\nabc\r\n0\r\n\r\n", b"-5\r\nabcde\r\n0\r\n\r\n",
                                   b"ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
                                   b"5\r\nabc\r\n0\r\n\r\n", b"3;x=\x00\r\nabc\r\n0\r\n\r\n"])
def test_bad_chunk_sizes_are_not_accepted(edge, chunk):
    status, _, body = rawhttps.exchange(
        edge.https_port,
        whip_head(edge, None, extra=[("Transfer-Encoding", "chunked")]) + chunk, timeout=8)
    print(f"chunk {chunk[:24]!r}: {status} {body[:80]!r}")
    assert isinstance(status, str) or 400 <= status < 500, (chunk, status, body[:200])
    assert_serving(edge)


def test_a_live_call_keeps_its_audio_through_every_body_attack(edge):
    async def scenario():
        async with connected_pair(edge.base_url, edge.token("demo", "lobby", "alice"),
                                  edge.token("demo", "lobby", "bob")) as (alice, bob):
            before = (alice.frames_received, bob.frames_received)
            started = time.monotonic()
            attacks = [
                whip_head(edge, ALLOWANCE) + b"v" * ALLOWANCE,
                whip_head(edge, 10) + b"G" * 100000,
                whip_head(edge, None, extra=[("Transfer-Encoding", "chunked")])
                + rawhttps.chunked(b"d" * (2 * ALLOWANCE)),
                whip_head(edge, None, extra=[("Content-Length", "10"),
                                             ("Content-Length", "70000")]) + b"z" * 70000,
            ]
            answers = await asyncio.gather(*[
                asyncio.to_thread(rawhttps.exchange, edge.https_port, data)
                for data in attacks * 3])
            assert all(a[0] != 201 and a[0] != 200 for a in answers), \
                [a[0] for a in answers]
            await asyncio.sleep(max(0.0, 3.0 - (time.monotonic() - started)))
            gained = (alice.frames_received - before[0], bob.frames_received - before[1])
            elapsed = time.monotonic() - started
            assert min(gained) >= 40 * elapsed * 0.8 - 20, (gained, elapsed)
            resumed = time.monotonic()
            await asyncio.sleep(1.5)
            assert abs(alice.dominant_frequency(since=resumed, skip_seconds=0) - 660) < 10
            assert abs(bob.dominant_frequency(since=resumed, skip_seconds=0) - 440) < 10
        assert_serving(edge)

    asyncio.run(scenario())

"""Break round 5: whootd under `taskset -c 0` runs one forwarding worker and still carries a
call while hostile datagrams from many loopback source ports hit its one media port:
junk RTP, RTCP compounds with lying lengths, SRTP with a bad tag, DTLS records, STUN with
a live session's ufrag and a wrong MESSAGE-INTEGRITY, STUN with broken attributes.
Everything stays on 127.0.0.1."""

import asyncio
import os
import socket
import stat
import struct
import tempfile
import time

import pytest

import stun
from conftest import binary, daemon_in
from peer import connected_pair
from test_floods import metrics, rss_kib

SOURCES = 64
ROUNDS = 40


@pytest.fixture
def pinned(tmp_path, monkeypatch):
    """A whootd started under `taskset -c 0` through a wrapper script."""
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    wrapper = os.path.join(workdir, "whootd-pinned")
    with open(wrapper, "w") as out:
        out.write(f"#!/bin/sh\nexec taskset -c 0 {binary('WHOOTD', 'whootd')} \"$@\"\n")
    os.chmod(wrapper, stat.S_IRWXU)
    monkeypatch.setenv("WHOOTD", wrapper)
    with daemon_in(workdir, tmp_path / "whootd.log") as running:
        yield running


def hostile(ufrag_pair: str) -> list:
    """One of each kind of bad datagram."""
    rtp_junk = bytes([0x80, 111]) + os.urandom(10)  # a bare header, no payload
    truncated = bytes([0x80])
    # RTCP SR whose length field claims 200 words; then a compound whose second
    # packet's length runs past the end.
    lying_rtcp = bytes([0x80, 200]) + struct.pack("!H", 200) + os.urandom(24)
    compound = (bytes([0x80, 201, 0, 1]) + os.urandom(4)
                + bytes([0x81, 202, 0, 50]) + os.urandom(8))
    bad_tag_srtp = bytes([0x80, 111]) + os.urandom(10) + os.urandom(60)
    dtls_appdata = bytes([23, 0xFE, 0xFD]) + bytes(8) + struct.pack("!H", 40) + os.urandom(40)
    dtls_lying = bytes([22, 0xFE, 0xFD]) + bytes(8) + struct.pack("!H", 60000) + os.urandom(8)
    wrong_mi = stun.binding_request(ufrag_pair, "not-the-ice-password-of-whootd")
    # A Binding request whose one attribute claims more bytes than the message holds.
    tid = os.urandom(12)
    broken_attr = (struct.pack("!HHI", 0x0001, 8, 0x2112A442) + tid
                   + struct.pack("!HH", 6, 400) + b"abcd")
    # A message length not a multiple of 4 and longer than the datagram.
    broken_len = struct.pack("!HHI", 0x0001, 1001, 0x2112A442) + tid
    return [rtp_junk, truncated, lying_rtcp, compound, bad_tag_srtp, dtls_appdata,
            dtls_lying, wrong_mi, broken_attr, broken_len]


def barrage(target, ufrag_pair: str) -> int:
    """Every hostile datagram from SOURCES fresh source ports, ROUNDS times."""
    sockets = []
    for _ in range(SOURCES):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        sockets.append(s)
    sent = 0
    try:
        for _ in range(ROUNDS):
            for datagram in hostile(ufrag_pair):
                for s in sockets:
                    try:
                        s.sendto(datagram, target)
                        sent += 1
                    except BlockingIOError:
                        pass
            time.sleep(0.02)
    finally:
        for s in sockets:
            s.close()
    return sent


def test_pinned_whootd_runs_one_worker_and_a_call_survives_hostile_datagrams(pinned):
    async def scenario():
        async with connected_pair(pinned.base_url, pinned.token("demo", "lobby", "alice"),
                                  pinned.token("demo", "lobby", "bob")) as (alice, bob):
            target = stun.udp_host_candidate(alice.answer_sdp)
            ufrag_pair = (f"{stun.sdp_value(alice.answer_sdp, 'ice-ufrag')}:"
                          f"{stun.sdp_value(alice.offer_sdp, 'ice-ufrag')}")
            before = metrics(pinned)
            rss_before = rss_kib(pinned)
            frames_before = (alice.frames_received, bob.frames_received)

            sent = await asyncio.to_thread(barrage, target, ufrag_pair)
            await asyncio.to_thread(barrage, target, ufrag_pair)
            resumed = time.monotonic()
            await asyncio.sleep(2.0)

            gained = (alice.frames_received - frames_before[0],
                      bob.frames_received - frames_before[1])
            after = metrics(pinned)
            rss_after = rss_kib(pinned)
            print(f"sent {sent} x2 hostile datagrams; frames gained {gained}; "
                  f"RSS {rss_before} -> {rss_after} KiB")
            assert min(gained) >= 100, f"frames decoded during and after: {gained}"
            assert abs(alice.dominant_frequency(since=resumed, skip_seconds=0) - 660) < 10
            assert abs(bob.dominant_frequency(since=resumed, skip_seconds=0) - 440) < 10
            assert alice.connected and bob.connected
            counted = sum(after[k] - before.get(k, 0) for k in after
                          if k.startswith("whoot_drops_total"))
            assert counted >= sent, f"{counted} drops counted for {2 * sent} hostile datagrams"
            stale = 'whoot_drops_total{reason="stale_media"}'
            assert after.get(stale, 0) == before.get(stale, 0), \
                "a one-worker relay shed live voice as stale during the barrage"
            assert rss_after - rss_before < 16 * 1024, "RSS grew by over 16 MiB"

    asyncio.run(scenario())
    started = pinned.output().count("forwarding worker started")
    assert started == 1, f"'forwarding worker started' logged {started} times under taskset -c 0"

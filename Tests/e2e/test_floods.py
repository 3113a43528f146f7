"""Floods during a live call: garbage datagrams, replayed and truncated SRTP, STUN with a
wrong MESSAGE-INTEGRITY, ClientHellos from 1000 spoofed loopback addresses and 1000 slow
HTTPS clients. The call must keep its audio, the daemon its memory, and /metrics must
show the limits that were hit. Everything stays on loopback (127.0.0.0/8)."""

import asyncio
import json
import os
import re
import socket
import sys
import time

import pytest

import stun
from conftest import daemon_configured
from peer import Peer, connected_pair, http_request_sync, new_peer_connection

HERE = os.path.dirname(os.path.abspath(__file__))
LIMITS = """
max_sessions_per_channel = 2
max_pending_sessions_per_ip = 2
http_max_connections = 400
http_max_connections_per_ip = 20
http_connection_timeout = 3
"""
UDP_DATAGRAMS = 100_000
UDP_RATE = 25_000  # datagrams per second
SPOOFED_SOURCES = 1000
SLOW_CLIENTS = 1000
SLOW_SECONDS = 6


@pytest.fixture
def limited(tmp_path):
    """A whootd with low limits (see LIMITS), the demo tenant seeded."""
    with daemon_configured(LIMITS, tmp_path) as running:
        yield running


# -- observing the daemon ----------------------------------------------------------------------

def metrics(daemon) -> dict:
    """Every sample of /metrics, keyed by its name with labels."""
    status, _, body = http_request_sync(daemon.base_url, "GET", "/metrics")
    assert status == 200, f"/metrics answered {status}"
    samples = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def limit_hits(samples: dict, limit: str) -> float:
    return samples[f'whoot_limit_hits_total{{limit="{limit}"}}']


def drops(samples: dict, reason: str) -> float:
    return samples[f'whoot_drops_total{{reason="{reason}"}}']


def rss_kib(daemon) -> int:
    with open(f"/proc/{daemon.proc.pid}/status") as status:
        match = re.search(r"^VmRSS:\s+(\d+) kB", status.read(), re.M)
    return int(match.group(1))


# -- watching and touching a peer's media -------------------------------------------------------

class SequenceLog:
    """Sequence numbers of the decrypted RTP a peer receives, with arrival times."""

    def __init__(self, peer: Peer):
        self.arrivals = []  # (monotonic seconds, ssrc, sequence number)
        transport = peer.pc.getTransceivers()[0].receiver.transport
        original = transport._handle_rtp_data

        async def logging(data, arrival_time_ms):
            if len(data) >= 12 and not 200 <= data[1] <= 206:
                self.arrivals.append((time.monotonic(), int.from_bytes(data[8:12], "big"),
                                      int.from_bytes(data[2:4], "big")))
            await original(data, arrival_time_ms)

        transport._handle_rtp_data = logging

    def loss(self, start: float, end: float):
        """(lost, expected) RTP packets between `start` and `end`, from sequence gaps."""
        by_ssrc = {}
        for at, ssrc, seq in self.arrivals:
            if start <= at <= end:
                by_ssrc.setdefault(ssrc, []).append(seq)
        lost = expected = 0
        for seqs in by_ssrc.values():
            unwrapped, base, last = [], 0, None
            for seq in seqs:
                if last is not None and seq < last and last - seq > 30000:
                    base += 65536
                last = seq
                unwrapped.append(base + seq)
            span = max(unwrapped) - min(unwrapped) + 1
            expected += span
            lost += span - len(set(unwrapped))
        return lost, expected


class SentSRTP:
    """Keeps the last SRTP packets a peer sent, and sends bytes from the peer's own
    ICE-proven address (its aioice connection)."""

    def __init__(self, peer: Peer):
        ice = peer.pc.getTransceivers()[0].sender.transport.transport
        self._send = ice._send
        self.packets = []

        async def capturing(data):
            if len(data) > 12 and not 200 <= data[1] <= 206 and 128 <= data[0] < 192:
                self.packets = (self.packets + [bytes(data)])[-64:]
            await self._send(data)

        ice._send = capturing

    async def send(self, data: bytes) -> None:
        await self._send(data)


def relay_ufrag(peer: Peer) -> str:
    return stun.sdp_value(peer.answer_sdp, "ice-ufrag")


def peer_ufrag(peer: Peer) -> str:
    return stun.sdp_value(peer.offer_sdp, "ice-ufrag")


async def run_flooder(*args) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable, os.path.join(HERE, "flooder.py"), *map(str, args),
        stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, f"flooder {args[0]} failed ({process.returncode})"
    return json.loads(out.decode().strip().splitlines()[-1])


# -- the tests ----------------------------------------------------------------------------------

def test_a_call_keeps_its_audio_through_every_flood(limited):
    asyncio.run(_flood_a_call(limited))


async def _flood_a_call(daemon):
    alice, bob = daemon.token("demo", "lobby", "alice"), daemon.token("demo", "lobby", "bob")
    async with connected_pair(daemon.base_url, alice, bob, frames=50) as (first, second):
        logs = [SequenceLog(first), SequenceLog(second)]
        sent = SentSRTP(first)
        await asyncio.sleep(1)
        before = metrics(daemon)
        rss_before = rss_kib(daemon)
        frames_before = [first.frames_received, second.frames_received]
        start = time.monotonic()

        floods = asyncio.gather(
            run_flooder("udp", daemon.udp_port, UDP_DATAGRAMS, UDP_RATE),
            run_flooder("hellos", daemon.udp_port, SPOOFED_SOURCES),
            run_flooder("slowhttp", daemon.https_port, SLOW_CLIENTS, SLOW_SECONDS))
        bad_stun = bad_integrity_checks(daemon, first, count=500)
        mangled = await replay_and_truncate(sent, rounds=20)
        udp, hellos, slow = await floods
        during = metrics(daemon)
        await asyncio.sleep(1)
        end = time.monotonic()
        frames = [first.frames_received - frames_before[0],
                  second.frames_received - frames_before[1]]

    await asyncio.sleep(1)
    after = metrics(daemon)
    rss_after = rss_kib(daemon)
    window = end - start
    losses = [log.loss(start, end) for log in logs]
    print(f"\nfloods: udp {udp}, hellos {hellos}, slow https {slow}, "
          f"bad STUN {bad_stun}, mangled SRTP {mangled}")
    for name, (lost, expected), decoded in zip(("alice", "bob"), losses, frames):
        print(f"{name}: {lost} of {expected} RTP packets lost "
              f"({100 * lost / max(expected, 1):.2f}%), {decoded} frames decoded in "
              f"{window:.1f}s (expected {50 * window:.0f})")
    print(f"daemon RSS: {rss_before} KiB before, {rss_after} KiB after "
          f"({rss_after - rss_before:+d} KiB)")
    print("limit hits: " + ", ".join(
        f"{name}={limit_hits(after, name) - limit_hits(before, name):.0f}"
        for name in ("http_connections", "http_connection_timeout")))
    print("drops: " + ", ".join(
        f"{reason}={drops(after, reason) - drops(before, reason):.0f}"
        for reason in ("malformed", "unknown_address", "stun_bad_integrity",
                       "srtp_replay", "srtp_auth_failure", "ring_full")))

    for lost, expected in losses:
        assert expected >= 40 * window, f"only {expected} packets in a {window:.1f}s window"
        assert lost / expected < 0.01, f"{lost} of {expected} RTP packets lost"
    assert rss_after - rss_before < 64 * 1024, "the daemon's memory grew by over 64 MiB"
    # ClientHellos from unproven addresses create no session and no handshake.
    assert during["whoot_sessions"] == 2 and during["whoot_sessions_pending"] == 0
    assert drops(after, "unknown_address") - drops(before, "unknown_address") \
        >= SPOOFED_SOURCES
    assert drops(after, "stun_bad_integrity") - drops(before, "stun_bad_integrity") \
        >= bad_stun * 0.9
    assert drops(after, "srtp_replay") > drops(before, "srtp_replay")
    assert udp["sent"] == UDP_DATAGRAMS
    assert after["whoot_packets_in_total"] - before["whoot_packets_in_total"] \
        >= UDP_DATAGRAMS * 0.9
    # 1000 slow clients against 400 connections: refusals, then idle ones cut after 3 s.
    assert limit_hits(after, "http_connections") > limit_hits(before, "http_connections")
    assert limit_hits(after, "http_connection_timeout") \
        > limit_hits(before, "http_connection_timeout")
    assert daemon.alive()


def bad_integrity_checks(daemon, peer: Peer, count: int) -> int:
    """Binding requests naming the peer's session, signed with a wrong password, from a
    second loopback address."""
    username = f"{relay_ufrag(peer)}:{peer_ufrag(peer)}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.3", 0))
        for _ in range(count):
            sock.sendto(stun.binding_request(username, "not-the-password-at-all"),
                        daemon.udp_addr)
    return count


async def replay_and_truncate(sent: SentSRTP, rounds: int) -> dict:
    """Every 50 ms, resends the latest packet the peer sent (a replay) and a truncated
    copy of it, from the peer's own address."""
    replayed = truncated = 0
    for _ in range(rounds):
        await asyncio.sleep(0.05)
        if not sent.packets:
            continue
        packet = sent.packets[-1]
        await sent.send(packet)
        await sent.send(packet[:len(packet) // 2])
        replayed += 1
        truncated += 1
    return {"replayed": replayed, "truncated": truncated}


def test_replayed_or_misaddressed_srtp_is_dropped(daemon):
    asyncio.run(_replay_and_misaddress(daemon))


async def _replay_and_misaddress(daemon):
    alice, bob = daemon.token("demo", "lobby", "alice"), daemon.token("demo", "lobby", "bob")
    async with connected_pair(daemon.base_url, alice, bob, frames=50) as (first, _):
        sent = SentSRTP(first)
        await asyncio.sleep(0.5)
        before = metrics(daemon)
        packets = list(sent.packets[-10:])
        assert len(packets) == 10, "no SRTP captured from the peer"
        for packet in packets:
            await sent.send(packet)
        # The same valid packets from an address that never passed an ICE check.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            for packet in packets:
                sock.sendto(packet, daemon.udp_addr)
        await asyncio.sleep(0.3)
        after = metrics(daemon)
        assert first.connected

    replays = drops(after, "srtp_replay") - drops(before, "srtp_replay")
    strangers = drops(after, "unknown_address") - drops(before, "unknown_address")
    print(f"\nreplayed 10 -> srtp_replay +{replays:.0f}; "
          f"10 from a stranger -> unknown_address +{strangers:.0f}")
    assert replays == 10
    assert strangers == 10
    forwarded = after["whoot_rtp_forwarded_total"] - before["whoot_rtp_forwarded_total"]
    assert forwarded < 200, "replayed packets seem to have been forwarded"


async def fresh_offer() -> str:
    pc = new_peer_connection()
    pc.addTransceiver("audio", direction="sendrecv")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def test_joins_and_logins_over_a_limit_are_refused_and_counted(limited):
    asyncio.run(_limits(limited))


async def _limits(daemon):
    alice, bob = daemon.token("demo", "lobby", "alice"), daemon.token("demo", "lobby", "bob")
    daemon.create_channel("demo", "hall")
    daemon.assign("demo", "hall", "alice")
    daemon.assign("demo", "hall", "bob")
    before = metrics(daemon)
    async with connected_pair(daemon.base_url, alice, bob, frames=25):
        third = Peer(daemon.base_url, daemon.token("demo", "lobby", "alice"))
        status = await third.join()
        message = json.loads(third.post_body)["error"]
        await third.close()
        assert status == 429 and "channel already has 2 live sessions" in message, message
        assert (metrics(daemon)["whoot_sessions"]) == 2

        # Offers posted but never answered stay pending (no ICE, no DTLS).
        offer = (await fresh_offer()).encode()
        statuses, last = [], ""
        for who in ("alice", "bob", "alice"):
            status, _, body = http_request_sync(
                daemon.base_url, "POST", "/whip", offer,
                {"Content-Type": "application/sdp",
                 "Authorization": f"Bearer {daemon.token('demo', 'hall', who)}"})
            statuses.append(status)
            last = body.decode(errors="replace")
        assert statuses == [201, 201, 429], statuses
        assert metrics(daemon)["whoot_sessions_pending"] == 2
        assert "sessions still connecting" in last, last

    status, _, _ = http_request_sync(
        daemon.base_url, "POST", "/whip", b"v=0\r\n" * 20_000,
        {"Content-Type": "application/sdp", "Authorization": "Bearer x"})
    assert status == 413
    logins = []
    for _ in range(7):
        status, _, _ = http_request_sync(
            daemon.base_url, "POST", "/v1/login",
            json.dumps({"tenant": "demo", "handle": "alice", "password": "wrong"}).encode(),
            {"Content-Type": "application/json"})
        logins.append(status)
    assert logins[-1] == 429, logins

    after = metrics(daemon)
    moved = {name: limit_hits(after, name) - limit_hits(before, name)
             for name in ("sessions_per_channel", "pending_sessions_per_ip",
                          "http_body_bytes", "login_attempts", "sessions_per_tenant")}
    print(f"\nlimit hits: {moved}")
    assert moved["sessions_per_channel"] == 1
    assert moved["pending_sessions_per_ip"] == 1
    assert moved["http_body_bytes"] == 1
    assert moved["login_attempts"] >= 1
    assert moved["sessions_per_tenant"] == 0

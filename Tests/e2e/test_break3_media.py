"""Break round 3: a connected participant (mallory) attacks the new SRTP/SRTCP code and
the released DTLS endpoint from its ICE-proven address, during a live call of alice and
bob in the same channel. The call must keep its audio, the daemon must live, and /metrics
must count the drops. Everything stays on loopback."""

import asyncio
import os
import random
import re
import struct
import time

from peer import Peer, connected_pair
from test_floods import drops, metrics

FRAMES_AFTER = 100  # frames each of alice and bob must still decode after the attack


def transports(peer: Peer):
    """(DTLS transport, ICE transport) of the peer's bundled audio."""
    dtls = peer.pc.getTransceivers()[0].receiver.transport
    return dtls, dtls.transport


def capture_outgoing(peer: Peer) -> list:
    """Records every datagram the peer's ICE transport sends from now on."""
    sent = []
    _, ice = transports(peer)
    original = ice._send

    async def recording(data, _original=original):
        sent.append(bytes(data))
        await _original(data)

    ice._send = recording
    return sent


def rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, first: int = 0x80) -> bytes:
    return struct.pack("!BBHII", first, pt & 0x7F, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


async def attack(mallory: Peer, srtp: list, pt: int) -> int:
    """Sends every attack; returns how many malformed RTCP compounds went out protected."""
    dtls, ice = transports(mallory)
    rnd = random.Random(7)
    raw = []

    # Garbage on the SRTP and SRTCP paths, every length from 1 to 1400 bytes (sampled).
    for length in list(range(1, 40)) + [rnd.randrange(40, 1400) for _ in range(40)]:
        body = bytearray(os.urandom(length))
        body[0] = 0x80 | (body[0] & 0x3F)
        raw.append(bytes(body))
        if length >= 2:
            body[1] = rnd.choice([200, 201, 202, 203, 204, 205, 206])
            raw.append(bytes(body))
    # Captured SRTP: every truncation, a wrong tag, a flipped header bit, replays.
    sample = srtp[len(srtp) // 2]
    raw += [sample[:n] for n in range(1, len(sample))]
    raw += [sample[:-1] + bytes([sample[-1] ^ 1]), bytes([sample[0] ^ 0x10]) + sample[1:],
            bytes([sample[0] | 0x0F]) + sample[1:]]
    raw += srtp  # all of them again: replays and, for the oldest, out of window
    # Oversized datagrams: jumbo and nearly the UDP maximum, with an RTP header.
    for size in (1500, 9000, 65000):
        raw.append(sample[:12] + os.urandom(size - 12))
    # Headers that lie: 15 CSRCs, an extension longer than the packet.
    raw.append(bytes([0x8F]) + sample[1:])
    raw.append(bytes([0x90]) + sample[1:12] + b"\xbe\xde\xff\xff" + os.urandom(40))
    # DTLS after the handshake: an alert, a ClientHello, a ChangeCipherSpec, app data.
    for content in (21, 22, 20, 23):
        body = bytes([1]) + os.urandom(60) if content == 22 else os.urandom(24)
        raw.append(bytes([content, 0xFE, 0xFD, 0, 1]) + os.urandom(6)
                   + struct.pack("!H", len(body)) + body)
    raw.append(bytes([22, 0xFE, 0xFF, 0, 0]) + bytes(6) + b"\x00\x40" + os.urandom(64))
    for datagram in raw:
        await ice._send(datagram)

    # Correctly protected (mallory holds the keys) but hostile: 40 SSRCs, a sequence
    # jump, wrong payload types, bogus RTP extensions, malformed RTCP.
    crafted = []
    for n in range(40):
        ssrc = 0x1000 + n
        crafted += [rtp(pt, 100 + i, 960 * i, ssrc, os.urandom(60)) for i in range(3)]
    crafted += [rtp(pt, 40000, 1 << 31, 0x1000, os.urandom(60)),
                rtp(pt, 7, 0, 0x1000, os.urandom(60)),
                rtp(0, 1, 0, 0x2000, os.urandom(20)), rtp(127, 2, 0, 0x2000, b""),
                rtp(pt, 3, 0, 0x2001, b"\xbe\xde\x00\x10" + os.urandom(8), first=0x90),
                rtp(pt, 4, 0, 0x2001, b"", first=0xA0)]
    own = sample[8:12]  # mallory's SSRC: its SRTCP stream already has a place
    rtcp = [b"\x80\xc8\x00\xff" + own + os.urandom(8),
            b"\x80\xc9\x00\x00" + own,
            b"\x81\xc9\x00\x07" + own + bytes(24) + b"\x80\xcb\x00\x05",
            b"\x00\xc8\x00\x01" + own,
            b"\x8f\xcc\xff\xff" + own + os.urandom(40),
            b"\x80\xca\x00\x01" + own + b"\x01\xff" + os.urandom(2)]
    protected_rtcp = 0
    for packet in rtcp * 5 + crafted:
        try:
            await dtls._send_rtp(packet)
            # A first byte below 128 demultiplexes as STUN (RFC 7983), not as SRTCP.
            protected_rtcp += packet in rtcp and packet[0] >= 0x80
        except Exception as error:  # pylibsrtp may refuse to protect some of these itself
            print("not protected:", packet[:4].hex(), error)
    return protected_rtcp


def test_a_hostile_participant_does_not_hurt_the_call_or_the_daemon(daemon):
    daemon.add_member("demo", "lobby", "mallory")
    before = metrics(daemon)
    sent_rtcp = []

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            mallory = Peer(daemon.base_url, daemon.token("demo", "lobby", "mallory"),
                           tone_hz=880)
            try:
                await mallory.connect()
                sent = capture_outgoing(mallory)
                await asyncio.sleep(3)  # media proves the handshake: DTLS is released
                srtp = [d for d in sent if 128 <= d[0] <= 191 and not 192 <= d[1] <= 223]
                assert len(srtp) > 130, f"only {len(srtp)} SRTP packets captured"
                pt = int(re.search(r"a=rtpmap:(\d+) opus", mallory.answer_sdp).group(1))
                sent_rtcp.append(await attack(mallory, srtp, pt))
                await asyncio.sleep(0.5)
                assert daemon.alive(), daemon.output()[-3000:]
                await alice.wait_frames(alice.frames_received + FRAMES_AFTER, timeout=10)
                await bob.wait_frames(bob.frames_received + FRAMES_AFTER, timeout=10)
            finally:
                await mallory.close()

    asyncio.run(call())
    after = metrics(daemon)
    grown = {reason: drops(after, reason) - drops(before, reason)
             for reason in ("srtp_auth_failure", "srtp_replay", "dtls_after_handshake",
                            "malformed")}
    malformed_rtcp = after["whoot_rtcp_malformed_total"] - before["whoot_rtcp_malformed_total"]
    print("drops grown", grown, "rtcp malformed", malformed_rtcp, "of", sent_rtcp)
    assert malformed_rtcp >= sent_rtcp[0] > 0, (malformed_rtcp, sent_rtcp)
    assert after["whoot_dtls_released_total"] >= 3, after["whoot_dtls_released_total"]
    assert grown["srtp_replay"] >= 100, grown
    assert grown["srtp_auth_failure"] >= 50, grown
    assert grown["dtls_after_handshake"] >= 5, grown
    assert daemon.alive()


def test_a_peer_that_closes_dtls_after_its_media_leaves_within_the_probation(daemon):
    # After the first media the session's DTLS endpoint is released, so the peer's
    # close_notify (aiortc's close, a browser tab closing) can no longer be authenticated.
    # It puts the session on probation: with no consent check or SRTCP from the peer in
    # the next 10 s, the session ends (not after the full 30 s consent timeout). The
    # partner stays in the call.
    async def call():
        peer = Peer(daemon.base_url, daemon.token("demo", "lobby", "alice"), tone_hz=440)
        partner = Peer(daemon.base_url, daemon.token("demo", "lobby", "bob"), tone_hz=660)
        await peer.connect()
        await partner.connect()
        try:
            await partner.wait_frames(50, timeout=15)
            assert metrics(daemon)["whoot_dtls_released_total"] >= 1
            peer.location = None  # leave without DELETE: only DTLS says goodbye
            await peer.close()
            closed = time.monotonic()
            while metrics(daemon)["whoot_sessions"] != 1:
                assert time.monotonic() - closed < 15, (
                    "session still live 15 s after close_notify; dtls_after_handshake "
                    f"drops: {drops(metrics(daemon), 'dtls_after_handshake')}")
                await asyncio.sleep(0.5)
            gone = time.monotonic() - closed
            print(f"a closed peer's session ended {gone:.1f} s after its close_notify")
            assert gone >= 5, "an unauthenticated alert ended the session at once"
            assert drops(metrics(daemon), "dtls_after_handshake") >= 1
        finally:
            await partner.close()

    asyncio.run(call())


def test_a_forged_alert_does_not_end_a_live_peers_session(daemon):
    # The same alert while the peer goes on (consent checks every few seconds): the
    # probation passes and the session lives on.
    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            assert metrics(daemon)["whoot_dtls_released_total"] >= 2
            _, ice = transports(alice)
            await ice._send(bytes([21, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 2, 1, 0]))
            await asyncio.sleep(14)
            assert metrics(daemon)["whoot_sessions"] == 2
            frames = bob.frames_received
            await asyncio.sleep(1)
            assert bob.frames_received - frames > 20, "alice's audio stopped"

    asyncio.run(call())

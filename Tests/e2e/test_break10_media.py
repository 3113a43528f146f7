"""Break round 10: voice never crosses channels or tenants on the one media port.

alice (440 Hz) and bob (660 Hz) talk in demo/lobby, which is recorded. mallory (880 Hz)
is connected in another tenant's channel (acme/ops) or in another channel of the same
tenant (demo/side), and knows bob's relay ufrag and SSRCs (from bob's SDP, as if it had
leaked) but not his ICE password or keys. From a fresh loopback socket and from her own
ICE-proven address she sends: checks naming bob's session with a wrong or missing
MESSAGE-INTEGRITY (with USE-CANDIDATE), unsolicited Binding responses, DTLS ClientHellos,
RTP and SRTP under bob's and alice's SSRCs, and SRTCP (BYE, PLI, NACK, SR) naming the
lobby's streams. The lobby must keep hearing only itself, mallory must hear nothing of
it, the drops must be counted, and the lobby's recording must hold only 440 and 660 Hz.
"""

import asyncio
import binascii
import os
import re
import socket
import struct
import time

import pytest

import stun
from flooder import client_hello
from peer import Peer, band_share_of, connected_pair
from test_floods import drops, metrics
from test_recording import decode_with_ffmpeg, recordings

FRAMES_AFTER = 100
WINDOW = 2.0  # seconds of audio checked after the attack


def ssrcs_of(sdp: str) -> set:
    return {int(m) for m in re.findall(r"^a=ssrc:(\d+) ", sdp, re.M)}


def opus_pt(sdp: str) -> int:
    return int(re.search(r"^a=rtpmap:(\d+) opus", sdp, re.M).group(1))


def check_naming(peer: Peer, password: str = None, use_candidate=True) -> bytes:
    """A Binding request whose USERNAME names `peer`'s relay session, signed with
    `password` (a wrong one), or with its MESSAGE-INTEGRITY cut off when None."""
    username = (f"{stun.sdp_value(peer.answer_sdp, 'ice-ufrag')}:"
                f"{stun.sdp_value(peer.offer_sdp, 'ice-ufrag')}")
    request = stun.binding_request(username, password or "x" * 24,
                                   use_candidate=use_candidate)
    if password is not None:
        return request
    # Drop MESSAGE-INTEGRITY and FINGERPRINT (the last 24 + 8 bytes), then sign the rest
    # with a new FINGERPRINT, so that only the integrity is missing.
    body = request[20:-32]
    header = struct.pack("!HH", 1, len(body) + 8) + request[4:20]
    crc = (binascii.crc32(header + body) & 0xFFFFFFFF) ^ stun.FINGERPRINT_XOR
    body += struct.pack("!HHI", stun.FINGERPRINT, 4, crc)
    return header + body


def unsolicited_response(peer: Peer) -> bytes:
    """A Binding success response naming `peer`'s session: nobody asked for it."""
    request = check_naming(peer, "y" * 24)
    return struct.pack("!H", stun.BINDING_SUCCESS) + request[2:]


def rtp(pt: int, seq: int, ssrc: int, payload: bytes) -> bytes:
    return struct.pack("!BBHII", 0x80, pt, seq, seq * 960, ssrc) + payload


def rtcp_aimed_at(sender: int, victims: list) -> list:
    """Plain RTCP compounds (mallory's SR first, so that they parse) naming `victims`."""
    sr = struct.pack("!BBHI", 0x80, 200, 6, sender) + bytes(20)
    out = []
    for victim in victims:
        bye = struct.pack("!BBHI", 0x81, 203, 1, victim)
        pli = struct.pack("!BBHII", 0x81, 206, 2, sender, victim)
        nack = struct.pack("!BBHIIHH", 0x81, 205, 3, sender, victim, 1, 0xFFFF)
        rr_block = struct.pack("!IIIIII", victim, 0xFF000010, 1, 0, 0, 0)
        rr = struct.pack("!BBHI", 0x81, 201, 7, sender) + rr_block
        out += [sr + bye, sr + pli, sr + nack, rr]
    return out


def raw_exchange(target, datagrams: list, wait: float = 0.3) -> list:
    """Sends from a fresh loopback socket; returns the replies that came back."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        for datagram in datagrams:
            sock.sendto(datagram, target)
        sock.settimeout(wait)
        replies = []
        try:
            while True:
                replies.append(sock.recvfrom(2048)[0])
        except socket.timeout:
            return replies


async def attack(daemon, mallory: Peer, alice: Peer, bob: Peer) -> dict:
    lobby_ssrcs = sorted(ssrcs_of(alice.offer_sdp) | ssrcs_of(bob.offer_sdp)
                         | ssrcs_of(alice.answer_sdp) | ssrcs_of(bob.answer_sdp))
    assert len(lobby_ssrcs) >= 4, lobby_ssrcs
    pt = opus_pt(mallory.answer_sdp)
    replies = {}

    # 1. From a fresh address: forged checks, a response nobody asked for, DTLS, RTP.
    replies["raw_bad_mi"] = raw_exchange(daemon.udp_addr, [check_naming(bob, "z" * 24)])
    replies["raw_no_mi"] = raw_exchange(daemon.udp_addr, [check_naming(bob)])
    replies["raw_response"] = raw_exchange(daemon.udp_addr, [unsolicited_response(bob)])
    replies["raw_dtls"] = raw_exchange(daemon.udp_addr, [client_hello()])
    replies["raw_rtp"] = raw_exchange(
        daemon.udp_addr, [rtp(pt, n, ssrc, os.urandom(80))
                          for ssrc in lobby_ssrcs for n in range(5)])

    # 2. From mallory's proven address, through her ICE and DTLS transports.
    dtls = mallory.pc.getTransceivers()[0].receiver.transport
    ice = dtls.transport
    for datagram in (check_naming(bob, "z" * 24), check_naming(alice),
                     unsolicited_response(bob), client_hello()):
        await ice._send(datagram)
    own = next(iter(ssrcs_of(mallory.offer_sdp)))
    for n in range(50):
        for ssrc in lobby_ssrcs:
            await dtls._send_rtp(rtp(pt, 1000 + n, ssrc, os.urandom(80)))
    for compound in rtcp_aimed_at(own, lobby_ssrcs) * 3:
        await dtls._send_rtp(compound)
    return replies


def assert_only_refusals(replies: dict) -> None:
    for name in ("raw_bad_mi", "raw_no_mi"):
        assert len(replies[name]) == 1, (name, replies[name])
        kind, _, attributes = stun.parse(replies[name][0])
        assert kind == stun.BINDING_ERROR, (name, hex(kind))
        assert stun.XOR_MAPPED_ADDRESS not in attributes, name
    for name in ("raw_response", "raw_dtls", "raw_rtp"):
        assert replies[name] == [], (name, [r[:8].hex() for r in replies[name]])


@pytest.mark.parametrize("place", ["other_tenant", "other_channel"])
def test_a_participant_elsewhere_can_neither_hear_nor_reach_the_lobby(daemon, place, tmp_path):
    tenant, channel = ("acme", "ops") if place == "other_tenant" else ("demo", "side")
    if tenant == "acme":
        daemon.create_tenant("acme", "Acme")
    daemon.create_channel(tenant, channel)
    daemon.add_member(tenant, channel, "mallory")
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "on")
    seen = {}

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            mallory = Peer(daemon.base_url, daemon.token(tenant, channel, "mallory"),
                           tone_hz=880)
            try:
                await mallory.connect()
                await asyncio.sleep(1.5)  # her media proves her handshake: DTLS released
                before = metrics(daemon)
                replies = await attack(daemon, mallory, alice, bob)
                attacked = time.monotonic()
                await alice.wait_frames(alice.frames_received + FRAMES_AFTER, timeout=10)
                await bob.wait_frames(bob.frames_received + FRAMES_AFTER, timeout=10)
                await asyncio.sleep(WINDOW)
                after = metrics(daemon)
                since = attacked + 0.5
                seen.update(
                    alice_660=alice.band_share(660, since=since, skip_seconds=0),
                    alice_880=alice.band_share(880, since=since, skip_seconds=0),
                    bob_440=bob.band_share(440, since=since, skip_seconds=0),
                    bob_880=bob.band_share(880, since=since, skip_seconds=0),
                    mallory_rtp=mallory.rtp_packets,
                    mallory_440=mallory.band_share(440, skip_seconds=0),
                    mallory_660=mallory.band_share(660, skip_seconds=0),
                    drops={r: drops(after, r) - drops(before, r) for r in (
                        "stun_bad_integrity", "unknown_address", "dtls_after_handshake")})
                assert_only_refusals(replies)
                assert mallory.connected and bob.connected and alice.connected
            finally:
                await mallory.close()

    try:
        asyncio.run(call())
    finally:
        print(place, seen)
    assert seen["alice_660"] > 0.8 and seen["alice_880"] < 0.01, seen
    assert seen["bob_440"] > 0.8 and seen["bob_880"] < 0.01, seen
    # mallory is alone in her room: the relay sends her no audio at all.
    assert seen["mallory_rtp"] == 0, seen
    assert seen["drops"]["stun_bad_integrity"] >= 2, seen
    assert seen["drops"]["unknown_address"] >= 20, seen
    assert seen["drops"]["dtls_after_handshake"] >= 1, seen

    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "off")
    deadline = time.monotonic() + 10
    while not (recordings(daemon) and all(r["complete"] for r in recordings(daemon))):
        assert time.monotonic() < deadline, "the recording was not closed"
        time.sleep(0.2)
    assert len(recordings(daemon)) == 1, recordings(daemon)
    if tenant == "acme":
        assert recordings(daemon, "acme") == []
    wav = str(tmp_path / "lobby.wav")
    daemon.ctl("recording", "export", "--tenant", "demo", "--recording",
               str(recordings(daemon)[0]["id"]), "--out", wav)
    pcm = decode_with_ffmpeg(wav)
    shares = {hz: band_share_of(pcm, hz) for hz in (440, 660, 880)}
    print("recording shares", shares)
    assert shares[440] > 0.2 and shares[660] > 0.2 and shares[880] < 0.005, shares

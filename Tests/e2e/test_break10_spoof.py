"""Break round 10: a participant of tenant acme or of demo's other channel (mallory)
sends one ICE check for her OWN session, signed with her own password, but from a forged
source address: that of bob, a participant of demo/lobby. Everything stays on loopback:
the forged datagram is built with a raw IPv4 socket (root) and addressed to whootd's media
port on 127.0.0.1.

The relay must not let one session take over an address that another session has already
proven: the lobby's call (alice and bob) must keep its audio both ways. Today the route of
bob's address is simply overwritten, so bob's SRTP goes to mallory's session (where it
fails authentication) and alice hears bob no more, for as long as bob's session lives:
bob's own consent checks name his session at the address it already has, so nothing
rebinds it.
"""

import asyncio
import socket
import struct
import time

import pytest

import stun
from peer import Peer, connected_pair
from test_floods import drops, metrics

FRAMES_AFTER = 100  # 2 s of bob's audio alice must still decode after the forged check


def local_address(peer: Peer):
    """(host, port) of the peer's nominated local ICE candidate: its media address."""
    ice = peer.pc.getTransceivers()[0].receiver.transport.transport
    pair = ice._connection._nominated[1]
    return pair.local_candidate.host, pair.local_candidate.port


def forged_udp(source, target, payload: bytes) -> None:
    """Sends `payload` in one UDP datagram to `target` with a forged IPv4 `source`, both on
    loopback. The kernel fills in the IP length and checksum; the UDP checksum is 0
    (none, allowed for IPv4)."""
    assert source[0].startswith("127.") and target[0] == "127.0.0.1", (source, target)
    udp = struct.pack("!HHHH", source[1], target[1], 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64,
                     socket.IPPROTO_UDP, 0, socket.inet_aton(source[0]),
                     socket.inet_aton(target[0]))
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
        raw.sendto(ip + udp, (target[0], 0))


def own_check(peer: Peer) -> bytes:
    """A valid Binding request with USE-CANDIDATE for `peer`'s own session."""
    username = (f"{stun.sdp_value(peer.answer_sdp, 'ice-ufrag')}:"
                f"{stun.sdp_value(peer.offer_sdp, 'ice-ufrag')}")
    return stun.binding_request(username, stun.sdp_value(peer.answer_sdp, "ice-pwd"),
                                use_candidate=True)


def setup_mallory(daemon, place: str) -> str:
    """mallory's join token in another tenant's channel or in demo's other channel."""
    tenant, channel = ("acme", "ops") if place == "other_tenant" else ("demo", "side")
    if tenant == "acme":
        daemon.create_tenant("acme", "Acme")
    daemon.create_channel(tenant, channel)
    daemon.add_member(tenant, channel, "mallory")
    return daemon.token(tenant, channel, "mallory")


# With the default two workers (one per core here) the lobby lands on worker 0 and
# mallory's channel on worker 1: the route table they share is where the check bites.
@pytest.mark.parametrize("place", ["other_tenant", "other_channel"])
def test_a_check_for_ones_own_session_from_a_forged_address_does_not_take_anothers_route(
        daemon, place):
    mallory_token = setup_mallory(daemon, place)
    seen = {}

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            mallory = Peer(daemon.base_url, mallory_token, tone_hz=880)
            try:
                await mallory.connect()
                bob_address = local_address(bob)
                before = metrics(daemon)
                forged_udp(bob_address, daemon.udp_addr, own_check(mallory))
                await asyncio.sleep(0.5)

                frames = alice.frames_received
                since = time.monotonic()
                try:
                    await alice.wait_frames(frames + FRAMES_AFTER, timeout=10)
                finally:
                    after = metrics(daemon)
                    seen["auth"] = (drops(after, "srtp_auth_failure")
                                    - drops(before, "srtp_auth_failure"))
                    seen["bob_heard_by_alice"] = alice.frames_received - frames
                    seen["mallory_heard_of_bob"] = mallory.band_share(660, since=since)
                await bob.wait_frames(bob.frames_received + FRAMES_AFTER, timeout=10)
                assert alice.band_share(660, since=since) > 0.8
            finally:
                await mallory.close()

    try:
        asyncio.run(call())
    finally:
        print(place, "after the forged check:", seen)
    assert daemon.alive()


def test_a_forged_check_that_moves_on_does_not_leave_anothers_address_unrouted(daemon):
    # An off-path sender who knows only a victim's IP address can sweep its ports: each
    # forged check moves mallory's session to the next address and, on leaving, removes
    # the route of the address it took. Here two checks: bob's address, then another.
    mallory_token = setup_mallory(daemon, "other_tenant")
    seen = {}

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            mallory = Peer(daemon.base_url, mallory_token, tone_hz=880)
            try:
                await mallory.connect()
                before = metrics(daemon)
                forged_udp(local_address(bob), daemon.udp_addr, own_check(mallory))
                forged_udp(("127.0.0.77", 40000), daemon.udp_addr, own_check(mallory))
                await asyncio.sleep(0.5)
                frames = alice.frames_received
                try:
                    await alice.wait_frames(frames + FRAMES_AFTER, timeout=8)
                finally:
                    after = metrics(daemon)
                    seen["unknown_address"] = (drops(after, "unknown_address")
                                               - drops(before, "unknown_address"))
                    seen["bob_heard_by_alice"] = alice.frames_received - frames
            finally:
                await mallory.close()

    try:
        asyncio.run(call())
    finally:
        print("after two forged checks:", seen)

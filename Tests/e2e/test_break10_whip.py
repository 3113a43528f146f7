"""Break round 10: WHIP attacks on another tenant's or channel's sessions. alice (440 Hz)
and bob (660 Hz) talk in demo/lobby; mallory is a member of tenant acme (channel ops) and
of demo's other channel (side). She learned bob's Location URL, his rejoin token and his
SDP offer (ICE ufrag, password and DTLS fingerprint). Each attack must leave the lobby's
call as it was: both still connected, each hearing only the other."""

import asyncio
import re
import time
import urllib.parse

import stun
from peer import Peer, connected_pair, http_request

FRAMES_AFTER = 50


def setup_mallory(daemon) -> None:
    daemon.create_tenant("acme", "Acme")
    daemon.create_channel("acme", "ops")
    daemon.add_member("acme", "ops", "mallory")
    daemon.create_channel("demo", "side")
    daemon.add_member("demo", "side", "mallory")


async def still_talking(alice: Peer, bob: Peer) -> None:
    since = time.monotonic()
    await alice.wait_frames(alice.frames_received + FRAMES_AFTER, timeout=10)
    await bob.wait_frames(bob.frames_received + FRAMES_AFTER, timeout=10)
    assert alice.connected and bob.connected
    assert alice.band_share(660, since=since, skip_seconds=0) > 0.8
    assert bob.band_share(440, since=since, skip_seconds=0) > 0.8


def test_another_sessions_location_cannot_be_deleted_or_patched(daemon):
    setup_mallory(daemon)
    acme_token = daemon.token("acme", "ops", "mallory")
    side_token = daemon.token("demo", "side", "mallory")
    answers = []

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            path = urllib.parse.urlsplit(bob.location).path
            alice_token = alice.token
            attempts = [
                ("DELETE", path, acme_token), ("DELETE", path, side_token),
                ("DELETE", path, alice_token), ("DELETE", path, bob.rejoin_token),
                ("DELETE", path, None), ("DELETE", path + "/", acme_token),
                ("DELETE", path.upper(), acme_token), ("DELETE", path + "%00", side_token),
                ("DELETE", path, f"{acme_token} {bob.token}"), ("DELETE", path, "*"),
                ("PATCH", path, acme_token), ("PATCH", path, bob.token),
                ("POST", path, acme_token), ("PUT", path, acme_token),
            ]
            for method, target, token in attempts:
                headers = {"Content-Type": "application/trickle-ice-sdpfrag"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                body = b"a=ice-ufrag:abcd\r\na=ice-pwd:" + b"p" * 22 + b"\r\n"
                status, _, reply = await http_request(daemon.base_url, method, target,
                                                      body if method != "DELETE" else b"",
                                                      headers)
                answers.append((method, target[-6:], status, reply[:80]))
            await asyncio.sleep(0.5)
            await still_talking(alice, bob)

    try:
        asyncio.run(call())
    finally:
        print(answers)
    assert len(answers) == 14
    for method, _, status, reply in answers:
        assert status in (401, 404, 405), (method, status, reply)


def test_a_join_token_is_spent_when_its_session_ends_and_names_only_its_channel(daemon):
    setup_mallory(daemon)

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            first = Peer(daemon.base_url, daemon.token("demo", "side", "mallory"),
                         tone_hz=880)
            await first.connect()
            spent, rejoin = first.token, first.rejoin_token
            assert await first.close() == 200
            for token in (spent, rejoin):
                replay = Peer(daemon.base_url, token, tone_hz=880)
                try:
                    status = await replay.join()
                    assert status == 401, (status, replay.post_body[:200])
                finally:
                    await replay.close()
            await still_talking(alice, bob)

    asyncio.run(call())
    # whootctl issues no token for a channel of another tenant, nor for a member who is
    # not assigned to the channel.
    for args in (("--tenant", "acme", "--channel", "lobby", "--member", "mallory"),
                 ("--tenant", "demo", "--channel", "lobby", "--member", "mallory"),
                 ("--tenant", "acme", "--channel", "ops", "--member", "bob")):
        refused = daemon.ctl("token", "join", *args, check=False)
        assert refused.returncode != 0 and not refused.stdout.strip(), (args, refused.stdout)


def test_an_offer_copying_another_peers_ice_and_fingerprint_gets_nothing_of_its_call(daemon):
    setup_mallory(daemon)
    outcome = {}

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            copied = {name: stun.sdp_value(bob.offer_sdp, name)
                      for name in ("ice-ufrag", "ice-pwd", "fingerprint")}

            def as_bob(sdp: str) -> str:
                for name, value in copied.items():
                    sdp = re.sub(rf"^a={name}:.*$", f"a={name}:{value}", sdp, flags=re.M)
                return sdp

            for tenant, channel in (("acme", "ops"), ("demo", "side")):
                mallory = Peer(daemon.base_url, daemon.token(tenant, channel, "mallory"),
                               tone_hz=880, mangle_offer=as_bob)
                try:
                    status = await mallory.join()
                    outcome[channel] = status
                    if status == 201:
                        assert stun.sdp_value(mallory.answer_sdp, "ice-ufrag") != \
                            stun.sdp_value(bob.answer_sdp, "ice-ufrag")
                        await asyncio.sleep(4)
                        outcome[channel + "_rtp"] = mallory.rtp_packets
                        assert mallory.rtp_packets == 0, "mallory received media"
                finally:
                    await mallory.close()
            await still_talking(alice, bob)

    try:
        asyncio.run(call())
    finally:
        print(outcome)

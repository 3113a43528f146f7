"""Bad input gets a clear error, and the daemon keeps serving everyone else."""

import asyncio
import json
import os
import re
import socket
import struct
import time
import urllib.parse


import stun
from peer import Peer, connected_pair, http_request_sync, new_peer_connection

SDP = {"Content-Type": "application/sdp"}


def make_offer(kind: str = "audio") -> str:
    """A fresh aiortc offer (one sendrecv m-line of `kind`), never posted by aiortc."""
    async def build():
        pc = new_peer_connection()
        pc.addTransceiver(kind, direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(build())


def post(daemon, body: bytes, token: str = None, content_type="application/sdp"):
    headers = {"Content-Type": content_type} if content_type else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return http_request_sync(daemon.base_url, "POST", "/whip", body, headers)


def error_message(status: int, body: bytes) -> str:
    """The `error` of a JSON error body; fails when there is none."""
    try:
        message = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        raise AssertionError(f"{status} without a JSON error body: {body[:200]!r}")
    assert isinstance(message, str) and len(message) >= 8, f"vague error: {message!r}"
    return message


def assert_serving(daemon) -> None:
    status, _, _ = http_request_sync(daemon.base_url, "GET", "/healthz")
    assert status == 200 and daemon.alive()


def test_whip_resource_lifecycle_answers_with_the_right_statuses(daemon):
    """Interop case 12: 201 + Location, DELETE 200/204 then 404, GET 405, 415, 400."""
    offer = make_offer().encode()
    token_used = daemon.token("demo", "lobby", "alice")
    status, headers, body = post(daemon, offer, token_used)
    assert status == 201, body[:300]
    assert body.decode().startswith("v=0")
    location = urllib.parse.urlsplit(headers.get("location", "")).path
    assert re.fullmatch(r"/whip/[^/]+", location), f"Location {location!r}"

    owner = {"Authorization": f"Bearer {token_used}"}
    # Knowing the session URL is not enough: DELETE needs the token that joined.
    anonymous, _, _ = http_request_sync(daemon.base_url, "DELETE", location)
    stranger, _, _ = http_request_sync(daemon.base_url, "DELETE", location,
                                       headers={"Authorization": "Bearer wjt_not-the-owner"})
    assert anonymous == 401 and stranger == 404
    first, _, _ = http_request_sync(daemon.base_url, "DELETE", location, headers=owner)
    second, _, _ = http_request_sync(daemon.base_url, "DELETE", location, headers=owner)
    fetched, _, _ = http_request_sync(daemon.base_url, "GET", location)
    assert first in (200, 204) and second == 404 and fetched == 405

    token = daemon.token("demo", "lobby", "bob")
    assert post(daemon, offer, token, content_type="text/plain")[0] == 415
    status, _, body = post(daemon, b"this is not SDP\r\n", daemon.token("demo", "lobby", "bob"))
    assert status == 400
    error_message(status, body)
    assert_serving(daemon)


def test_malformed_sdp_is_refused_with_400_naming_the_fault(daemon):
    offer = make_offer()
    lines = offer.split("\r\n")
    m_line = next(i for i, line in enumerate(lines) if line.startswith("m=audio"))
    truncated_m = "\r\n".join(lines[:m_line] + ["m=audio 9 UDP/TLS/RTP/SAV"]) + "\r\n"
    no_fingerprint = "".join(line + "\r\n" for line in lines
                             if line and not line.startswith("a=fingerprint:"))
    no_ice = "".join(line + "\r\n" for line in lines
                     if line and not line.startswith(("a=ice-ufrag:", "a=ice-pwd:")))
    cases = [
        ("truncated m-line", truncated_m, ("m=", "media", "m-line"), {400}),
        ("cut mid-offer", offer[:len(offer) // 3], None, {400}),
        ("no version line", offer.replace("v=0\r\n", "", 1), ("v=", "version"), {400}),
        ("no fingerprint", no_fingerprint, ("fingerprint",), {400, 422}),
        ("no ICE credentials", no_ice, ("ice", "ufrag", "pwd"), {400, 422}),
        ("binary garbage", os.urandom(512), None, {400}),
    ]
    for name, body, keywords, statuses in cases:
        raw = body if isinstance(body, bytes) else body.encode()
        status, _, reply = post(daemon, raw, daemon.token("demo", "lobby", "alice"))
        assert status in statuses, f"{name}: {status} {reply[:200]!r}"
        message = error_message(status, reply).lower()
        if keywords:
            assert any(k in message for k in keywords), f"{name}: error {message!r}"
    assert_serving(daemon)


def test_offer_without_audio_or_without_opus_gets_a_clear_4xx(daemon):
    video_only = make_offer("video")
    offer = make_offer()
    opus_pt = re.search(r"a=rtpmap:(\d+) opus/48000/2", offer, re.IGNORECASE).group(1)
    no_opus = "".join(
        line + "\r\n" for line in offer.split("\r\n") if line
        and not re.match(rf"a=(rtpmap|fmtp|rtcp-fb):{opus_pt}\b", line))
    no_opus = re.sub(rf"(m=audio \S+ \S+)((?: \d+)*)",
                     lambda m: m.group(1) + re.sub(rf" {opus_pt}\b", "", m.group(2)), no_opus)
    assert "opus" not in no_opus.lower()

    for name, body, keyword in (("video only", video_only, "audio"),
                                ("no Opus", no_opus, "opus")):
        status, _, reply = post(daemon, body.encode(), daemon.token("demo", "lobby", "alice"))
        assert 400 <= status < 500 and status not in (401, 404, 405, 413, 415), \
            f"{name}: {status}"
        assert keyword in error_message(status, reply).lower(), f"{name}: {reply[:200]!r}"
    assert_serving(daemon)


def test_oversized_body_is_refused_with_413(daemon):
    padding = "".join(f"a=x-pad:{i:06d}{'x' * 100}\r\n" for i in range(700))
    body = (make_offer() + padding).encode()
    assert len(body) > 64 * 1024
    try:
        status, _, _ = post(daemon, body, daemon.token("demo", "lobby", "alice"))
    except (ConnectionError, OSError) as error:  # the server reads the body, then answers
        raise AssertionError(f"no 413 answer, connection failed: {error}")
    assert status == 413
    assert_serving(daemon)


def test_forged_reused_and_other_channel_tokens_are_refused_with_401(daemon):
    offer = make_offer().encode()
    assert post(daemon, offer, "forged-" + "A" * 40)[0] == 401
    assert post(daemon, offer, None)[0] == 401

    token = daemon.token("demo", "lobby", "alice")
    status, headers, _ = post(daemon, offer, token)
    assert status == 201
    assert post(daemon, make_offer().encode(), token)[0] == 401, "reused token accepted"
    assert http_request_sync(daemon.base_url, "DELETE", headers["location"],
                             headers={"Authorization": f"Bearer {token}"})[0] == 200

    # bob is a member of demo but not assigned to demo/side: either whootctl refuses to
    # mint the token, or the daemon refuses the token.
    daemon.create_channel("demo", "side")
    minted = daemon.ctl("token", "join", "--tenant", "demo", "--channel", "side",
                        "--member", "bob", check=False)
    if minted.returncode == 0:
        assert post(daemon, offer, minted.stdout.strip())[0] == 401
    assert_serving(daemon)


def hostile_datagrams(wrong_key_request: bytes):
    """Random bytes and truncated STUN, DTLS and RTP/RTCP datagrams."""
    dtls = bytes([22, 0xFE, 0xFD]) + b"\x00" * 8 + struct.pack("!H", 200) + b"\x01\x00"
    rtp = bytes([0x80, 0x6F]) + os.urandom(30)
    rtcp = bytes([0x81, 0xC8, 0x00, 0x40]) + os.urandom(12)
    stun_cut = (1, 4, 8, 19, 20, 28, len(wrong_key_request) - 4)
    datagrams = [os.urandom(n) for n in (1, 2, 7, 19, 20, 100, 1200, 1500)]
    datagrams += [wrong_key_request[:n] for n in stun_cut]
    datagrams += [dtls[:n] for n in (1, 3, 13, len(dtls))]
    datagrams += [rtp[:n] for n in (1, 2, 11, 12, 20, len(rtp))]
    datagrams += [rtcp[:n] for n in (4, 8, len(rtcp))]
    return datagrams + [b""]


def test_hostile_datagrams_and_bad_stun_integrity_do_not_break_a_call(daemon):
    async def scenario():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            target = stun.udp_host_candidate(alice.answer_sdp)
            username = (f"{stun.sdp_value(alice.answer_sdp, 'ice-ufrag')}:"
                        f"{stun.sdp_value(alice.offer_sdp, 'ice-ufrag')}")
            wrong_key = stun.binding_request(username, "not-the-ice-password-of-whootd")

            before = (alice.frames_received, bob.frames_received)
            replies = await asyncio.to_thread(
                barrage, target, hostile_datagrams(wrong_key) + [wrong_key])
            assert not any(is_binding_success(r) for r in replies), \
                "STUN with a wrong MESSAGE-INTEGRITY got a success response"

            resumed = time.monotonic()
            await asyncio.sleep(3.0)
            gained = (alice.frames_received - before[0], bob.frames_received - before[1])
            assert min(gained) >= 100, f"frames decoded during and after the barrage: {gained}"
            assert abs(alice.dominant_frequency(since=resumed, skip_seconds=0) - 660) < 10
            assert abs(bob.dominant_frequency(since=resumed, skip_seconds=0) - 440) < 10
            assert alice.connected and bob.connected

            # Control: the same request signed with the right password is answered, so the
            # silence above was the integrity check, not a deaf socket.
            right_key = stun.binding_request(username, stun.sdp_value(alice.answer_sdp,
                                                                      "ice-pwd"))
            replies = await asyncio.to_thread(barrage, target, [right_key], 1)
            assert any(is_binding_success(r) for r in replies), \
                "a correctly signed STUN Binding request got no success response"
        assert_serving(daemon)

    asyncio.run(scenario())


def is_binding_success(reply: bytes) -> bool:
    try:
        return stun.parse(reply)[0] == stun.BINDING_SUCCESS
    except ValueError:
        return False


def barrage(target, datagrams, rounds: int = 5):
    """Sends every datagram `rounds` times from a fresh loopback socket; returns replies."""
    replies = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.2)
        for _ in range(rounds):
            for datagram in datagrams:
                s.sendto(datagram, target)
            try:
                while True:
                    replies.append(s.recvfrom(2048)[0])
            except socket.timeout:
                pass
    return replies


def test_dtls_with_a_fingerprint_not_matching_the_offer_fails_and_others_go_on(daemon):
    def tamper(offer: str) -> str:
        def flip(match):
            hex_pairs = match.group(2).split(":")
            hex_pairs[0] = "00" if hex_pairs[0] != "00" else "FF"
            return match.group(1) + ":".join(hex_pairs)
        return re.sub(r"(a=fingerprint:\S+ )([0-9A-Fa-f:]+)", flip, offer)

    async def scenario():
        alice = Peer(daemon.base_url, daemon.token("demo", "lobby", "alice"), tone_hz=440)
        bob = Peer(daemon.base_url, daemon.token("demo", "lobby", "bob"), tone_hz=660)
        daemon.add_member("demo", "lobby", "mallory")
        mallory = Peer(daemon.base_url, daemon.token("demo", "lobby", "mallory"),
                       tone_hz=880, mangle_offer=tamper)
        try:
            await alice.connect()
            await bob.connect()
            await alice.wait_frames(100, timeout=15)

            assert await mallory.join() == 201, mallory.post_body[:200]
            assert mallory.offer_sdp != mallory.pc.localDescription.sdp
            await asyncio.sleep(8.0)

            # Whether mallory's own DTLS state ends "connected" depends on who checks the
            # fingerprint when (a DTLS client may check after its Finished); what must hold
            # is that no media crosses: none reaches mallory, none of hers reaches the call.
            state = mallory.pc.connectionState
            assert mallory.pc.iceConnectionState in ("connected", "completed"), \
                f"mallory's ICE did not complete ({mallory.pc.iceConnectionState}): vacuous"
            assert mallory.rtp_packets == 0, f"mallory ({state}) got RTP"
            resumed = time.monotonic()
            await asyncio.sleep(2.0)
            assert abs(alice.dominant_frequency(since=resumed, skip_seconds=0) - 660) < 10
            for peer in (alice, bob):
                assert peer.band_share(880, since=resumed, skip_seconds=0) < 0.05
                assert len(peer.rtp_by_ssrc) == 1, f"streams seen: {dict(peer.rtp_by_ssrc)}"
            assert alice.connected and bob.connected
        finally:
            for peer in (alice, bob, mallory):
                await peer.close()
        assert_serving(daemon)

    asyncio.run(scenario())


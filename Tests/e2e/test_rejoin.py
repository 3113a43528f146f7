"""Rejoin tokens and cross-origin WHIP: each admitted session comes with a rejoin token
(header Whoot-Rejoin-Token) that lets its client come back by itself, kept valid while the
session lives, spent by use or by leaving; CORS answers only the configured origins."""

import asyncio
import csv
import io
import json

import pytest

from conftest import daemon_configured
from peer import Peer, connected_pair, http_request_sync

GRACE_SECONDS = 10
LISTED = "https://voice.example.org"


@pytest.fixture
def configured(tmp_path):
    """whootd with a short rejoin grace and one allowed cross-origin page origin."""
    config = f"rejoin_grace_seconds = {GRACE_SECONDS}\nallowed_origins = {LISTED}/\n"
    with daemon_configured(config, tmp_path) as running:
        yield running


def test_a_rejoin_token_stays_valid_past_its_grace_while_the_session_lives(configured):
    daemon = configured

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")) as (alice, bob):
            token = alice.rejoin_token
            assert token and token.startswith("wjt_") and token != alice.token
            # Longer than the grace the token was issued with: only the node's extensions
            # keep it alive.
            await asyncio.sleep(GRACE_SECONDS + 4)
            back = Peer(daemon.base_url, token, tone_hz=523)
            try:
                await back.connect()
                await bob.wait_frames(bob.frames_received + 100, timeout=15)
                assert back.rejoin_token and back.rejoin_token != token
            finally:
                await back.close()
            # A rejoin token is single use, like any join token.
            again = Peer(daemon.base_url, token)
            try:
                assert await again.join() == 401
                assert b"already used" in again.post_body
            finally:
                await again.close()

    asyncio.run(call())
    rows = list(csv.DictReader(io.StringIO(
        daemon.ctl("audit", "export", "--tenant", "demo").stdout)))
    issued = [json.loads(row["metadata"]) for row in rows
              if row["action"] == "join_token.issue"]
    # Three sessions were admitted (alice, bob, alice again): three rejoin tokens.
    assert sum(1 for metadata in issued if metadata.get("rejoin") is True) == 3


def test_leaving_with_delete_spends_the_rejoin_token(daemon):
    async def call():
        peer = Peer(daemon.base_url, daemon.token("demo", "lobby", "alice"), tone_hz=440)
        await peer.connect()
        token = peer.rejoin_token
        assert token
        assert await peer.close() == 200
        back = Peer(daemon.base_url, token)
        try:
            assert await back.join() == 401
            assert b"already used" in back.post_body
        finally:
            await back.close()

    asyncio.run(call())


def test_a_removed_member_cannot_come_back_with_a_rejoin_token(daemon):
    async def call():
        peer = Peer(daemon.base_url, daemon.token("demo", "lobby", "bob"), tone_hz=440)
        await peer.connect()
        token = peer.rejoin_token
        daemon.ctl("member", "remove", "--tenant", "demo", "--member", "bob")
        back = Peer(daemon.base_url, token)
        try:
            assert await back.join() == 401
            assert b"not allowed" in back.post_body
        finally:
            await back.close()
            await peer.close()

    asyncio.run(call())


def test_cross_origin_whip_is_answered_only_for_listed_origins(configured):
    daemon = configured
    base = daemon.base_url

    status, headers, _ = http_request_sync(base, "OPTIONS", "/whip", b"", {
        "Origin": LISTED, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert status == 204
    assert headers["access-control-allow-origin"] == LISTED
    assert "POST" in headers["access-control-allow-methods"]
    assert "authorization" in headers["access-control-allow-headers"].lower()

    status, headers, _ = http_request_sync(base, "OPTIONS", "/whip/abc", b"", {
        "Origin": LISTED, "Access-Control-Request-Method": "DELETE"})
    assert status == 204 and "DELETE" in headers["access-control-allow-methods"]

    for stranger in ("https://evil.example.org", "null", "https://voice.example.org.evil"):
        status, headers, body = http_request_sync(base, "OPTIONS", "/whip", b"", {
            "Origin": stranger, "Access-Control-Request-Method": "POST"})
        assert status == 403 and "access-control-allow-origin" not in headers
        assert b"not allowed" in body

    # The real request: the browser may read the answer and the exposed headers.
    status, headers, body = http_request_sync(base, "POST", "/whip", b"v=0\r\n", {
        "Origin": LISTED, "Content-Type": "application/sdp",
        "Authorization": "Bearer wjt_nope"})
    assert status == 400 or status == 401
    assert headers["access-control-allow-origin"] == LISTED
    assert "Whoot-Rejoin-Token" in headers["access-control-expose-headers"]
    status, headers, _ = http_request_sync(base, "POST", "/whip", b"v=0\r\n", {
        "Origin": "https://evil.example.org", "Content-Type": "application/sdp",
        "Authorization": "Bearer wjt_nope"})
    assert "access-control-allow-origin" not in headers

    # The page may connect to the listed origin and nowhere else.
    status, headers, _ = http_request_sync(base, "GET", "/")
    policy = headers["content-security-policy"]
    assert f"connect-src 'self' {LISTED};" in policy

    # /whip/route: where a join with this token belongs, without spending it.
    token = daemon.token("demo", "lobby", "alice")
    status, _, body = http_request_sync(base, "GET", "/whip/route", b"",
                                        {"Authorization": f"Bearer {token}"})
    assert status == 200 and json.loads(body) == {"whip_url": "/whip"}
    status, _, body = http_request_sync(base, "GET", "/whip/route", b"",
                                        {"Authorization": "Bearer wjt_short"})
    assert status == 401 and b"malformed" in body
    status, _, _ = http_request_sync(base, "GET", "/whip/route")
    assert status == 401

    async def still_unspent():
        peer = Peer(base, token)
        try:
            await peer.connect()
        finally:
            await peer.close()

    asyncio.run(still_unspent())

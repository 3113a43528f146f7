"""Break round 3: attacks on rejoin tokens (Whoot-Rejoin-Token) from a tester who did not
write them. Each test is one attack; a failing test shows a finding."""

import asyncio
import json

from peer import Peer, http_request, http_request_sync

REVOCATION_SECONDS = 1.5  # "drops their live media within a second", plus slack


async def joined(daemon, member: str, tone_hz: float = 440) -> Peer:
    """A connected peer of `member` in demo/lobby (admission only, no media wait)."""
    peer = Peer(daemon.base_url, daemon.token("demo", "lobby", member), tone_hz=tone_hz)
    await peer.connect()
    assert peer.rejoin_token, "201 without Whoot-Rejoin-Token"
    return peer


async def try_join(daemon, token: str):
    """Posts a fresh offer with `token`; returns (status, body) and closes the peer."""
    peer = Peer(daemon.base_url, token)
    try:
        status = await peer.join()
        return status, peer.post_body
    finally:
        await peer.close()


def test_a_member_demoted_to_auditor_cannot_rejoin_with_the_rejoin_token(daemon):
    # An auditor "changes nothing" and has no joinChannel permission; the role change
    # ends the member's sessions. The rejoin token handed out before must not bring them
    # straight back (the built-in page would do so by itself, and keep doing it).
    async def call():
        bob = await joined(daemon, "bob")
        try:
            daemon.ctl("role", "set", "--tenant", "demo", "--member", "bob",
                       "--role", "auditor")
            await asyncio.sleep(REVOCATION_SECONDS)
            status, body = await try_join(daemon, bob.rejoin_token)
            assert status == 401, (
                f"an auditor rejoined with the rejoin token: {status} {body[:200]!r}")
        finally:
            await bob.close()

    asyncio.run(call())


def test_an_unassigned_member_cannot_rejoin_with_the_rejoin_token(daemon):
    async def call():
        bob = await joined(daemon, "bob")
        try:
            daemon.ctl("unassign", "--tenant", "demo", "--channel", "lobby", "--member", "bob")
            await asyncio.sleep(REVOCATION_SECONDS)
            status, body = await try_join(daemon, bob.rejoin_token)
            assert status == 401 and b"not allowed" in body, (status, body[:200])
        finally:
            await bob.close()

    asyncio.run(call())


def test_mfa_enforcement_stops_a_rejoin_of_a_member_without_mfa(daemon):
    async def call():
        bob = await joined(daemon, "bob")
        try:
            daemon.ctl("mfa", "policy", "--tenant", "demo", "enforced")
            status, body = await try_join(daemon, bob.rejoin_token)
            assert status == 401 and b"not allowed" in body, (status, body[:200])
        finally:
            await bob.close()

    asyncio.run(call())


def test_two_rejoins_racing_with_one_token_admit_exactly_one(daemon):
    async def call():
        bob = await joined(daemon, "bob")
        racers = [Peer(daemon.base_url, bob.rejoin_token) for _ in range(4)]
        try:
            statuses = await asyncio.gather(*(racer.join() for racer in racers))
            assert sorted(statuses) == [201, 401, 401, 401], statuses
        finally:
            for racer in racers:
                await racer.close()
            await bob.close()

    asyncio.run(call())


def test_a_rejoin_token_is_no_credential_for_the_control_api(daemon):
    async def call():
        bob = await joined(daemon, "bob")
        try:
            for method, path in (("GET", "/v1/me"), ("GET", "/v1/channels"),
                                 ("GET", "/v1/members"),
                                 ("POST", "/v1/channels/1/join-token")):
                status, _, _ = await http_request(
                    daemon.base_url, method, path, b"",
                    {"Authorization": f"Bearer {bob.rejoin_token}",
                     "Content-Type": "application/json"})
                assert status == 401, f"{method} {path} answered {status}"
        finally:
            await bob.close()

    asyncio.run(call())


def test_a_rejoin_token_does_not_delete_the_session_it_came_with(daemon):
    # The session is owned by the join token that created it; its rejoin token is a
    # different credential and must not end it (nor spend itself by trying).
    async def call():
        bob = await joined(daemon, "bob")
        try:
            path = bob.location.split("://", 1)[1].split("/", 1)[1]
            status, _, _ = await http_request(daemon.base_url, "DELETE", "/" + path, b"",
                                              {"Authorization": f"Bearer {bob.rejoin_token}"})
            assert status == 404
            status, body = await try_join(daemon, bob.rejoin_token)
            assert status == 201, (status, body[:200])
        finally:
            await bob.close()

    asyncio.run(call())


def test_leaving_a_rejoined_session_spends_the_next_rejoin_token(daemon):
    async def call():
        bob = await joined(daemon, "bob")
        again = Peer(daemon.base_url, bob.rejoin_token, tone_hz=523)
        try:
            await again.connect()
            assert again.rejoin_token and again.rejoin_token != bob.rejoin_token
            assert await again.close() == 200  # DELETE with the rejoin token that joined
            status, body = await try_join(daemon, again.rejoin_token)
            assert status == 401 and b"already used" in body, (status, body[:200])
        finally:
            await bob.close()

    asyncio.run(call())


def test_route_spends_nothing_and_answers_only_a_redeemable_token(daemon):
    # GET /whip/route tells where a join belongs, without spending the token. A token
    # that could not be redeemed (used, unknown) is refused like POST /whip refuses it,
    # and takes no lease in cluster mode.
    async def call():
        bob = await joined(daemon, "bob")
        live = daemon.token("demo", "lobby", "alice")
        try:
            unknown = "wjt_" + "A" * 43
            for token, want in ((bob.token, 401), (unknown, 401), (bob.rejoin_token, 200),
                                (live, 200), (live, 200)):
                status, _, body = await http_request(
                    daemon.base_url, "GET", "/whip/route", b"",
                    {"Authorization": f"Bearer {token}"})
                assert status == want, (status, body)
                if want == 200:
                    assert json.loads(body) == {"whip_url": "/whip"}
            alice = Peer(daemon.base_url, live)
            try:
                await alice.connect()  # asking twice spent nothing
            finally:
                await alice.close()
        finally:
            await bob.close()

    asyncio.run(call())
    status, _, _ = http_request_sync(daemon.base_url, "POST", "/whip/route", b"",
                                     {"Authorization": "Bearer wjt_x"})
    assert status in (404, 405)

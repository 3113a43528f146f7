"""The control plane's HTTPS API against a real whootd: revocation reaches live media within
a second, another tenant's ids answer 404, bad bodies change nothing, and no secret used
in the run is left in the state directory or the daemon's log."""

import asyncio
import json
import os
import subprocess
import time

from conftest import CTL_TIMEOUT
from peer import Peer, http_request_sync

REVOCATION_DEADLINE = 1.0  # seconds from the API answer to the last RTP packet
QUIET_WINDOW = 1.5  # seconds during which no packet may arrive after the deadline


class Api:
    """JSON calls to /v1 as one signed-in member; remembers every secret it saw."""

    def __init__(self, daemon, secrets: list):
        self.daemon = daemon
        self.secrets = secrets
        self.token = None

    def call(self, method: str, path: str, body=None, raw: bytes = None,
             content_type: str = "application/json"):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else b"")
        if data:
            headers["Content-Type"] = content_type
        status, _, payload = http_request_sync(self.daemon.base_url, method, path, data, headers)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload

    def login(self, tenant: str, handle: str, password: str) -> "Api":
        status, body = self.call("POST", "/v1/login",
                                 {"tenant": tenant, "handle": handle, "password": password})
        assert status == 200, f"login {tenant}/{handle}: {status} {body}"
        self.token = body["token"]
        self.secrets.append(self.token)
        return self

    def join_token(self, channel_id: int) -> str:
        status, body = self.call("POST", f"/v1/channels/{channel_id}/join-token")
        assert status == 201, f"join-token: {status} {body}"
        self.secrets.append(body["token"])
        return body["token"]

    def ids(self):
        """({channel name: id}, {handle: id}) of the caller's tenant."""
        _, channels = self.call("GET", "/v1/channels")
        _, members = self.call("GET", "/v1/members")
        return ({c["name"]: c["id"] for c in channels["channels"]},
                {m["handle"]: m["id"] for m in members["members"]})


def set_password(daemon, tenant: str, handle: str, password: str, secrets: list) -> None:
    """whootctl member password, with the password on stdin (never on the command line)."""
    secrets.append(password)
    result = subprocess.run(
        [daemon.whootctl, "--socket", daemon.admin_socket, "member", "password",
         "--tenant", tenant, "--member", handle],
        input=password + "\n", capture_output=True, text=True, timeout=CTL_TIMEOUT)
    assert result.returncode == 0, f"whootctl member password: {result.stderr.strip()}"
    assert password not in result.stdout + result.stderr


def member_with_password(daemon, tenant: str, handle: str, role: str, secrets: list,
                         channel: str = None) -> Api:
    daemon.ctl("member", "invite", "--tenant", tenant, "--handle", handle, "--role", role,
               "--email", f"{handle}@{tenant}.example")
    if channel:
        daemon.assign(tenant, channel, handle)
    password = f"pw-{handle}-{os.urandom(6).hex()}"
    set_password(daemon, tenant, handle, password, secrets)
    return Api(daemon, secrets).login(tenant, handle, password)


def assert_no_secret_left(daemon, secrets: list) -> None:
    """Every password and token used in the test is absent from every file under the
    state directory (database, WAL, keys) and from the daemon's captured output."""
    assert secrets, "the test used no secrets?"
    blobs = {"whootd log": daemon.output().encode()}
    for root, _, files in os.walk(daemon.state_dir):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                blobs[path] = handle.read()
    assert any(path.endswith("whoot.db") for path in blobs)
    for where, blob in blobs.items():
        for secret in secrets:
            assert secret.encode() not in blob, f"a secret ({secret[:4]}...) is in {where}"


def revocation_stops_media(daemon, revoke) -> None:
    """alice and bob talk in demo/lobby; `revoke(owner_api, ids)` takes bob's admission
    away through the API; within a second neither hears the other any more."""
    secrets = []
    owner = member_with_password(daemon, "demo", "olive", "owner", secrets)
    alice_api = Api(daemon, secrets)
    bob_api = Api(daemon, secrets)
    set_password(daemon, "demo", "alice", f"pw-alice-{os.urandom(6).hex()}", secrets)
    alice_api.login("demo", "alice", secrets[-1])
    set_password(daemon, "demo", "bob", f"pw-bob-{os.urandom(6).hex()}", secrets)
    bob_api.login("demo", "bob", secrets[-1])
    channels, members = owner.ids()
    lobby = channels["lobby"]

    async def scenario():
        alice = Peer(daemon.base_url, alice_api.join_token(lobby), tone_hz=440)
        bob = Peer(daemon.base_url, bob_api.join_token(lobby), tone_hz=660)
        try:
            await alice.connect()
            await bob.connect()
            await alice.wait_frames(50, timeout=15)
            await bob.wait_frames(50, timeout=15)
            flowing = (alice.rtp_packets, bob.rtp_packets)
            await asyncio.sleep(0.5)
            assert alice.rtp_packets > flowing[0] and bob.rtp_packets > flowing[1]

            status, body = await asyncio.to_thread(revoke, owner, lobby, members["bob"])
            answered = time.monotonic()
            assert status == 200 and body.get("changed") is True, f"{status} {body}"
            await asyncio.sleep(REVOCATION_DEADLINE)
            at_deadline = (alice.rtp_packets, bob.rtp_packets)
            await asyncio.sleep(QUIET_WINDOW)
            later = (alice.rtp_packets, bob.rtp_packets)
            assert later == at_deadline, (
                f"RTP still flowing {REVOCATION_DEADLINE + QUIET_WINDOW:.1f}s after "
                f"revocation (alice, bob): {at_deadline} -> {later}")
            assert time.monotonic() - answered < REVOCATION_DEADLINE + QUIET_WINDOW + 1
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(scenario())
    assert_no_secret_left(daemon, secrets)


def test_removing_a_member_stops_their_audio_within_a_second(daemon):
    revocation_stops_media(
        daemon, lambda owner, lobby, bob: owner.call("DELETE", f"/v1/members/{bob}"))


def test_unassigning_a_member_stops_their_audio_within_a_second(daemon):
    revocation_stops_media(
        daemon,
        lambda owner, lobby, bob: owner.call("DELETE", f"/v1/channels/{lobby}/members/{bob}"))


def test_a_role_without_join_stops_their_audio_within_a_second(daemon):
    revocation_stops_media(
        daemon,
        lambda owner, lobby, bob: owner.call("PUT", f"/v1/members/{bob}/role",
                                             {"role": "auditor"}))


def snapshot(api: Api):
    return api.call("GET", "/v1/channels"), api.call("GET", "/v1/members")


def test_another_tenants_ids_answer_404_over_https_and_change_nothing(daemon):
    secrets = []
    daemon.create_tenant("acme", "Acme")
    daemon.create_channel("acme", "ops")
    ours = member_with_password(daemon, "demo", "olive", "owner", secrets)
    theirs = member_with_password(daemon, "acme", "ada", "owner", secrets, channel="ops")
    our_channels, our_members = ours.ids()
    their_channels, their_members = theirs.ids()
    tc, tm = their_channels["ops"], their_members["ada"]
    oc, om = our_channels["lobby"], our_members["bob"]
    calls = [
        ("PATCH", f"/v1/channels/{tc}", {"name": "stolen"}),
        ("DELETE", f"/v1/channels/{tc}", None),
        ("PUT", f"/v1/channels/{tc}/members/{om}", None),
        ("PUT", f"/v1/channels/{oc}/members/{tm}", None),
        ("DELETE", f"/v1/channels/{tc}/members/{tm}", None),
        ("DELETE", f"/v1/channels/{oc}/members/{tm}", None),
        ("POST", f"/v1/channels/{tc}/join-token", None),
        ("DELETE", f"/v1/members/{tm}", None),
        ("PUT", f"/v1/members/{tm}/role", {"role": "auditor"}),
    ]
    before = snapshot(theirs)
    for method, path, body in calls:
        status, answer = ours.call(method, path, body)
        assert status == 404, f"{method} {path}: {status} {answer}"
    assert snapshot(theirs) == before
    assert_no_secret_left(daemon, secrets)


def test_bad_bodies_over_https_answer_4xx_and_change_nothing(daemon):
    secrets = []
    owner = member_with_password(daemon, "demo", "olive", "owner", secrets)
    lobby = owner.ids()[0]["lobby"]
    cases = [
        ("POST", "/v1/channels", b'{"name":', 400),
        ("POST", "/v1/channels", b'{"name": 5}', 400),
        ("POST", "/v1/channels", b'{"name": "ok", "tenant_id": 1}', 400),
        ("POST", "/v1/channels", b'{"name": "caf\xc3\x28"}', 400),
        ("POST", "/v1/channels", b'{"name": "x\'); DROP TABLE channels;--"}', 400),
        ("PATCH", f"/v1/channels/{lobby}", b'{"name": "lobby\\" OR 1=1"}', 400),
        ("POST", "/v1/channels", b'{"name": "' + b"a" * 20_000 + b'"}', 413),
        ("POST", "/v1/channels", b'{"name": "' + b"a" * 200_000 + b'"}', 413),
        ("POST", "/v1/members", b'{"handle": "\xff\xfe"}', 400),
    ]
    before = snapshot(owner)
    for method, path, raw, want in cases:
        status, answer = owner.call(method, path, raw=raw)
        assert status == want, f"{raw[:40]!r}: {status} {answer}"
        assert isinstance(answer, dict) and answer.get("error"), f"{raw[:40]!r}: no error"
    assert snapshot(owner) == before
    assert_no_secret_left(daemon, secrets)

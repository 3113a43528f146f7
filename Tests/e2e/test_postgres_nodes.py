"""Two whootd nodes on one PostgreSQL database (loopback): joins through either node reach
the channel's node (307 to the lease holder), revocations reach the serving node, and
killing the serving node (kill -9) moves the channel once its lease expires."""

import asyncio
import os
import shutil
import signal
import tempfile
import time
import urllib.parse

import pytest
from aiortc import RTCSessionDescription

from conftest import Daemon
from peer import Peer, http_request
from test_postgres import cluster, psql, uri  # noqa: F401 (the fixture)

LEASE_SECONDS = 3


class RedirectedPeer(Peer):
    """A peer that follows WHIP 307 redirects to the channel's node, retrying while the
    node it is sent to does not answer (it was killed and its lease has not expired)."""

    async def join(self, deadline: float = 30.0) -> int:
        self._add_transceivers()
        await asyncio.wait_for(self.pc.setLocalDescription(await self.pc.createOffer()), 15)
        self.offer_sdp = self.pc.localDescription.sdp
        entry = self.base_url
        self.redirects = 0
        give_up = time.monotonic() + deadline
        while True:
            try:
                status, headers, body = await http_request(
                    self.base_url, "POST", "/whip", self.offer_sdp.encode(),
                    {"Content-Type": "application/sdp",
                     "Authorization": f"Bearer {self.token}"}, timeout=5)
            except (OSError, asyncio.TimeoutError):
                if time.monotonic() > give_up:
                    raise
                self.base_url = entry
                await asyncio.sleep(0.3)
                continue
            if status == 307:
                target = urllib.parse.urlsplit(headers["location"])
                self.base_url = f"{target.scheme}://{target.netloc}"
                self.redirects += 1
                continue
            break
        self.post_status, self.post_body = status, body
        if status != 201:
            return status
        self.location = urllib.parse.urljoin(self.base_url + "/", headers["location"])
        self.answer_sdp = body.decode()
        await asyncio.wait_for(self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=self.answer_sdp, type="answer")), 15)
        self._hook_transports()
        return status


def node(cluster, database, tmp_path, name, keys_from=None, demo=True) -> Daemon:
    workdir = tempfile.mkdtemp(prefix=f"whoot-{name}-", dir="/tmp")
    config = os.path.join(workdir, "whootd.conf")
    extra = ["--config", config] + ([] if demo else ["--no-demo"])
    daemon = Daemon(workdir, str(tmp_path / f"{name}.log"), extra_args=extra)
    with open(config, "w") as out:
        out.write(f'store = "{uri(cluster, "whoot_app", database)}"\n'
                  f'store_owner = "{uri(cluster, "whoot_owner", database)}"\n'
                  f"node_url = https://127.0.0.1:{daemon.https_port}\n"
                  f"lease_seconds = {LEASE_SECONDS}\n")
    if keys_from:
        # Nodes of one workspace share their keys (TLS, DTLS, audit signing, MFA).
        shutil.copytree(os.path.join(keys_from.state_dir, "keys"),
                        os.path.join(daemon.state_dir, "keys"))
        os.chmod(daemon.state_dir, 0o700)
    daemon.workdir = workdir
    return daemon.start()


@pytest.fixture
def two_nodes(cluster, tmp_path):
    database = "whoot_nodes_" + os.urandom(4).hex()
    psql(cluster, "whoot_owner", "postgres", f"CREATE DATABASE {database}")
    first = node(cluster, database, tmp_path, "a")
    second = node(cluster, database, tmp_path, "b", keys_from=first, demo=False)
    try:
        yield first, second
    finally:
        for daemon in (first, second):
            if daemon.proc.poll() is None:
                daemon.stop()
            shutil.rmtree(daemon.workdir, ignore_errors=True)


async def hear_each_other(first: Peer, second: Peer, frames: int = 50) -> None:
    await first.connect()
    await second.connect()
    await first.wait_frames(frames, timeout=15)
    await second.wait_frames(frames, timeout=15)


def test_joins_through_either_node_reach_the_channels_node(two_nodes):
    a, b = two_nodes

    async def call():
        alice = RedirectedPeer(a.base_url, a.token("demo", "lobby", "alice"), tone_hz=440)
        bob = RedirectedPeer(b.base_url, b.token("demo", "lobby", "bob"), tone_hz=660)
        try:
            await hear_each_other(alice, bob)
            assert alice.redirects == 0 and bob.redirects == 1
            assert bob.base_url == a.base_url
            # A revocation made on node B reaches node A, which serves bob.
            b.ctl("member", "remove", "--tenant", "demo", "--member", "bob")
            await asyncio.sleep(1.0)
            frames = bob.frames_received
            await asyncio.sleep(1.0)
            assert bob.frames_received - frames < 5, "bob still hears 1 s after removal"
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(call())


def test_killing_the_serving_node_moves_the_channel(two_nodes):
    a, b = two_nodes

    async def call():
        alice = RedirectedPeer(a.base_url, a.token("demo", "lobby", "alice"), tone_hz=440)
        bob = RedirectedPeer(a.base_url, a.token("demo", "lobby", "bob"), tone_hz=660)
        await hear_each_other(alice, bob)
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(timeout=10)
        killed = time.monotonic()
        await alice.close()
        await bob.close()

        # The clients rejoin through the surviving node with new tokens.
        alice = RedirectedPeer(b.base_url, b.token("demo", "lobby", "alice"), tone_hz=440)
        bob = RedirectedPeer(b.base_url, b.token("demo", "lobby", "bob"), tone_hz=660)
        try:
            await hear_each_other(alice, bob)
            moved = time.monotonic() - killed
            print(f"failover: peers hear each other again {moved:.2f} s after kill -9 "
                  f"(lease {LEASE_SECONDS} s)")
            assert alice.base_url == b.base_url and bob.base_url == b.base_url
            assert moved < LEASE_SECONDS + 15
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(call())
    verify = b.ctl("audit", "verify", "--tenant", "demo")
    assert "ok" in verify.stdout.lower(), verify.stdout

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

from browser import open_call_page, wait_for_state
from conftest import Daemon
from peer import Peer, http_request
from test_postgres import cluster, psql, uri  # noqa: F401 (the fixture)

LEASE_SECONDS = 3
REJOIN_GRACE_SECONDS = 30


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
        self.rejoin_token = headers.get("whoot-rejoin-token")
        self.answer_sdp = body.decode()
        await asyncio.wait_for(self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=self.answer_sdp, type="answer")), 15)
        self._hook_transports()
        return status


def node(cluster, database, tmp_path, name, demo=True) -> Daemon:
    """A node not yet started: `configure` and `start` it."""
    workdir = tempfile.mkdtemp(prefix=f"whoot-{name}-", dir="/tmp")
    config = os.path.join(workdir, "whootd.conf")
    extra = ["--config", config] + ([] if demo else ["--no-demo"])
    daemon = Daemon(workdir, str(tmp_path / f"{name}.log"), extra_args=extra)
    daemon.workdir = workdir
    daemon.config = config
    daemon.store = (f'store = "{uri(cluster, "whoot_app", database)}"\n'
                    f'store_owner = "{uri(cluster, "whoot_owner", database)}"\n')
    return daemon


def start_nodes(first: Daemon, second: Daemon) -> None:
    """Each node's config names both nodes' origins (CORS for the page); the second copies
    the first's keys, as the nodes of one workspace share them (TLS, DTLS, audit, MFA)."""
    origins = f"{first.base_url}, {second.base_url}"
    for daemon in (first, second):
        with open(daemon.config, "w") as out:
            out.write(daemon.store + f"node_url = {daemon.base_url}\n"
                      f"lease_seconds = {LEASE_SECONDS}\n"
                      f"allowed_origins = {origins}\n"
                      f"rejoin_grace_seconds = {REJOIN_GRACE_SECONDS}\n")
    first.start()
    shutil.copytree(os.path.join(first.state_dir, "keys"),
                    os.path.join(second.state_dir, "keys"))
    os.chmod(second.state_dir, 0o700)
    second.start()


@pytest.fixture
def two_nodes(cluster, tmp_path):
    database = "whoot_nodes_" + os.urandom(4).hex()
    psql(cluster, "whoot_owner", "postgres", f"CREATE DATABASE {database}")
    first = node(cluster, database, tmp_path, "a")
    second = node(cluster, database, tmp_path, "b", demo=False)
    first.database = second.database = database
    try:
        start_nodes(first, second)
        yield first, second
    finally:
        for daemon in (first, second):
            if daemon.proc is not None and daemon.proc.poll() is None:
                daemon.stop()
            shutil.rmtree(daemon.workdir, ignore_errors=True)


def caller(node: Daemon, handle: str, tone_hz: float = None) -> "RedirectedPeer":
    """`handle` of demo joining lobby through `node` with a fresh join token."""
    return RedirectedPeer(node.base_url, node.token("demo", "lobby", handle), tone_hz=tone_hz)


async def hear_each_other(first: Peer, second: Peer, frames: int = 50) -> None:
    await first.connect()
    await second.connect()
    await first.wait_frames(frames, timeout=15)
    await second.wait_frames(frames, timeout=15)


def test_joins_through_either_node_reach_the_channels_node(two_nodes):
    a, b = two_nodes

    async def call():
        alice = caller(a, "alice", 440)
        bob = caller(b, "bob", 660)
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
        alice = caller(a, "alice", 440)
        bob = caller(a, "bob", 660)
        await hear_each_other(alice, bob)
        assert alice.rejoin_token and bob.rejoin_token
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(timeout=10)
        killed = time.monotonic()
        await alice.close()
        await bob.close()

        # The clients come back by themselves with the rejoin tokens node A handed out,
        # through the surviving node, with no new token from anyone.
        alice = RedirectedPeer(b.base_url, alice.rejoin_token, tone_hz=440)
        bob = RedirectedPeer(b.base_url, bob.rejoin_token, tone_hz=660)
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


def listening_backends(cluster, database) -> int:
    return int(psql(cluster, "postgres", database,
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query LIKE 'LISTEN%'")[0])


def test_a_revocation_sent_while_a_nodes_listener_is_down_still_ends_the_call(
        two_nodes, cluster):
    a, b = two_nodes

    async def call():
        alice = caller(a, "alice", 440)
        bob = caller(a, "bob", 660)
        try:
            await hear_each_other(alice, bob)
            # Cut both nodes' LISTEN connections, then revoke on B while A cannot hear it:
            # the NOTIFY is lost to A, which must find out by re-checking its sessions.
            assert listening_backends(cluster, a.database) == 2
            psql(cluster, "postgres", a.database,
                 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE datname = current_database() AND query LIKE 'LISTEN%'")
            deadline = time.monotonic() + 5
            while listening_backends(cluster, a.database) != 0:
                assert time.monotonic() < deadline, "the LISTEN backends did not go away"
                await asyncio.sleep(0.02)
            b.ctl("member", "remove", "--tenant", "demo", "--member", "bob")
            removed = time.monotonic()
            while True:
                frames = bob.frames_received
                await asyncio.sleep(0.5)
                if bob.frames_received - frames < 3:
                    break
                assert time.monotonic() - removed < 10, "bob still hears 10 s after removal"
            print(f"missed revocation applied {time.monotonic() - removed:.2f} s after it")
            assert "re-checked" in a.output()
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(call())


def test_the_page_follows_the_channel_to_its_node_and_rejoins_after_a_failover(
        two_nodes, tmp_path):
    """The built-in page, served by node A, joins a channel that lives on node B (A answers
    307, the page asks A's /whip/route and posts to B across origins); when B is killed,
    the page comes back by itself with its rejoin token through A."""
    a, b = two_nodes

    async def call():
        bob = caller(b, "bob")
        driver = None
        try:
            await bob.connect()  # the channel's lease is now B's
            link = f"{a.base_url}/#token={a.token('demo', 'lobby', 'alice')}&autojoin=1"
            driver = await open_call_page(tmp_path, link, 523)
            await bob.wait_frames(100, timeout=15)
            await asyncio.sleep(1.0)
            assert abs(bob.dominant_frequency() - 523) < 10
            # Sessions on different nodes never share audio: the page's is on B too.
            assert bob.redirects == 0 and bob.base_url == b.base_url

            b.proc.send_signal(signal.SIGKILL)
            b.proc.wait(timeout=10)
            killed = time.monotonic()
            await bob.close()
            bob = RedirectedPeer(a.base_url, bob.rejoin_token)
            await bob.connect(timeout=30)
            # The page may already be back by now: wait for a rejoin, then for connected.
            deadline = time.monotonic() + 45
            rejoins = 0
            while rejoins < 1:
                assert time.monotonic() < deadline, "the page did not rejoin in 45 s"
                await asyncio.sleep(0.2)
                rejoins = await asyncio.to_thread(driver.execute_script,
                                                  "return window.whootRejoins;")
            await asyncio.to_thread(wait_for_state, driver, "connected", 45)
            start = time.monotonic()
            await bob.wait_frames(100, timeout=20)
            await asyncio.sleep(1.0)
            assert abs(bob.dominant_frequency(since=start) - 523) < 10
            print(f"page failover: Chromium heard again {time.monotonic() - killed:.2f} s "
                  f"after kill -9 (lease {LEASE_SECONDS} s), after {rejoins} rejoin(s)")
        finally:
            if driver is not None:
                await asyncio.to_thread(driver.quit)
            await bob.close()

    asyncio.run(call())

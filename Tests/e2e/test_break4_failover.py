"""Break round 4: a node leaving the cluster (SIGTERM, kill -9 and restart) while it holds
a channel's lease. Reuses the two-node fixtures of test_postgres_nodes."""

import asyncio
import signal
import time
import urllib.parse

from peer import Peer, http_request
from test_postgres import cluster, psql  # noqa: F401 (the fixture)
from test_postgres_nodes import (  # noqa: F401 (the fixture)
    caller, two_nodes)


async def one_post(base_url: str, token: str) -> tuple[int, dict, Peer]:
    """One WHIP POST with a real offer and no redirect followed: (status, headers, peer)."""
    peer = Peer(base_url, token)
    peer._add_transceivers()
    await asyncio.wait_for(peer.pc.setLocalDescription(await peer.pc.createOffer()), 15)
    status, headers, _ = await http_request(
        base_url, "POST", "/whip", peer.pc.localDescription.sdp.encode(),
        {"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"}, timeout=5)
    return status, headers, peer


def test_sigterm_on_the_lease_holder_lets_the_other_node_take_the_channel_at_once(two_nodes):
    """SIGTERM should give the node's leases back at once (docs/postgres.md): a join through
    the other node while the stopping node still drains a live call must be served there,
    not sent to the stopping node (which refuses joins while it drains)."""
    a, b = two_nodes

    async def call():
        alice = caller(a, "alice", 440)
        await alice.connect()  # A holds lobby's lease; alice stays, so A drains
        a.proc.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        await asyncio.sleep(0.3)
        outcomes = []
        admitted = None
        try:
            while time.monotonic() - stopped < 14:
                token = b.token("demo", "lobby", "bob")
                status, headers, peer = await one_post(b.base_url, token)
                if status == 307:
                    target = headers["location"]
                    try:
                        status2, _, _ = await http_request(
                            target.rsplit("/whip", 1)[0], "POST", "/whip",
                            peer.pc.localDescription.sdp.encode(),
                            {"Content-Type": "application/sdp",
                             "Authorization": f"Bearer {token}"}, timeout=5)
                    except OSError:
                        status2 = "refused"
                    outcomes.append((round(time.monotonic() - stopped, 1), 307, status2))
                else:
                    outcomes.append((round(time.monotonic() - stopped, 1), status))
                await peer.close()
                if status == 201:
                    admitted = time.monotonic() - stopped
                    break
                await asyncio.sleep(0.5)
        finally:
            await alice.close()
        print(f"joins through B after SIGTERM on A: {outcomes}")
        assert admitted is not None and admitted < 2.0, (
            f"no join served by B within 2 s of SIGTERM on the lease holder: {outcomes}")

    asyncio.run(call())


def test_a_node_restarted_after_kill_9_does_not_redirect_joins_to_itself(two_nodes):
    """kill -9 the lease holder and start it again with the same state dir and address (a
    supervisor's restart). Its new process has a new node id, so the old lease (its own
    URL) looks like another node's: a join must not be answered 307 to the node itself."""
    a, b = two_nodes

    async def call():
        alice = caller(a, "alice", 440)
        await alice.connect()
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(timeout=10)
        await alice.close()
        a._log.close()
        a.start()
        restarted = time.monotonic()
        status, headers, peer = await one_post(a.base_url, a.token("demo", "lobby", "bob"))
        await peer.close()
        location = headers.get("location", "")
        print(f"first join on the restarted node {time.monotonic() - restarted:.2f} s after "
              f"ready: {status} {location}")
        assert not (status == 307 and urllib.parse.urlsplit(location).netloc
                    == urllib.parse.urlsplit(a.base_url).netloc), (
            f"the restarted node redirects joins to itself: 307 Location: {location}")

    asyncio.run(call())

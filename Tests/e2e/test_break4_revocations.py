"""Break round 4: revocations, rejoin tokens and the audit chain across two nodes.
Reuses the two-node fixtures of test_postgres_nodes."""

import asyncio
import signal
import threading
import time

from test_postgres import cluster, psql  # noqa: F401 (the fixture)
from test_postgres_nodes import (  # noqa: F401 (the fixture)
    caller, RedirectedPeer, hear_each_other, two_nodes)


async def stops_hearing(peer, within: float) -> float:
    """Seconds until `peer` receives fewer than 3 frames in 0.5 s; fails after `within`."""
    start = time.monotonic()
    while True:
        frames = peer.frames_received
        await asyncio.sleep(0.5)
        if peer.frames_received - frames < 3:
            return time.monotonic() - start
        assert time.monotonic() - start < within, f"still hears {within} s after revocation"


def cut_listeners(cluster, database) -> None:
    psql(cluster, "postgres", database,
         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
         "WHERE datname = current_database() AND query LIKE 'LISTEN%'")


def test_role_change_to_auditor_on_the_other_node_ends_the_members_media(two_nodes):
    a, b = two_nodes

    async def call():
        alice = caller(a, "alice", 440)
        bob = caller(b, "bob", 660)
        try:
            await hear_each_other(alice, bob)
            assert bob.base_url == a.base_url
            b.ctl("role", "set", "--tenant", "demo", "--member", "bob", "--role", "auditor")
            took = await stops_hearing(bob, 3)
            print(f"role change on B ended bob's media on A within {took:.2f} s")
            assert took < 1.5
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(call())


def test_unassign_on_one_node_while_the_listeners_are_cut_still_ends_the_call(
        two_nodes, cluster):
    a, b = two_nodes

    async def call():
        alice = caller(a, "alice", 440)
        bob = caller(a, "bob", 660)
        try:
            await hear_each_other(alice, bob)
            cut_listeners(cluster, a.database)
            b.ctl("unassign", "--tenant", "demo", "--channel", "lobby", "--member", "bob")
            took = await stops_hearing(bob, 10)
            print(f"unassign with LISTEN cut applied within {took:.2f} s")
            # alice, still assigned, keeps her call.
            frames = alice.frames_received
            await asyncio.sleep(1.0)
            assert alice.pc.connectionState == "connected"
            assert frames > 0
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(call())


def test_a_rejoin_token_from_a_is_refused_on_b_after_delete_or_removal(two_nodes):
    a, b = two_nodes

    async def call():
        alice = caller(a, "alice", 440)
        bob = caller(a, "bob", 660)
        await hear_each_other(alice, bob)
        alice_rejoin, bob_rejoin = alice.rejoin_token, bob.rejoin_token
        assert alice_rejoin and bob_rejoin
        await alice.close()  # WHIP DELETE on A: spends alice's rejoin token at once
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(timeout=10)
        await bob.close()
        b.ctl("member", "remove", "--tenant", "demo", "--member", "bob")

        again = RedirectedPeer(b.base_url, alice_rejoin, tone_hz=440)
        status = await again.join(deadline=15)
        await again.close()
        assert status == 401, f"a DELETEd session's rejoin token joined again: {status}"
        removed = RedirectedPeer(b.base_url, bob_rejoin, tone_hz=660)
        status = await removed.join(deadline=15)
        await removed.close()
        assert status in (401, 403), f"a removed member rejoined: {status}"

    asyncio.run(call())


def test_the_audit_chain_verifies_after_both_nodes_write_at_once(two_nodes):
    a, b = two_nodes
    failures = []

    def writer(daemon, prefix):
        for i in range(12):
            result = daemon.ctl("channel", "create", "--tenant", "demo",
                                "--name", f"{prefix}{i}", check=False)
            if result.returncode != 0:
                failures.append(result.stderr.strip())

    threads = [threading.Thread(target=writer, args=(d, p))
               for d, p in ((a, "a"), (b, "b"), (a, "c"), (b, "d"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    for daemon in (a, b):
        verify = daemon.ctl("audit", "verify", "--tenant", "demo")
        assert "ok" in verify.stdout.lower(), verify.stdout
    listed = a.ctl("channel", "list", "--tenant", "demo").stdout
    assert all(f"{p}11" in listed for p in "abcd")

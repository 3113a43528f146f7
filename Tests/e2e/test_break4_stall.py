"""Break round 4: split brain. The lease holder stalls (SIGSTOP) past its lease, the other
node takes the channel, then the stalled node resumes (SIGCONT) with its old sessions."""

import asyncio
import signal
import time

from test_postgres import cluster, psql  # noqa: F401 (the fixture)
from test_postgres_nodes import (  # noqa: F401 (the fixture)
    caller, LEASE_SECONDS, hear_each_other, two_nodes)


def test_a_stalled_node_that_lost_its_lease_stops_serving_the_channel_soon_after(two_nodes):
    a, b = two_nodes

    async def call():
        alice = caller(a, "alice", 440)
        carol = caller(a, "bob", 660)
        dave = None
        try:
            await hear_each_other(alice, carol)
            a.proc.send_signal(signal.SIGSTOP)
            stalled = time.monotonic()
            # A join through B racing the expiry: redirected to the stalled A until the
            # lease runs out, then served by B.
            dave = caller(b, "alice", 880)
            await dave.connect(timeout=LEASE_SECONDS + 20)
            took_over = time.monotonic() - stalled
            assert dave.base_url == b.base_url
            a.proc.send_signal(signal.SIGCONT)
            resumed = time.monotonic()
            # Split brain: A's old sessions must stop within a renewal turn or so.
            frames = alice.frames_received
            while True:
                await asyncio.sleep(0.25)
                if time.monotonic() - resumed > 1.0:
                    window = alice.frames_received - frames
                    frames = alice.frames_received
                    if window < 3:
                        break
                assert time.monotonic() - resumed < 6, \
                    "the stalled node still serves its old sessions 6 s after resuming"
            print(f"B served the channel {took_over:.2f} s after A stalled; A stopped its "
                  f"old sessions within {time.monotonic() - resumed:.2f} s of resuming")
            assert "lease lost" in a.output()
        finally:
            if a.proc.poll() is None:
                a.proc.send_signal(signal.SIGCONT)
            for peer in (alice, carol, dave):
                if peer is not None:
                    await peer.close()

    asyncio.run(call())

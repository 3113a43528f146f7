"""Break round 4: the built-in page served by node A in a call that lives on node B
leaves it (WHIP DELETE across origins) and its session on B ends at once."""

import asyncio
import re
import time

from browser import open_call_page
from peer import http_request
from test_postgres import cluster, psql  # noqa: F401 (the fixture)
from test_postgres_nodes import (  # noqa: F401 (the fixture)
    caller, two_nodes)


async def live_sessions(daemon) -> int:
    status, _, body = await http_request(daemon.base_url, "GET", "/metrics", timeout=5)
    assert status == 200
    return int(re.search(rb"^whoot_sessions (\d+)", body, re.M).group(1))


def test_leaving_on_the_page_of_node_a_ends_the_session_on_node_b(two_nodes, tmp_path):
    a, b = two_nodes

    async def call():
        bob = caller(b, "bob")
        driver = None
        try:
            await bob.connect()  # the lease is B's
            link = f"{a.base_url}/#token={a.token('demo', 'lobby', 'alice')}&autojoin=1"
            driver = await open_call_page(tmp_path, link, 523)
            await bob.wait_frames(50, timeout=15)
            assert await live_sessions(b) == 2 and await live_sessions(a) == 0
            await asyncio.to_thread(driver.execute_script,
                                    "document.getElementById('leave').click();")
            left = time.monotonic()
            while await live_sessions(b) != 1:
                assert time.monotonic() - left < 3, "the page's session on B outlived Leave"
                await asyncio.sleep(0.1)
            print(f"page Leave ended its session on B in {time.monotonic() - left:.2f} s")
            error = await asyncio.to_thread(
                driver.execute_script, "return document.getElementById('error')"
                " ? document.getElementById('error').textContent : '';")
            assert not error, error
        finally:
            if driver is not None:
                await asyncio.to_thread(driver.quit)
            await bob.close()

    asyncio.run(call())

"""Break-it round 16: round 15 marks a recording row ended (incomplete) once the database
takes the write after its file was dropped on a write error. Here the disk stays full
through the whole drop and the end of the call, then frees with no audio at all: the
queued row end must still go through while whootd runs (the channel's writer turns on
with nothing new to write; frames queued meanwhile make a file closed when idle, 15 s),
and a restart must find nothing half-open and no partial file.
A 20 MB tmpfs of the test's own in its own mount namespace (test_break13_diskfull)."""

import asyncio
import os
import time

from peer import Peer
from test_break13_diskfull import fill, namespace, start  # noqa: F401 (fixture)
from test_recording import recordings


def test_a_row_dropped_while_full_is_ended_after_the_call_once_the_disk_frees(
        namespace, tmp_path):  # noqa: F811
    workdir, wrapper, root = namespace
    daemon = start(workdir, wrapper, str(tmp_path / "whootd.log"))
    filler = os.path.join(root + daemon.state_dir, "filler.bin")
    seen = {}
    try:
        daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
                   "--enabled", "on")

        async def call():
            a = Peer(daemon.base_url, daemon.token("demo", "lobby", "alice"), tone_hz=440)
            b = Peer(daemon.base_url, daemon.token("demo", "lobby", "bob"), tone_hz=660)
            try:
                await a.connect()
                await b.connect()
                await a.wait_frames(50, timeout=20)
                await asyncio.sleep(1.0)
                seen["open_before"] = await asyncio.to_thread(recordings, daemon)
                await asyncio.to_thread(fill, filler)
                await asyncio.sleep(3.0)  # the write fails, the file is dropped
            finally:
                await a.close()
                await b.close()

        asyncio.run(call())
        time.sleep(2.0)  # the call is over while the disk is still full
        seen["errors"] = daemon.output().count("recording write failed")
        os.unlink(filler)
        # No audio now: the queued row end, and frames queued in the tap while full (a
        # new file, closed when the channel has been silent for 15 s) are left to write.
        deadline = time.monotonic() + 25
        while True:
            seen["after_free"] = recordings(daemon)
            if all(r["ended_at_ms"] for r in seen["after_free"]) \
                    or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        assert daemon.alive()
    finally:
        daemon.stop()
        if os.path.exists(filler):
            os.unlink(filler)
    print(seen)
    assert seen["open_before"], "nothing was being recorded before the disk filled"
    assert seen["errors"] > 0, "the full disk caused no write error"
    still_open = [r for r in seen["after_free"] if r["ended_at_ms"] is None]
    assert not still_open, f"rows still open 25 s after the disk freed: {still_open}"

    again = start(workdir, wrapper, str(tmp_path / "again.log"))
    try:
        listed = recordings(again)
        leftovers = [f for _, _, files in os.walk(root + again.state_dir)
                     for f in files if ".part" in f or f.endswith(".tmp")]
    finally:
        again.stop()
    assert not [r for r in listed if r["ended_at_ms"] is None], listed
    assert not leftovers, leftovers

"""Retention end to end: a running whootd whose wall clock jumps past a recording's
retention deletes that recording (row, file, key) on its periodic job, audits the
deletion, and leaves recordings still within their retention alone.

The clock is moved with libfaketime (Debian `faketime`, installed by scripts/setup.sh),
preloaded into whootd only: it reads its offset from a file the test rewrites, so the
jump happens while the daemon runs. Monotonic clocks are left alone, so timers and the
retention interval keep real time; the relay's stale-packet check compares the kernel's
arrival stamp (real time) with whootd's wall clock (moved), so a call live across the jump
loses its audio here, which a real clock step does not do: no call is live at the jump.
(Under libfaketime Swift's CommandLine.arguments comes back empty; whootd reads
/proc/self/cmdline, which this test also relies on.)"""

import asyncio
import csv
import io
import json
import os
import tempfile
import time

import pytest

from conftest import Daemon
from peer import connected_pair

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def recordings(daemon, tenant="demo"):
    out = daemon.ctl("--json", "recording", "list", "--tenant", tenant).stdout
    return json.loads(out)["recordings"]


def record_one_call(daemon, channel: str, retention: str) -> dict:
    """Records a short call in `channel` with `retention` days and returns its listing."""
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", channel,
               "--enabled", "on", "--retention", retention)
    before = {record["id"] for record in recordings(daemon)}

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", channel, "alice"),
                                  daemon.token("demo", channel, "bob"), frames=50):
            pass

    asyncio.run(call())
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", channel,
               "--enabled", "off")
    deadline = time.monotonic() + 15
    while True:
        new = [record for record in recordings(daemon)
               if record["id"] not in before and record["complete"]]
        if new:
            return new[0]
        assert time.monotonic() < deadline, f"the recording in {channel} was not closed"
        time.sleep(0.2)


def recording_files(daemon) -> set:
    root = os.path.join(daemon.state_dir, "recordings")
    return {os.path.relpath(os.path.join(directory, name), daemon.state_dir)
            for directory, _, names in os.walk(root) for name in names}


@pytest.mark.skipif(not os.path.exists(LIBFAKETIME), reason="libfaketime is not installed")
def test_expired_recording_is_deleted_by_the_running_job_and_audited(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    offset_file = os.path.join(workdir, "clock-offset")
    with open(offset_file, "w") as out:
        out.write("+0\n")
    daemon = Daemon(workdir, str(tmp_path / "whootd.log"), extra_env={
        "LD_PRELOAD": LIBFAKETIME,
        "FAKETIME_TIMESTAMP_FILE": offset_file,
        "FAKETIME_CACHE_DURATION": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "WHOOT_RETENTION_INTERVAL_S": "1",
    })
    daemon.start()
    try:
        daemon.create_channel("demo", "board")
        for handle in ("alice", "bob"):
            daemon.assign("demo", "board", handle)
        short = record_one_call(daemon, "lobby", "1")
        kept = record_one_call(daemon, "board", "30")
        files = recording_files(daemon)
        assert len(files) == 2, files

        # Nothing has expired yet: a few runs of the job later, both are still there.
        time.sleep(2.5)
        assert {r["id"] for r in recordings(daemon)} == {short["id"], kept["id"]}

        # Two days on, the one-day recording goes; the thirty-day one stays.
        with open(offset_file, "w") as out:
            out.write("+2d\n")
        deadline = time.monotonic() + 15
        while short["id"] in {r["id"] for r in recordings(daemon)}:
            assert time.monotonic() < deadline, "the expired recording was never deleted"
            time.sleep(0.3)
        assert [r["id"] for r in recordings(daemon)] == [kept["id"]]
        remaining = recording_files(daemon)
        assert len(remaining) == 1 and remaining < files, (files, remaining)

        gone = daemon.ctl("recording", "export", "--tenant", "demo", "--recording",
                          str(short["id"]), "--out", str(tmp_path / "gone.wav"), check=False)
        assert gone.returncode != 0 and "not found" in gone.stderr, gone.stderr
        assert not (tmp_path / "gone.wav").exists()
        daemon.ctl("recording", "export", "--tenant", "demo", "--recording",
                   str(kept["id"]), "--out", str(tmp_path / "kept.wav"))
        assert (tmp_path / "kept.wav").stat().st_size > 44

        rows = list(csv.DictReader(io.StringIO(
            daemon.ctl("audit", "export", "--tenant", "demo").stdout)))
        deletions = [row for row in rows if row["action"] == "recording.delete"]
        assert len(deletions) == 1, [(row["action"], row["target"]) for row in rows]
        assert deletions[0]["target"] == f"recording:{short['id']}"
        assert json.loads(deletions[0]["metadata"])["reason"] == "retention"
        assert "retention deleted recordings" in daemon.output()
        assert daemon.ctl("audit", "verify", "--tenant", "demo").returncode == 0
        assert daemon.alive()
    finally:
        daemon.stop()

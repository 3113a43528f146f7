"""Break-it round 18, claim 2: recordings past retention are gone (row, file, transcript,
key) and each deletion is audited once; a recording kept with "keep" never goes, also when
"keep" was set after it was made; one whose retention was shortened after it was made goes.
The clock moves with libfaketime preloaded into whootd only (as in test_retention.py)."""

import json
import os
import tempfile
import time

import pytest

from auditkit import api, audit_rows, record_call, recordings, sealed_files, session
from conftest import Daemon

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


@pytest.mark.skipif(not os.path.exists(LIBFAKETIME), reason="libfaketime is not installed")
def test_retention_deletes_once_and_keep_never_goes(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    offset_file = os.path.join(workdir, "clock-offset")
    with open(offset_file, "w") as out:
        out.write("+0\n")
    daemon = Daemon(workdir, str(tmp_path / "whootd.log"), extra_env={
        "LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": offset_file,
        "FAKETIME_CACHE_DURATION": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "WHOOT_RETENTION_INTERVAL_S": "1",
    })
    daemon.start()
    try:
        for channel in ("kept", "madekept", "shortened", "expiring"):
            daemon.create_channel("demo", channel)
            for handle in ("alice", "bob"):
                daemon.assign("demo", channel, handle)
        kept = record_call(daemon, "demo", "kept", ("alice", "bob"), "keep")
        made_kept = record_call(daemon, "demo", "madekept", ("alice", "bob"), "1")
        shortened = record_call(daemon, "demo", "shortened", ("alice", "bob"), "keep")
        expiring = record_call(daemon, "demo", "expiring", ("alice", "bob"), "1")
        daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "madekept",
                   "--retention", "keep")
        daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "shortened",
                   "--retention", "1")
        admin = session(daemon, "demo", "rita", "admin")
        status, _, body = api(daemon, admin, "PUT",
                              f"/api/recordings/{expiring['id']}/transcript",
                              b"to be forgotten", "text/plain")
        assert status == 200, body
        listed = {r["id"]: r for r in recordings(daemon)}
        assert listed[kept["id"]]["expires_at_ms"] is None, listed
        assert listed[made_kept["id"]]["expires_at_ms"] is None, listed
        assert listed[shortened["id"]]["expires_at_ms"] is not None, listed
        assert len(sealed_files(daemon, ".wrec")) == 4
        assert len(sealed_files(daemon, ".wtxt")) == 1

        with open(offset_file, "w") as out:
            out.write("+400d\n")
        gone = {shortened["id"], expiring["id"]}
        deadline = time.monotonic() + 15
        while gone & {r["id"] for r in recordings(daemon)}:
            assert time.monotonic() < deadline, recordings(daemon)
            time.sleep(0.3)
        time.sleep(3)  # a few more runs of the job: nothing is deleted twice
        assert {r["id"] for r in recordings(daemon)} == {kept["id"], made_kept["id"]}
        assert len(sealed_files(daemon, ".wrec")) == 2
        assert sealed_files(daemon, ".wtxt") == []

        admin = session(daemon, "demo", "sam", "admin")  # rita's 12 h session has ended
        for rid in gone:
            for suffix in ("audio.wav", "transcript"):
                status, _, body = api(daemon, admin, "GET", f"/api/recordings/{rid}/{suffix}")
                assert status == 404, (rid, suffix, status, body[:200])
        deletions = [r for r in audit_rows(daemon) if r["action"] == "recording.delete"]
        assert sorted(r["target"] for r in deletions) == sorted(
            f"recording:{rid}" for rid in gone), [(r["target"], r["metadata"])
                                                   for r in deletions]
        for row in deletions:
            meta = json.loads(row["metadata"])
            assert meta["reason"] == "retention" and row["actor"] == "system", row
        assert [json.loads(r["metadata"])["transcript"] for r in deletions
                if r["target"] == f"recording:{expiring['id']}"] == [True]
        assert daemon.ctl("audit", "verify", "--tenant", "demo").returncode == 0
        assert daemon.alive()
    finally:
        daemon.stop()

"""Break-it round 13: a full disk. whootd runs in a mount namespace of the test's own
(`unshare -m`) whose state directory is a 20 MB tmpfs; the test fills it with a file of
its own (through /proc/<pid>/root) during a recorded call. The call must go on, recording
must stop with a log line and a counter, an admin write must fail with a clear error,
recording must resume once space is freed, and a restart must find the data written
before the disk filled."""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import Daemon
from peer import Peer, band_share_of, http_request_sync
from test_recording import recordings

TMPFS = "20m"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root for a mount namespace with its own tmpfs")


@pytest.fixture
def namespace():
    """A process holding a private mount namespace with a tmpfs on <workdir>/state."""
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    state = os.path.join(workdir, "state")
    os.mkdir(state, 0o700)
    holder = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs -o size={TMPFS},mode=0700 whoot-break13 {state} "
         "&& echo mounted && exec sleep 600"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "mounted", "tmpfs not mounted"
        wrapper = os.path.join(workdir, "whootd-in-ns")
        with open(wrapper, "w") as out:
            whootd = os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug",
                                  "whootd")
            out.write(f"#!/bin/sh\nexec nsenter -t {holder.pid} -m -- {whootd} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        yield workdir, wrapper, f"/proc/{holder.pid}/root"
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def start(workdir, wrapper, log_path) -> Daemon:
    old = os.environ.get("WHOOTD")
    os.environ["WHOOTD"] = wrapper
    try:
        daemon = Daemon(workdir, log_path)
    finally:
        if old is None:
            del os.environ["WHOOTD"]
        else:
            os.environ["WHOOTD"] = old
    return daemon.start()


def fill(path: str) -> int:
    """Writes zeros to `path` until the disk is full; returns the bytes written."""
    written = 0
    block = b"\0" * 65536
    with open(path, "wb", buffering=0) as out:
        try:
            while True:
                written += out.write(block)
        except OSError:
            pass
        try:
            while True:
                written += out.write(b"\0" * 512)
        except OSError:
            pass
    return written


def write_errors_metric(daemon) -> float:
    code, _, body = http_request_sync(daemon.base_url, "GET", "/metrics")
    assert code == 200
    for line in body.decode().splitlines():
        if line.startswith("whoot_recording_write_errors_total "):
            return float(line.split()[1])
    raise AssertionError("no whoot_recording_write_errors_total in /metrics")


def status(daemon) -> dict:
    return json.loads(daemon.ctl("--json", "recording", "status").stdout)


def test_full_disk_keeps_the_call_stops_recording_clearly_and_loses_nothing(
        namespace, tmp_path):
    workdir, wrapper, root = namespace
    daemon = start(workdir, wrapper, str(tmp_path / "whootd.log"))
    inside = root + daemon.state_dir
    filler = os.path.join(inside, "filler.bin")
    try:
        daemon.create_channel("demo", "kept")
        daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
                   "--enabled", "on")
        observed = {}

        async def call():
            alice = Peer(daemon.base_url, daemon.token("demo", "lobby", "alice"), tone_hz=440)
            bob = Peer(daemon.base_url, daemon.token("demo", "lobby", "bob"), tone_hz=660)
            try:
                await alice.connect()
                await bob.connect()
                await alice.wait_frames(75, timeout=15)
                await asyncio.sleep(1.5)  # a chunk or two on disk

                observed["filled"] = await asyncio.to_thread(fill, filler)
                errors_before = status(daemon)["write_errors"]
                frames = len(alice.samples()) // 960
                await asyncio.sleep(3.0)
                observed["frames_while_full"] = len(alice.samples()) // 960 - frames
                observed["tail"] = alice.samples()[-48000:]
                observed["errors_full"] = status(daemon)["write_errors"]
                observed["metric_full"] = write_errors_metric(daemon)
                observed["errors_before"] = errors_before
                observed["log_lines_full"] = daemon.output().count("recording write failed")
                observed["admin_write"] = daemon.ctl(
                    "channel", "create", "--tenant", "demo", "--name", "during", check=False)

                os.unlink(filler)
                await asyncio.sleep(3.0)
                observed["errors_freed"] = status(daemon)["write_errors"]
                await asyncio.sleep(1.0)
                observed["errors_later"] = status(daemon)["write_errors"]
            finally:
                await alice.close()
                await bob.close()

        asyncio.run(call())
        log = daemon.output()
        print({k: v for k, v in observed.items() if k != "tail"})
        assert observed["filled"] > 1_000_000, observed["filled"]
        assert observed["frames_while_full"] >= 100, "the call stalled on the full disk"
        assert band_share_of(observed["tail"], 660) > 0.8
        assert observed["errors_full"] > observed["errors_before"] or \
            observed["errors_full"] > 0, "no recording write error was counted"
        assert observed["metric_full"] >= observed["errors_full"], observed["metric_full"]
        assert "recording write failed" in log and "No space left" in log, log[-3000:]
        # One clear line, not one per writer turn (every 20 ms) while the disk is full.
        problems = []
        if observed["log_lines_full"] > 10:
            problems.append(f"{observed['log_lines_full']} 'recording write failed' lines "
                            "in ~3 s of full disk")

        refused = observed["admin_write"]
        assert refused.returncode != 0, "a channel was created on a full disk?"
        message = refused.stderr.strip()
        if not (len(message.splitlines()) == 1 and ("full" in message or "space" in message)
                and "internal" not in message.lower()):
            problems.append(f"admin write on a full disk said: {message!r}")

        # Freed: the writer stops failing and records again.
        if observed["errors_later"] != observed["errors_freed"]:
            problems.append("recording still fails after space was freed")
        assert daemon.alive()
        daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
                   "--enabled", "off")
        time.sleep(1.0)
        listed = recordings(daemon)
        print("recordings:", listed)
        if len(listed) > 3:
            problems.append(f"{len(listed)} recording rows from one call on a full disk")
    finally:
        daemon.stop()
        if os.path.exists(filler):
            os.unlink(filler)

    # Restart on the same tmpfs: the database opens, everything written before is there.
    again = start(workdir, wrapper, str(tmp_path / "whootd-again.log"))
    try:
        channels = again.ctl("channel", "list", "--tenant", "demo").stdout
        assert "kept" in channels and "lobby" in channels, channels
        verified = again.ctl("--json", "audit", "verify", "--tenant", "demo", check=False)
        assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stdout
        listed = recordings(again)
        assert listed, "the recordings are gone after the restart"
        good = [r for r in listed if r["complete"]]
        out = tmp_path / "after.wav"
        exported = again.ctl("recording", "export", "--tenant", "demo", "--recording",
                             str(good[0]["id"]), "--out", str(out), check=False)
        assert exported.returncode == 0, exported.stderr
        assert again.alive()
    finally:
        again.stop()
    assert not problems, problems

"""Stopping whootd in the middle of things: SIGTERM drains and keeps everything whole;
kill -9 loses at most the unfinished tail, and the audit log and recordings still open."""

import asyncio
import json
import os
import signal
import subprocess
import tempfile
import threading
import time

from conftest import Daemon
from peer import band_share_of, connected_pair
from test_recording import decode_with_ffmpeg, recordings


def start(workdir, tmp_path, name):
    return Daemon(workdir, str(tmp_path / f"{name}.log"),
                  extra_args=["--drain-seconds", "2"]).start()


def record_lobby(daemon):
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "on")


async def talk(daemon, seconds: float, during=None):
    async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                              daemon.token("demo", "lobby", "bob")):
        await asyncio.sleep(seconds)
        if during:
            await asyncio.to_thread(during)


def export_and_check(daemon, tmp_path, minimum_seconds: float):
    """The one recording exports, decodes with ffmpeg, and carries both tones."""
    listed = recordings(daemon)
    assert len(listed) == 1, listed
    wav = str(tmp_path / "export.wav")
    daemon.ctl("recording", "export", "--tenant", "demo", "--recording",
               str(listed[0]["id"]), "--out", wav)
    pcm = decode_with_ffmpeg(wav)
    assert pcm.size / 48000 >= minimum_seconds, f"only {pcm.size / 48000:.2f} s exported"
    assert band_share_of(pcm, 440) > 0.2 and band_share_of(pcm, 660) > 0.2


def audit_verifies(daemon):
    result = daemon.ctl("audit", "verify", "--tenant", "demo", check=False)
    assert result.returncode == 0 and result.stdout.startswith("ok:"), \
        result.stdout + result.stderr


def test_sigterm_during_a_recorded_call_exits_0_and_leaves_everything_whole(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    first = start(workdir, tmp_path, "first")
    record_lobby(first)

    def stop_now():
        first.proc.send_signal(signal.SIGTERM)
        assert first.proc.wait(timeout=20) == 0, "SIGTERM did not exit 0"

    asyncio.run(talk(first, 2.0, during=stop_now))
    first.stop()
    assert "whootd stopped" in first.output()

    second = start(workdir, tmp_path, "second")
    try:
        assert recordings(second)[0]["complete"], "the recording was not closed on SIGTERM"
        export_and_check(second, tmp_path, minimum_seconds=1.5)
        audit_verifies(second)
    finally:
        second.stop()


def test_kill_9_during_audited_writes_and_a_recording_loses_nothing_committed(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    first = start(workdir, tmp_path, "first")
    record_lobby(first)
    created = []

    def burst_then_kill():
        stop = threading.Event()

        def writes():
            index = 0
            while not stop.is_set():
                result = first.ctl("channel", "create", "--tenant", "demo", "--name",
                                   f"burst-{index}", check=False)
                if result.returncode == 0:
                    created.append(f"burst-{index}")
                index += 1

        writer = threading.Thread(target=writes)
        writer.start()
        time.sleep(1.5)
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=10)
        stop.set()
        writer.join(timeout=30)

    asyncio.run(talk(first, 2.0, during=burst_then_kill))
    first.stop()
    assert len(created) >= 5, f"only {len(created)} audited writes before the kill"

    second = start(workdir, tmp_path, "second")
    try:
        audit_verifies(second)
        channels = json.loads(second.ctl("--json", "channel", "list", "--tenant", "demo")
                              .stdout)
        names = {c["name"] for c in channels["channels"]}
        assert set(created) <= names, "a write acknowledged before the kill was lost"
        # The recording cut by the kill opens up to its last whole chunk.
        export_and_check(second, tmp_path, minimum_seconds=1.0)
    finally:
        second.stop()

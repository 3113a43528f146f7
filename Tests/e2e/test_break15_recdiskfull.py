"""Break-it round 15: recording on a full disk with several channels at once (left undone
in round 14). whootd runs in a mount namespace of the test's own with a 20 MB tmpfs as its
state directory. Three calls record; the disk fills, frees, fills again; one channel's
recording is stopped while the disk is full. Calls keep their audio; `recording status`
and /metrics count the same errors; the log stays short (the writer pauses a failing
channel 1 s, doubling to 30 s); a recording made before stays exportable; after a restart
nothing is left half-open and every complete recording exports."""

import asyncio
import os
import time

import pytest

from peer import Peer, band_share_of
from test_break13_diskfull import fill, namespace, start, status, write_errors_metric  # noqa
from test_recording import recordings

CHANNELS = [("lobby", 440, 660), ("c2", 520, 780), ("c3", 600, 900)]


def recording(daemon, channel, on):
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", channel,
               "--enabled", "on" if on else "off")


def test_several_channels_on_a_full_disk_keep_audio_count_errors_and_recover(
        namespace, tmp_path):  # noqa: F811
    workdir, wrapper, root = namespace
    daemon = start(workdir, wrapper, str(tmp_path / "whootd.log"))
    inside = root + daemon.state_dir
    filler = os.path.join(inside, "filler.bin")
    observed = {}
    try:
        for name, _, _ in CHANNELS[1:]:
            daemon.create_channel("demo", name)
            daemon.assign("demo", name, "alice")
            daemon.assign("demo", name, "bob")
        for name, _, _ in CHANNELS:
            recording(daemon, name, True)

        async def calls():
            peers = []
            for name, low, high in CHANNELS:
                peers.append((Peer(daemon.base_url, daemon.token("demo", name, "alice"),
                                   tone_hz=low),
                              Peer(daemon.base_url, daemon.token("demo", name, "bob"),
                                   tone_hz=high), high))
            try:
                for a, b, _ in peers:
                    await a.connect()
                    await b.connect()
                for a, _, _ in peers:
                    await a.wait_frames(50, timeout=20)
                await asyncio.sleep(1.5)
                # A recording made before the disk fills: c3's, ended now.
                await asyncio.to_thread(recording, daemon, "c3", False)
                await asyncio.sleep(0.5)
                observed["before"] = recordings(daemon)
                await asyncio.to_thread(recording, daemon, "c3", True)

                lines0 = daemon.output().count("recording write failed")
                await asyncio.to_thread(fill, filler)
                frames = [len(a.samples()) // 960 for a, _, _ in peers]
                await asyncio.sleep(2.0)
                # Stopped while the disk is full: the setting cannot be stored (a
                # clear refusal is fine), so c2's call ends instead.
                refused = await asyncio.to_thread(
                    daemon.ctl, "recording", "settings", "--tenant", "demo", "--channel",
                    "c2", "--enabled", "off", check=False)
                observed["stop_refused"] = (refused.returncode, refused.stderr.strip())
                ended = peers.pop(1)
                await ended[0].close()
                await ended[1].close()
                frames.pop(1)
                await asyncio.sleep(2.0)
                observed["frames_full"] = [len(a.samples()) // 960 - f
                                           for (a, _, _), f in zip(peers, frames)]
                observed["share_full"] = [band_share_of(a.samples()[-48000:], hz)
                                          for a, _, hz in peers]
                observed["lines_full"] = daemon.output().count("recording write failed") \
                    - lines0

                os.unlink(filler)  # freed ...
                await asyncio.sleep(2.5)
                await asyncio.to_thread(fill, filler)  # ... and full again
                await asyncio.sleep(3.0)
                os.unlink(filler)
                await asyncio.sleep(2.5)
                observed["status"] = await asyncio.to_thread(status, daemon)
                observed["metric"] = await asyncio.to_thread(write_errors_metric, daemon)
                observed["lines_all"] = daemon.output().count("recording write failed") \
                    - lines0
                observed["alive_frames"] = [len(a.samples()) // 960 for a, _, _ in peers]
            finally:
                for a, b, _ in peers:
                    await a.close()
                    await b.close()

        asyncio.run(calls())
        for name, _, _ in CHANNELS:
            daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", name,
                       "--enabled", "off", check=False)
        time.sleep(1.0)
        observed["after"] = recordings(daemon)
        assert daemon.alive()
    finally:
        daemon.stop()
        if os.path.exists(filler):
            os.unlink(filler)
    print({k: v for k, v in observed.items() if k not in ("before", "after")})
    print("before:", observed.get("before"), "\nafter:", observed.get("after"))

    problems = []
    if min(observed["frames_full"]) < 100:
        problems.append(f"a call stalled on the full disk: {observed['frames_full']}")
    if min(observed["share_full"]) < 0.8:
        problems.append(f"a call lost its audio: {observed['share_full']}")
    errors = observed["status"]["write_errors"]
    if errors == 0:
        problems.append("no write error was counted")
    if observed["metric"] < errors:
        problems.append(f"/metrics {observed['metric']} < status {errors}")
    # 3 channels, ~4 s and ~3 s full: pauses 1, 2, 4 s mean a few lines per channel.
    if observed["lines_full"] > 12 or observed["lines_all"] > 30:
        problems.append(f"{observed['lines_full']} lines in 4 s full, "
                        f"{observed['lines_all']} in all")
    # Recording off, calls over: a row whose file was dropped on a write error should not
    # still be listed as being recorded (ended_at_ms null) until the next restart.
    still_open = [r["id"] for r in observed["after"] if r["ended_at_ms"] is None]
    if still_open:
        problems.append(f"recordings {still_open} dropped on the full disk stay open "
                        "(ended_at_ms null) while whootd runs, after recording was "
                        "turned off and the calls ended")
    before = [r for r in observed["before"] if r["complete"]]
    if not before:
        problems.append(f"no complete recording before the disk filled: "
                        f"{observed['before']}")

    again = start(workdir, wrapper, str(tmp_path / "again.log"))
    try:
        listed = recordings(again)
        print("after restart:", listed)
        half_open = [r for r in listed if r["ended_at_ms"] is None]
        if half_open:
            problems.append(f"half-open after a restart: {half_open}")
        ids = {r["id"] for r in listed}
        for r in before:
            if r["id"] not in ids:
                problems.append(f"recording {r['id']} made before the full disk is gone")
        for r in [r for r in listed if r["complete"]]:
            out = tmp_path / f"rec{r['id']}.wav"
            done = again.ctl("recording", "export", "--tenant", "demo", "--recording",
                             str(r["id"]), "--out", str(out), check=False)
            if done.returncode != 0 or out.stat().st_size < 1000:
                problems.append(f"recording {r['id']} does not export: "
                                f"{done.stderr.strip()}")
        leftovers = []
        for dirpath, _, files in os.walk(root + again.state_dir):
            leftovers += [f for f in files if ".part" in f or f.endswith(".tmp")]
        if leftovers:
            problems.append(f"partial files left: {leftovers}")
        assert again.alive()
    finally:
        again.stop()
    assert not problems, problems

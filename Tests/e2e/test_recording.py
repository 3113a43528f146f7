"""Recording: a real call is recorded encrypted, exported with whootctl, decoded by ffmpeg,
and each speaker's tone is where it was; a slow disk drops recording frames, not calls."""

import asyncio
import csv
import io
import json
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
import pytest

import auditkit
from conftest import Daemon
from peer import Peer, ToneTrack, band_share_of, connected_pair, http_request_sync
from aiortc.mediastreams import MediaStreamError

FRAME_S = 0.020


class GatedTone(ToneTrack):
    """A tone that starts when `go` is set and ends after `frames` 20 ms frames."""

    def __init__(self, hz: float, frames: int):
        super().__init__(hz)
        self.frames = frames
        self.go = asyncio.Event()
        self.started_at = None

    async def recv(self):
        await self.go.wait()
        if self._sent >= self.frames * 960:
            self.stop()
            raise MediaStreamError
        if self.started_at is None:
            self.started_at = time.monotonic()
        return await super().recv()


class GatedPeer(Peer):
    def __init__(self, base_url: str, token: str, hz: float, frames: int):
        super().__init__(base_url, token)
        self.tone = GatedTone(hz, frames)

    def _add_transceivers(self) -> None:
        first = self.pc.addTransceiver("audio", direction="sendrecv")
        first.sender.replaceTrack(self.tone)


def recordings(daemon, tenant="demo"):
    out = daemon.ctl("--json", "recording", "list", "--tenant", tenant).stdout
    return json.loads(out)["recordings"]


def decode_with_ffmpeg(path: str) -> np.ndarray:
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "48000", "-"],
        capture_output=True, timeout=30)
    assert done.returncode == 0 and not done.stderr, done.stderr.decode(errors="replace")
    return np.frombuffer(done.stdout, dtype=np.int16).astype(np.float64)


def admin_session(daemon, handle="rita"):
    """A signed-in admin of tenant demo (which holds the `recordings` permission)."""
    return auditkit.session(daemon, "demo", handle, "admin")


def api(daemon, token, method, path, body=b"", content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    return http_request_sync(daemon.base_url, method, path, body, headers)


def assert_speakers_in_place(pcm: np.ndarray, bob_offset: float) -> None:
    duration = pcm.size / 48000
    assert abs(duration - 150 * FRAME_S) <= FRAME_S, f"export lasts {duration:.3f} s"
    alone = window(pcm, 0.1, bob_offset - 0.1)
    together = window(pcm, bob_offset + 0.1, bob_offset + 0.9)
    after = window(pcm, bob_offset + 1.1, 2.9)
    assert band_share_of(alone, 440) > 0.8 and band_share_of(alone, 660) < 0.02
    assert band_share_of(together, 660) > 0.25 and band_share_of(together, 440) > 0.25
    assert band_share_of(after, 440) > 0.8 and band_share_of(after, 660) < 0.02


def window(pcm: np.ndarray, start: float, end: float) -> np.ndarray:
    return pcm[int(start * 48000):int(end * 48000)]


def test_recorded_call_exports_each_speaker_at_the_right_time(daemon, tmp_path):
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "on")

    async def call():
        alice = GatedPeer(daemon.base_url, daemon.token("demo", "lobby", "alice"), 440, 150)
        bob = GatedPeer(daemon.base_url, daemon.token("demo", "lobby", "bob"), 660, 50)
        try:
            await alice.connect()
            await bob.connect()
            alice.tone.go.set()
            await asyncio.sleep(1.0)
            bob.tone.go.set()
            await asyncio.sleep(2.6)
            return bob.tone.started_at - alice.tone.started_at
        finally:
            await alice.close()
            await bob.close()

    bob_offset = asyncio.run(call())
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "off")
    deadline = time.monotonic() + 10
    while not (recordings(daemon) and recordings(daemon)[0]["complete"]):
        assert time.monotonic() < deadline, "the recording was not closed"
        time.sleep(0.2)
    record = recordings(daemon)[0]

    # The file on disk is sealed: no Ogg or Opus plaintext.
    path = os.path.join(daemon.state_dir, "recordings")
    files = [os.path.join(d, f) for d, _, names in os.walk(path) for f in names]
    assert len(files) == 1 and oct(os.stat(files[0]).st_mode & 0o777) == "0o600"
    sealed = open(files[0], "rb").read()
    assert b"OggS" not in sealed and b"OpusHead" not in sealed

    wav = str(tmp_path / "call.wav")
    daemon.ctl("recording", "export", "--tenant", "demo", "--recording", str(record["id"]),
               "--out", wav)
    assert_speakers_in_place(decode_with_ffmpeg(wav), bob_offset)

    # An export larger than one admin-socket reply comes in pieces (here 64 KiB each, the
    # smallest allowed; the default is 8 MiB): the file is the same, audited once.
    pieces = str(tmp_path / "pieces.wav")
    printed = daemon.ctl("recording", "export", "--tenant", "demo", "--recording",
                         str(record["id"]), "--out", pieces, "--chunk_bytes", "65536").stdout
    whole = open(wav, "rb").read()
    assert len(whole) > 3 * 65536 and open(pieces, "rb").read() == whole, printed
    assert f"in {-(-len(whole) // 65536)} pieces" in printed, printed
    assert oct(os.stat(pieces).st_mode & 0o777) == "0o600"
    rows = list(csv.DictReader(io.StringIO(
        daemon.ctl("audit", "export", "--tenant", "demo").stdout)))
    wav_exports = [row for row in rows if row["action"] == "recording.access"
                   and json.loads(row["metadata"]).get("operation") == "export.wav"]
    assert len(wav_exports) == 2, [(row["action"], row["metadata"]) for row in rows]
    refused = daemon.ctl("recording", "export", "--tenant", "demo", "--recording",
                         str(record["id"]), "--out", str(tmp_path / "x.wav"),
                         "--chunk_bytes", "100", check=False)
    assert refused.returncode != 0 and "chunk_bytes must be" in refused.stderr

    # Ogg exports are the same mixdown encoded with libopus as one Ogg Opus stream, which
    # ffmpeg decodes without complaint, from whootctl and from the API alike.
    ogg = str(tmp_path / "call.ogg")
    daemon.ctl("recording", "export", "--tenant", "demo", "--recording", str(record["id"]),
               "--format", "ogg", "--out", ogg)
    assert open(ogg, "rb").read(4) == b"OggS"
    assert_speakers_in_place(decode_with_ffmpeg(ogg), bob_offset)

    token = admin_session(daemon)
    status, headers, body = api(daemon, token, "GET",
                                f"/api/recordings/{record['id']}/audio.ogg", content_type=None)
    assert status == 200 and headers["content-type"] == "audio/ogg", body[:200]
    from_api = tmp_path / "api.ogg"
    from_api.write_bytes(body)
    assert_speakers_in_place(decode_with_ffmpeg(str(from_api)), bob_offset)


def test_recording_settings_refuse_wrongly_typed_bodies_and_change_nothing(daemon):
    token = admin_session(daemon)
    status, _, body = api(daemon, token, "GET", "/v1/channels", content_type=None)
    assert status == 200, body
    lobby = next(c["id"] for c in json.loads(body)["channels"] if c["name"] == "lobby")
    path = f"/api/channels/{lobby}/recording"

    def settings():
        status, _, body = api(daemon, token, "GET", path, content_type=None)
        assert status == 200, body
        return json.loads(body)

    before = settings()
    assert before == {"channel_id": lobby, "enabled": False, "retention_days": 30}

    bad = [
        (b'{"retention_days":true}', "application/json", 400, "retention_days"),
        (b'{"retention_days":"30"}', "application/json", 400, "retention_days"),
        (b'{"retention_days":0}', "application/json", 400, "retention_days"),
        (b'{"retention_days":2.5}', "application/json", 400, "retention_days"),
        (b'{"enabled":1}', "application/json", 400, "enabled"),
        (b'{"enabled":"on"}', "application/json", 400, "enabled"),
        (b'{"enabled":false,"enabled":true}', "application/json", 400, "more than once"),
        (b'{"enabled":true,"mode":"x"}', "application/json", 400, "unknown"),
        (b'{"enabled":true', "application/json", 400, "object"),
        (b'{"enabled":true}', "text/plain", 415, "application/json"),
        (b'{"enabled":true}', None, 415, "application/json"),
        (b'{"enabled":true,"x":"' + b"a" * 9000 + b'"}', "application/json", 413, "larger"),
    ]
    for raw, content_type, want, word in bad:
        status, _, body = api(daemon, token, "PUT", path, raw, content_type)
        assert status == want, (raw[:60], status, body)
        assert word in json.loads(body)["error"], (raw[:60], body)
        assert settings() == before, raw[:60]

    status, _, body = api(daemon, token, "PUT", path, b'{"retention_days":7}')
    assert status == 200 and json.loads(body)["retention_days"] == 7, body
    status, _, body = api(daemon, token, "PUT", path, b'{"retention_days":"keep"}')
    assert status == 200 and json.loads(body)["retention_days"] == "keep", body


@pytest.fixture
def slow_disk_daemon(tmp_path):
    """whootd whose recording writer sleeps 1.5 s before every write, with 32-slot taps."""
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    saved = dict(os.environ)
    os.environ.update(WHOOT_RECORDING_WRITE_DELAY_MS="1500", WHOOT_RECORDING_TAP_SLOTS="32")
    running = Daemon(workdir, str(tmp_path / "whootd.log"))
    try:
        yield running.start()
        assert running.alive(), running.output()[-4000:]
    finally:
        os.environ.clear()
        os.environ.update(saved)
        running.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def test_slow_disk_drops_recording_frames_and_the_call_goes_on(slow_disk_daemon):
    daemon = slow_disk_daemon
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "on")

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob"),
                                  frames=150) as (alice, bob):
            assert band_share_of(alice.samples(), 660) > 0.8
            assert band_share_of(bob.samples(), 440) > 0.8

    asyncio.run(call())
    status = json.loads(daemon.ctl("--json", "recording", "status").stdout)
    tap = status["taps"][0]
    assert tap["dropped"] > 0, status
    assert tap["pushed"] > 0, status

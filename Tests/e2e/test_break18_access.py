"""Break-it round 18, claim 1: every recording access (list, WAV/Ogg export over the admin
socket and the HTTP API, transcript read) leaves exactly one audit entry per attempt, a
second one with outcome "failed" when the file is damaged, and a "refused" one for callers
without the `recordings` permission (member, auditor)."""

import json
import os

import pytest

from auditkit import access_rows, api, last_seq, record_call, sealed_files, session

TRANSCRIPT = "alice: hello\nbob: hi there\n"


def flip_middle_byte(path: str) -> None:
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0x01
        f.seek(0)
        f.write(data)


@pytest.fixture
def recorded(daemon):
    """demo/lobby with one recorded call, a transcript attached, and an admin session."""
    record = record_call(daemon, "demo", "lobby", ("alice", "bob"))
    admin = session(daemon, "demo", "rita", "admin")
    status, _, body = api(daemon, admin, "PUT", f"/api/recordings/{record['id']}/transcript",
                          TRANSCRIPT.encode(), "text/plain")
    assert status == 200, body
    return daemon, record["id"], admin


def test_each_allowed_access_leaves_exactly_one_entry(recorded, outdir):
    daemon, rid, admin = recorded
    target = f"recording:{rid}"
    steps = [
        ("socket list", lambda: daemon.ctl("recording", "list", "--tenant", "demo"),
         ("recording.access", "recordings", "list", "allowed")),
        ("socket wav", lambda: daemon.ctl("recording", "export", "--tenant", "demo",
                                          "--recording", str(rid), "--out",
                                          str(outdir / "a.wav")),
         ("recording.access", target, "export.wav", "allowed")),
        ("socket ogg", lambda: daemon.ctl("recording", "export", "--tenant", "demo",
                                          "--recording", str(rid), "--format", "ogg",
                                          "--out", str(outdir / "a.ogg")),
         ("recording.access", target, "export.ogg", "allowed")),
        ("api list", lambda: api(daemon, admin, "GET", "/api/recordings"),
         ("recording.access", "recordings", "list", "allowed")),
        ("api wav", lambda: api(daemon, admin, "GET", f"/api/recordings/{rid}/audio.wav"),
         ("recording.access", target, "export.wav", "allowed")),
        ("api ogg", lambda: api(daemon, admin, "GET", f"/api/recordings/{rid}/audio.ogg"),
         ("recording.access", target, "export.ogg", "allowed")),
        ("api transcript", lambda: api(daemon, admin, "GET",
                                       f"/api/recordings/{rid}/transcript"),
         ("transcription.access", target, "transcript.read", "allowed")),
    ]
    for name, step, want in steps:
        seq = last_seq(daemon)
        result = step()
        if isinstance(result, tuple):
            assert result[0] == 200, (name, result[0], result[2][:200])
        got = [row[:4] for row in access_rows(daemon, after_seq=seq)]
        assert got == [want], f"{name}: {got}"
    status, _, body = api(daemon, admin, "GET", f"/api/recordings/{rid}/transcript")
    assert body.decode() == TRANSCRIPT


@pytest.mark.parametrize("role", ["member", "auditor"])
def test_a_caller_without_the_permission_is_refused_and_audited_once(recorded, role):
    daemon, rid, _ = recorded
    token = session(daemon, "demo", "nora", role)
    paths = [("GET", "/api/recordings", "list"),
             ("GET", f"/api/recordings/{rid}/audio.wav", "export.wav"),
             ("GET", f"/api/recordings/{rid}/audio.ogg", "export.ogg"),
             ("GET", f"/api/recordings/{rid}/transcript", "transcript.read"),
             ("PUT", f"/api/recordings/{rid}/transcript", "transcript.attach"),
             ("DELETE", f"/api/recordings/{rid}", "delete")]
    for method, path, operation in paths:
        seq = last_seq(daemon)
        status, _, body = api(daemon, token, method, path, b"x" if method == "PUT" else b"",
                              "text/plain" if method == "PUT" else None)
        assert status == 403, (role, path, status, body[:200])
        assert b"RIFF" not in body and b"OggS" not in body and b"alice" not in body
        got = access_rows(daemon, after_seq=seq)
        assert [(r[2], r[3]) for r in got] == [(operation, "refused")], (role, path, got)
        assert got[0][4].startswith("member:"), got


def test_damaged_audio_leaves_allowed_then_failed_on_every_path(recorded, outdir):
    daemon, rid, admin = recorded
    [audio] = sealed_files(daemon, ".wrec")
    flip_middle_byte(audio)
    target = f"recording:{rid}"
    for name, step, operation in [
        ("api wav", lambda: api(daemon, admin, "GET", f"/api/recordings/{rid}/audio.wav"),
         "export.wav"),
        ("api ogg", lambda: api(daemon, admin, "GET", f"/api/recordings/{rid}/audio.ogg"),
         "export.ogg"),
        ("socket wav", lambda: daemon.ctl("recording", "export", "--tenant", "demo",
                                          "--recording", str(rid), "--out",
                                          str(outdir / "d.wav"), check=False), "export.wav"),
    ]:
        seq = last_seq(daemon)
        result = step()
        if isinstance(result, tuple):
            assert result[0] >= 400 and f"recording {rid}" in result[2].decode(), \
                (name, result[0], result[2][:200])
        else:
            assert result.returncode != 0 and f"recording {rid}" in result.stderr, result
        got = [row[:4] for row in access_rows(daemon, after_seq=seq)]
        assert got == [("recording.access", target, operation, "allowed"),
                       ("recording.access", target, operation, "failed")], (name, got)
    assert not (outdir / "d.wav").exists()


def test_damaged_transcript_read_is_audited_as_failed_and_names_the_recording(recorded):
    """DESIGN.md: "Access (list, WAV or Ogg export, transcripts) ... a file that cannot be
    read (edited, cut, swapped, missing) adds a second one with outcome `failed` and
    answers `ControlError.damaged` naming the recording"."""
    daemon, rid, admin = recorded
    [text] = sealed_files(daemon, ".wtxt")
    flip_middle_byte(text)
    seq = last_seq(daemon)
    status, _, body = api(daemon, admin, "GET", f"/api/recordings/{rid}/transcript")
    got = [row[:4] for row in access_rows(daemon, after_seq=seq)]
    assert b"hello" not in body
    assert got == [("transcription.access", f"recording:{rid}", "transcript.read", "allowed"),
                   ("transcription.access", f"recording:{rid}", "transcript.read",
                    "failed")], (status, body[:300], got)
    # Damaged stored data is the server's fault, as for audio: 500 with a clear message.
    assert status == 500 and f"recording {rid} cannot be read" in json.loads(body)["error"], \
        (status, body)


def test_missing_transcript_file_is_audited_as_failed(recorded):
    daemon, rid, admin = recorded
    [text] = sealed_files(daemon, ".wtxt")
    os.unlink(text)
    seq = last_seq(daemon)
    status, _, body = api(daemon, admin, "GET", f"/api/recordings/{rid}/transcript")
    got = [row[3] for row in access_rows(daemon, after_seq=seq)]
    assert daemon.state_dir.encode() not in body, ("server path told to the client", body)
    assert got == ["allowed", "failed"], (status, body[:300], got)
    assert status == 500 and b"missing or cannot be read" in body, (status, body)


def test_a_probe_for_a_recording_id_that_is_not_there_is_audited(recorded):
    """One audit entry per attempt: an admin guessing ids (another tenant's, or none)
    gets 404, and the attempt should still be in the log, as a refused one is."""
    daemon, rid, admin = recorded
    seq = last_seq(daemon)
    for suffix in ("audio.wav", "audio.ogg", "transcript"):
        status, _, _ = api(daemon, admin, "GET", f"/api/recordings/{rid + 500}/{suffix}")
        assert status == 404
    got = access_rows(daemon, after_seq=seq)
    assert len(got) == 3, ("404 probes left no audit entry", got)


def test_a_missing_audio_file_answers_without_the_servers_paths(recorded):
    daemon, rid, admin = recorded
    import os
    [audio] = sealed_files(daemon, ".wrec")
    os.unlink(audio)
    seq = last_seq(daemon)
    status, _, body = api(daemon, admin, "GET", f"/api/recordings/{rid}/audio.wav")
    got = [row[3] for row in access_rows(daemon, after_seq=seq)]
    assert got == ["allowed", "failed"], (status, body[:300], got)
    assert f"recording {rid}" in body.decode(), body
    assert daemon.state_dir.encode() not in body, ("server path told to the client", body)

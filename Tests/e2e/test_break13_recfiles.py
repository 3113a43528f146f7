"""Break-it round 13: damaged recording files. One whootd records two calls in demo/lobby
and one in another tenant; each case damages the first recording's .wrec behind the
daemon's back, then exports it through whootctl and the HTTPS API. Each export must fail
with a clear error and leave an audit entry; the other recording still lists and exports;
a live call keeps its audio meanwhile."""

import asyncio
import csv
import io
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

import auditkit
from conftest import daemon_in
from peer import band_share_of, connected_pair
from test_recording import admin_session, api, recordings


def record_call(daemon, tenant="demo", channel="lobby") -> dict:
    return auditkit.record_call(daemon, tenant, channel, ("alice", "bob"))


def wrec_files(daemon, tenant_id: int) -> list:
    root = os.path.join(daemon.state_dir, "recordings", str(tenant_id))
    return sorted(os.path.join(d, f) for d, _, names in os.walk(root) for f in names
                  if f.endswith(".wrec"))


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    with daemon_in(workdir, tmp_path_factory.mktemp("break13") / "whootd.log") as daemon:
        first = record_call(daemon)
        second = record_call(daemon)
        daemon.create_tenant("acme", "Acme")
        daemon.create_channel("acme", "lobby")
        daemon.add_member("acme", "lobby", "alice")
        daemon.add_member("acme", "lobby", "bob")
        foreign = record_call(daemon, "acme")
        demo_files = {os.path.basename(p)[:-5]: p for p in wrec_files(daemon, 1)}
        acme_files = wrec_files(daemon, 2)
        assert len(demo_files) == 2 and len(acme_files) == 1, (demo_files, acme_files)
        by_id = {}
        for record in (first, second):
            exported = export(daemon, record["id"], os.path.join(workdir, "probe.wav"))
            assert exported.returncode == 0, exported.stderr
        # Which file is which: damage one and see which export fails.
        path = sorted(demo_files.values())[0]
        original = open(path, "rb").read()
        open(path, "wb").write(original[:-1])
        for record in (first, second):
            if export(daemon, record["id"], os.path.join(workdir, "probe.wav")).returncode != 0:
                by_id[record["id"]] = path
        open(path, "wb").write(original)
        assert len(by_id) == 1, by_id
        victim = next(iter(by_id))
        other = second["id"] if victim == first["id"] else first["id"]
        other_path = next(p for p in demo_files.values() if p != by_id[victim])
        token = admin_session(daemon)
        yield dict(daemon=daemon, victim=victim, path=by_id[victim], other=other,
                   other_path=other_path, foreign_path=acme_files[0], token=token,
                   original=original)


def export(daemon, recording: int, out: str, tenant="demo", fmt="wav"):
    return daemon.ctl("recording", "export", "--tenant", tenant, "--recording",
                      str(recording), "--format", fmt, "--out", out, check=False)


def access_entries(daemon, recording: int) -> int:
    rows = csv.DictReader(io.StringIO(daemon.ctl("audit", "export", "--tenant", "demo").stdout))
    return sum(1 for r in rows if r["action"] == "recording.access"
               and r["target"] == f"recording:{recording}")


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


# name -> damage(original bytes, setup) -> new bytes (None: remove the file)
DAMAGE = {
    "header_magic_bit": lambda b, s: flip(b, 0),
    "header_version_bit": lambda b, s: flip(b, 8),
    "header_kind_bit": lambda b, s: flip(b, 9),
    "header_file_id_bit": lambda b, s: flip(b, 25),
    "chunk_length_bit": lambda b, s: flip(b, 34),
    "chunk_body_bit": lambda b, s: flip(b, len(b) // 2),
    "tag_bit": lambda b, s: flip(b, len(b) - 1),
    "truncated_mid_chunk": lambda b, s: b[:len(b) - 100],
    "truncated_to_header": lambda b, s: b[:33],
    "empty": lambda b, s: b"",
    "trailing_bytes": lambda b, s: b + b"\x00" * 10,
    "other_recordings_file": lambda b, s: open(s["other_path"], "rb").read(),
    "other_tenants_file": lambda b, s: open(s["foreign_path"], "rb").read(),
    "missing": lambda b, s: None,
}


@pytest.mark.parametrize("name", list(DAMAGE))
def test_damaged_recording_export_fails_clearly_audited_and_others_still_export(
        setup, tmp_path, name):
    daemon, victim = setup["daemon"], setup["victim"]
    damaged = DAMAGE[name](setup["original"], setup)
    try:
        if damaged is None:
            os.unlink(setup["path"])
        else:
            with open(setup["path"], "wb") as out:
                out.write(damaged)
        audited = access_entries(daemon, victim)

        out = tmp_path / "victim.wav"
        for fmt in ("wav", "ogg"):
            failed = export(daemon, victim, str(out), fmt=fmt)
            assert failed.returncode != 0, f"{name}: exported a damaged file as {fmt}"
            message = failed.stderr.strip()
            assert message.startswith("whootctl: ") and len(message.splitlines()) == 1 \
                and len(message) > 40, f"{name}: {message!r}"
            assert not out.exists(), f"{name}: a partial export was left at --out"
        # Each attempt audits its access, then its failure (outcome "failed").
        assert access_entries(daemon, victim) == audited + 4, f"{name}: not audited"

        status, _, body = api(daemon, setup["token"], "GET",
                              f"/api/recordings/{victim}/audio.wav", content_type=None)
        assert 400 <= status < 600 and json.loads(body)["error"], (name, status, body[:200])

        # The rest still works: listing, and the other recording's export.
        assert {r["id"] for r in recordings(daemon)} >= {victim, setup["other"]}
        fine = export(daemon, setup["other"], str(tmp_path / "other.wav"))
        assert fine.returncode == 0, f"{name}: {fine.stderr}"
        assert daemon.alive()
    finally:
        with open(setup["path"], "wb") as out:
            out.write(setup["original"])
    assert export(daemon, victim, str(tmp_path / "restored.wav")).returncode == 0


def test_damaged_file_is_not_reported_as_an_internal_error(setup, tmp_path):
    """A damaged file is bad input, not a fault of whootd: the one line should say which
    recording's file is damaged, not "internal error" (which sends an operator hunting for
    a whootd bug)."""
    daemon = setup["daemon"]
    try:
        with open(setup["path"], "wb") as out:
            out.write(DAMAGE["chunk_body_bit"](setup["original"], setup))
        failed = export(daemon, setup["victim"], str(tmp_path / "x.wav"))
        assert failed.returncode != 0
        assert "internal" not in failed.stderr.lower(), failed.stderr
        assert f"recording {setup['victim']} cannot be read" in failed.stderr, failed.stderr
        rows = list(csv.DictReader(io.StringIO(
            daemon.ctl("audit", "export", "--tenant", "demo").stdout)))
        failures = [json.loads(row["metadata"]) for row in rows
                    if row["action"] == "recording.access"
                    and json.loads(row["metadata"]).get("outcome") == "failed"]
        assert failures and "failed authentication" in failures[-1]["reason"], failures
    finally:
        with open(setup["path"], "wb") as out:
            out.write(setup["original"])


def test_damaged_exports_during_a_live_call_leave_its_audio_alone(setup, tmp_path):
    daemon = setup["daemon"]
    failures = []

    def hammer():
        for name in ("chunk_body_bit", "other_tenants_file", "truncated_mid_chunk"):
            with open(setup["path"], "wb") as out:
                out.write(DAMAGE[name](setup["original"], setup))
            if export(daemon, setup["victim"], str(tmp_path / f"{name}.wav")).returncode == 0:
                failures.append(name)
        with open(setup["path"], "wb") as out:
            out.write(setup["original"])

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob"),
                                  frames=20) as (alice, bob):
            await asyncio.to_thread(hammer)
            await alice.wait_frames(150, timeout=15)
            await bob.wait_frames(150, timeout=15)
            assert band_share_of(alice.samples()[-48000:], 660) > 0.8
            assert band_share_of(bob.samples()[-48000:], 440) > 0.8

    asyncio.run(call())
    assert not failures, failures


def test_recording_file_replaced_by_a_fifo_does_not_hang_the_admin_socket(setup, tmp_path):
    """A FIFO in place of the .wrec: the export must not block other admin clients (and
    should fail by itself rather than wait for a writer forever)."""
    daemon, path = setup["daemon"], setup["path"]
    os.unlink(path)
    os.mkfifo(path, 0o600)
    stuck = subprocess.Popen(
        [daemon.whootctl, "--socket", daemon.admin_socket, "recording", "export", "--tenant",
         "demo", "--recording", str(setup["victim"]), "--out", str(tmp_path / "x.wav")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        listed = subprocess.run(
            [daemon.whootctl, "--socket", daemon.admin_socket, "--json", "recording", "list",
             "--tenant", "demo"], capture_output=True, text=True, timeout=20)
        assert listed.returncode == 0, listed.stderr
        try:
            stuck.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("an export of a FIFO in place of the recording still hangs after "
                        "11 s (the writer end is never opened)")
        assert stuck.returncode != 0
    finally:
        # Unblock a reader stuck in open(2): open the writer end and close it.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        if stuck.poll() is None:
            stuck.wait(timeout=10)
        os.unlink(path)
        with open(path, "wb") as out:
            out.write(setup["original"])

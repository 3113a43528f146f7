"""Break-it round 8: recording exports in pieces over the admin socket. One whootd (admin
group 65534, so uid 65534 may connect too) and one 3 s recording serve the whole module;
the test that deletes the recording runs last."""

import asyncio
import base64
import contextlib
import csv
import io
import json
import os
import subprocess
import tempfile
import time

import pytest

from adminwire import Wire
from conftest import daemon_in
from test_recording import GatedPeer, recordings

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL = 65_536
NOBODY = 65534


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    with recorded_daemon(tmp_path_factory.mktemp("break8")) as running:
        yield running


@contextlib.contextmanager
def recorded_daemon(logs):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    os.chmod(workdir, 0o711)  # uid 65534 reaches admin.sock (0660, group 65534)
    config = os.path.join(workdir, "whootd.conf")
    with open(config, "w") as out:
        out.write(f"admin_group = {NOBODY}\n")
    with daemon_in(workdir, logs / "whootd.log", ["--config", config]) as daemon:
        record = make_recording(daemon)
        whole = export_whole(daemon, record)
        assert len(whole) > 4 * SMALL, len(whole)
        yield daemon, record, whole


def make_recording(daemon) -> int:
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "on")

    async def call():
        alice = GatedPeer(daemon.base_url, daemon.token("demo", "lobby", "alice"), 440, 150)
        bob = GatedPeer(daemon.base_url, daemon.token("demo", "lobby", "bob"), 660, 150)
        try:
            await alice.connect()
            await bob.connect()
            alice.tone.go.set()
            bob.tone.go.set()
            await asyncio.sleep(3.3)
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(call())
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "off")
    deadline = time.monotonic() + 10
    while not (recordings(daemon) and recordings(daemon)[-1]["complete"]):
        assert time.monotonic() < deadline, "the recording was not closed"
        time.sleep(0.2)
    return recordings(daemon)[-1]["id"]


def export_whole(daemon, record: int) -> bytes:
    wire = Wire(daemon.admin_socket)
    try:
        answer = wire.call("recording.export", tenant="demo", recording=record)
        assert answer["ok"] and "next" not in answer["result"], answer
        return decode(answer["result"]["data"])
    finally:
        wire.close()


def decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def as_nobody(socket_path: str, *requests: dict) -> list:
    """Sends `requests` on one admin connection as uid/gid 65534; their answers."""
    lines = "".join(json.dumps(r) + "\n" for r in requests)
    done = subprocess.run(
        ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups",
         "/usr/bin/python3", os.path.join(HERE, "adminwire.py"), socket_path],
        input=lines, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def export_request(record: int, **extra) -> dict:
    return {"id": 1, "command": "recording.export",
            "args": {"tenant": "demo", "recording": record, "chunk_bytes": SMALL, **extra}}


def wav_exports_audited(daemon) -> int:
    rows = csv.DictReader(io.StringIO(daemon.ctl("audit", "export", "--tenant", "demo").stdout))
    return sum(1 for row in rows if row["action"] == "recording.access"
               and json.loads(row["metadata"]).get("operation") == "export.wav")


def drain(wire: Wire, first: dict) -> bytes:
    """Fetches every remaining piece after `first` on `wire`; all the bytes."""
    data = decode(first["data"])
    token = first.get("next")
    while token:
        answer = wire.call("recording.export", **{"continue": token, "chunk_bytes": SMALL})
        assert answer["ok"], answer
        assert answer["result"]["offset"] == len(data), answer["result"]["offset"]
        data += decode(answer["result"]["data"])
        token = answer["result"].get("next")
    return data


def test_another_uids_continue_token_gets_no_audio(setup):
    daemon, record, whole = setup
    wire = Wire(daemon.admin_socket)
    first = wire.call("recording.export", tenant="demo", recording=record, chunk_bytes=SMALL)
    assert first["ok"] and first["result"]["next"], first

    stolen = as_nobody(daemon.admin_socket, {"id": 2, "command": "recording.export",
                                             "args": {"continue": first["result"]["next"]}})
    assert len(stolen) == 1 and stolen[0]["ok"] is False, stolen
    assert "no such export" in stolen[0]["error"] and "result" not in stolen[0], stolen
    wire.close()


def test_another_uids_try_does_not_cancel_the_owners_export(setup):
    """A refused continuation from another uid must leave the owner's export alone."""
    daemon, record, whole = setup
    wire = Wire(daemon.admin_socket)
    first = wire.call("recording.export", tenant="demo", recording=record, chunk_bytes=SMALL)
    token = first["result"]["next"]
    stolen = as_nobody(daemon.admin_socket, {"id": 2, "command": "recording.export",
                                             "args": {"continue": token}})
    assert stolen[0]["ok"] is False, stolen

    data = drain(wire, first["result"])
    wire.close()
    assert data == whole


def test_forged_reused_and_mistyped_tokens_are_refused_clearly(setup):
    daemon, record, whole = setup
    wire = Wire(daemon.admin_socket)
    for token in ["", "x", "A" * 4000, "../../etc/passwd", "\u00e9\u0000"]:
        answer = wire.call("recording.export", **{"continue": token})
        assert answer["ok"] is False and "no such export" in answer["error"], (token, answer)
    for token in [1, [], {}, True]:
        answer = wire.call("recording.export", **{"continue": token})
        assert answer["ok"] is False and answer["error"], (token, answer)

    first = wire.call("recording.export", tenant="demo", recording=record, chunk_bytes=SMALL)
    token = first["result"]["next"]
    assert drain(wire, first["result"]) == whole
    again = wire.call("recording.export", **{"continue": token})
    assert again["ok"] is False and "no such export" in again["error"], again
    assert token not in json.dumps(again), "an error echoes the token"
    wire.close()
    assert token not in daemon.output(), "the daemon logged a continue token"


@pytest.mark.parametrize("chunk", [SMALL - 1, 0, -1, 8 * 1_048_576 + 1, 2**63 - 1, -2**63])
def test_chunk_bytes_out_of_range_is_refused_clearly(setup, chunk):
    daemon, record, whole = setup
    wire = Wire(daemon.admin_socket)
    answer = wire.call("recording.export", tenant="demo", recording=record, chunk_bytes=chunk)
    assert answer["ok"] is False and "chunk_bytes must be 65536 to 8388608" in answer["error"]
    # On a continuation too.
    first = wire.call("recording.export", tenant="demo", recording=record, chunk_bytes=SMALL)
    bad = wire.call("recording.export", **{"continue": first["result"]["next"],
                                           "chunk_bytes": chunk})
    assert bad["ok"] is False and "chunk_bytes must be" in bad["error"], bad
    assert drain(wire, first["result"]) == whole
    wire.close()


@pytest.mark.parametrize("chunk", ["65536", 65536.5, True, [65536]])
def test_chunk_bytes_of_another_type_is_refused_clearly(setup, chunk):
    daemon, record, whole = setup
    wire = Wire(daemon.admin_socket)
    answer = wire.call("recording.export", tenant="demo", recording=record, chunk_bytes=chunk)
    assert answer["ok"] is False and "chunk_bytes" in answer["error"], answer
    wire.close()


def test_pieces_of_changing_size_reassemble_to_the_whole(setup):
    daemon, record, whole = setup
    wire = Wire(daemon.admin_socket)
    first = wire.call("recording.export", tenant="demo", recording=record, chunk_bytes=SMALL)
    data = decode(first["result"]["data"])
    token = first["result"]["next"]
    sizes = [8 * 1_048_576, SMALL]
    for size in sizes:
        if not token:
            break
        answer = wire.call("recording.export", **{"continue": token, "chunk_bytes": size})
        assert answer["ok"] and answer["result"]["offset"] == len(data), answer
        data += decode(answer["result"]["data"])
        token = answer["result"].get("next")
    assert token is None and data == whole
    # At the upper bound exactly, one reply and no token.
    top = wire.call("recording.export", tenant="demo", recording=record,
                    chunk_bytes=8 * 1_048_576)
    assert top["ok"] and "next" not in top["result"] and decode(top["result"]["data"]) == whole
    wire.close()


def test_fifth_concurrent_export_is_refused_clearly_and_the_daemon_serves_on(setup):
    daemon, record, whole = setup
    wires = [Wire(daemon.admin_socket) for _ in range(5)]
    firsts = [w.call("recording.export", tenant="demo", recording=record, chunk_bytes=SMALL)
              for w in wires[:4]]
    assert all(f["ok"] and f["result"]["next"] for f in firsts), firsts
    fifth = wires[4].call("recording.export", tenant="demo", recording=record,
                          chunk_bytes=SMALL)
    assert fifth["ok"] is False and "4 large exports" in fifth["error"], fifth
    assert wires[4].call("recording.status")["ok"]
    # A small export (one reply, nothing held) still works while the four are held.
    assert decode(wires[4].call("recording.export", tenant="demo", recording=record)
                  ["result"]["data"]) == whole
    for wire, first in zip(wires, firsts):
        assert drain(wire, first["result"]) == whole
    for wire in wires:
        wire.close()


def test_a_refused_fifth_export_is_not_audited_as_an_export(setup):
    """The audit log should say one export per export: the fifth was never handed out."""
    daemon, record, whole = setup
    before = wav_exports_audited(daemon)
    wires = [Wire(daemon.admin_socket) for _ in range(5)]
    firsts = [w.call("recording.export", tenant="demo", recording=record, chunk_bytes=SMALL)
              for w in wires[:4]]
    fifth = wires[4].call("recording.export", tenant="demo", recording=record,
                          chunk_bytes=SMALL)
    assert fifth["ok"] is False, fifth
    for wire, first in zip(wires, firsts):
        assert drain(wire, first["result"]) == whole
        wire.close()
    wires[4].close()
    assert wav_exports_audited(daemon) - before == 4, \
        "the refused fifth export is audited as a recording export"


def test_exports_abandoned_by_disconnected_clients_do_not_block_new_ones(tmp_path):
    """Four whootctl exports interrupted (Ctrl-C) should not refuse every export, by every
    operator, for five minutes. Its own daemon: the module's would stay blocked."""
    with recorded_daemon(tmp_path) as (daemon, record, whole):
        abandon_four_and_export(daemon, record)


def abandon_four_and_export(daemon, record):
    for _ in range(4):
        wire = Wire(daemon.admin_socket)
        first = wire.call("recording.export", tenant="demo", recording=record,
                          chunk_bytes=SMALL)
        assert first["ok"] and first["result"]["next"], first
        wire.close()
    time.sleep(0.5)

    out = os.path.join(tempfile.mkdtemp(prefix="break8-"), "after.wav")
    after = daemon.ctl("recording", "export", "--tenant", "demo", "--recording", str(record),
                       "--out", out, "--chunk_bytes", str(SMALL), check=False)
    other = as_nobody(daemon.admin_socket, export_request(record))
    assert after.returncode == 0 and other[0]["ok"], \
        f"root: {after.stderr.strip()!r}; uid 65534: {other[0].get('error')!r}"


def test_whootctl_export_that_fails_leaves_no_file_behind(setup, tmp_path):
    daemon, record, whole = setup
    out = tmp_path / "refused.wav"
    refused = daemon.ctl("recording", "export", "--tenant", "demo", "--recording",
                         str(record), "--out", str(out), "--chunk_bytes", "100", check=False)
    assert refused.returncode == 1 and "chunk_bytes must be" in refused.stderr, refused
    missing = daemon.ctl("recording", "export", "--tenant", "demo", "--recording", "999999",
                         "--out", str(tmp_path / "missing.wav"), check=False)
    assert missing.returncode == 1, missing
    assert sorted(os.listdir(tmp_path)) == [], \
        f"a failed export left {sorted(os.listdir(tmp_path))}"


def test_whootctl_json_export_prints_json(setup, tmp_path):
    daemon, record, whole = setup
    done = daemon.ctl("--json", "recording", "export", "--tenant", "demo", "--recording",
                      str(record), "--out", str(tmp_path / "a.wav"), "--chunk_bytes",
                      str(SMALL))
    assert (tmp_path / "a.wav").read_bytes() == whole
    try:
        json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"whootctl --json recording export printed {done.stdout!r}")


def test_zz_a_deleted_recording_is_not_served_by_a_pending_export(setup):
    """Runs last: deletes the module's recording while an export of it is half fetched."""
    daemon, record, whole = setup
    wire = Wire(daemon.admin_socket)
    first = wire.call("recording.export", tenant="demo", recording=record, chunk_bytes=SMALL)
    assert first["ok"] and first["result"]["next"], first
    daemon.ctl("recording", "delete", "--tenant", "demo", "--recording", str(record))
    assert not any(r["id"] == record for r in recordings(daemon))

    rest = wire.call("recording.export", **{"continue": first["result"]["next"],
                                            "chunk_bytes": SMALL})
    wire.close()
    assert rest["ok"] is False, \
        f"a deleted recording's audio is still handed out: {len(rest['result']['data'])} chars"

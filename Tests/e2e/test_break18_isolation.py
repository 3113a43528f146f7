"""Break-it round 18, claims 3 and 4: the audit export a tenant admin downloads over HTTPS
verifies offline with only the public key (filters by action, actor, period; an empty
one), its edits fail naming the row; and tenant A's admin can neither list, export nor
learn of tenant B's recordings or audit rows."""

import csv
import hashlib
import io
import json
import re

import pytest

from auditkit import api, record_call, session
from readme_verifier import readme_verify as verify
from peer import http_request_sync

TRANSCRIPT = "demo secret: the merger closes friday\n"


def https_export(daemon, token, query=""):
    """GET /v1/audit/export with `query`, following continuations; the whole CSV text."""
    status, headers, body = api(daemon, token, "GET", "/v1/audit/export" + query)
    assert status == 200, (query, status, body[:300])
    text = body.decode()
    while "x-whoot-export-continue" in headers:
        status, headers, body = api(daemon, token, "GET", "/v1/audit/export?continue="
                                    + headers["x-whoot-export-continue"])
        assert status == 200, body[:300]
        text += body.decode()
    return text


@pytest.fixture
def two_tenants(daemon):
    """demo with a recorded call and a transcript; acme with its own admin; sessions."""
    demo_rec = record_call(daemon, "demo", "lobby", ("alice", "bob"))
    demo_admin = session(daemon, "demo", "rita", "admin")
    status, _, body = api(daemon, demo_admin, "PUT",
                          f"/api/recordings/{demo_rec['id']}/transcript",
                          TRANSCRIPT.encode(), "text/plain")
    assert status == 200, body
    daemon.create_tenant("acme", "Acme")
    daemon.create_channel("acme", "hall")
    acme_admin = session(daemon, "acme", "otto", "admin")
    return daemon, demo_rec, demo_admin, acme_admin


def scrub(body: bytes, rid: int, probe: int) -> str:
    return body.decode(errors="replace").replace(str(probe), "N").replace(str(rid), "N")


def test_another_tenants_recording_answers_exactly_like_a_missing_one(two_tenants):
    daemon, demo_rec, demo_admin, acme_admin = two_tenants
    rid = demo_rec["id"]
    probe = 987654
    status, _, body = api(daemon, acme_admin, "GET", "/api/recordings")
    assert status == 200 and json.loads(body)["recordings"] == [], body
    status, _, body = api(daemon, acme_admin, "GET",
                          f"/api/recordings?channel={demo_rec['channel_id']}")
    assert status == 404, (status, body)
    for method, suffix, payload in [("GET", "/audio.wav", b""), ("GET", "/audio.ogg", b""),
                                    ("GET", "/transcript", b""),
                                    ("PUT", "/transcript", b"overwritten by acme"),
                                    ("DELETE", "", b"")]:
        kind = "text/plain" if payload else None
        theirs = api(daemon, acme_admin, method, f"/api/recordings/{rid}{suffix}", payload,
                     kind)
        missing = api(daemon, acme_admin, method, f"/api/recordings/{probe}{suffix}",
                      payload, kind)
        assert theirs[0] == missing[0] == 404, (suffix, theirs, missing)
        assert scrub(theirs[2], rid, probe) == scrub(missing[2], rid, probe), (theirs, missing)
    for path in (f"/api/channels/{demo_rec['channel_id']}/recording",):
        assert api(daemon, acme_admin, "GET", path)[0] == 404
        assert api(daemon, acme_admin, "PUT", path, b'{"retention_days":"keep"}',
                   "application/json")[0] == 404

    # demo's recording and transcript are untouched, and its retention too.
    status, _, body = api(daemon, demo_admin, "GET", f"/api/recordings/{rid}/transcript")
    assert status == 200 and body.decode() == TRANSCRIPT
    status, _, body = api(daemon, demo_admin, "GET",
                          f"/api/channels/{demo_rec['channel_id']}/recording")
    assert json.loads(body)["retention_days"] == 30, body


def test_audit_reads_and_exports_show_only_the_callers_tenant(two_tenants):
    daemon, demo_rec, demo_admin, acme_admin = two_tenants
    for path in ("/v1/audit?after=0", "/v1/audit"):
        status, _, body = api(daemon, acme_admin, "GET", path)
        assert status == 200, (path, body)
        text = body.decode()
        assert "recording:" not in text and "rita" not in text and "demo" not in text, text
    text = https_export(daemon, acme_admin)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    tenants = {row["tenant"] for row in rows}
    assert len(tenants) == 1, tenants
    assert not [r for r in rows if r["action"].startswith(("recording", "transcription"))]
    demo_rows = list(csv.DictReader(io.StringIO(https_export(daemon, demo_admin),
                                                newline="")))
    assert tenants.isdisjoint({row["tenant"] for row in demo_rows})
    for query in ("?actor=member:1", "?action=recording.access",
                  f"?action=recording.access&actor=member:1&from=2000-01-01"):
        rows = list(csv.DictReader(io.StringIO(https_export(daemon, acme_admin, query),
                                               newline="")))
        assert not [r for r in rows if r["record"] == "entry" and
                    r["action"].startswith("recording")], (query, rows)
        assert {r["tenant"] for r in rows} == tenants, query


def public_key(daemon, token):
    status, _, body = api(daemon, token, "GET", "/v1/audit/public-key")
    assert status == 200, body
    return body.decode()


def test_https_exports_by_filter_verify_offline(two_tenants, tmp_path):
    daemon, demo_rec, demo_admin, _ = two_tenants
    pem = public_key(daemon, demo_admin)
    (tmp_path / "k.pem").write_text(pem)
    status, _, body = api(daemon, demo_admin, "GET", "/v1/me")
    assert status == 200, body
    actor = f"member:{json.loads(body)['member_id']}"
    queries = {
        "all": "",
        "action": "?action=recording.access,transcription.access",
        "actor": f"?actor={actor}",
        "period": "?from=2000-01-01&to=2099-01-01T00:00:00Z",
        "empty actor": "?actor=member:99999",
        "empty period": "?from=2001-01-01&to=2001-02-01",
    }
    for name, query in queries.items():
        text = https_export(daemon, demo_admin, query)
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        entries = [r for r in rows if r["record"] == "entry"]
        if name.startswith("empty"):
            assert not entries, (name, entries)
        else:
            assert entries, (name, text[:500])
        if name == "action":
            assert {r["action"] for r in entries} == {"recording.access",
                                                      "transcription.access"}, name
        if name == "actor":
            assert {r["actor"] for r in entries} == {actor}, (name, actor)
        assert verify(text, pem) is None, (name, verify(text, pem))
        out = tmp_path / f"{name.replace(' ', '_')}.csv"
        out.write_text(text, newline="")
        result = daemon.ctl("audit", "verify", "--export", str(out), "--public-key",
                            str(tmp_path / "k.pem"), check=False)
        assert result.returncode == 0, (name, result.stdout + result.stderr)


def edits(text):
    lines = text.split("\r\n")
    header, body = lines[0], [line for line in lines[1:] if line]
    entries = [i for i, line in enumerate(body) if line.startswith("entry,")]
    cells = body[entries[2]].split(",")
    cells[5] = cells[5] + "x"  # the actor
    changed = body[:]
    changed[entries[2]] = ",".join(cells)
    yield "one cell changed", changed, entries[2] + 2
    removed = body[:entries[2]] + body[entries[2] + 1:]
    yield "a row removed", removed, entries[2] + 2
    swapped = body[:]
    swapped[entries[2]], swapped[entries[3]] = swapped[entries[3]], swapped[entries[2]]
    yield "rows swapped", swapped, entries[2] + 2
    checkpoint = body[-1]
    moved = body[:entries[2]] + [checkpoint] + body[entries[2]:-1]
    yield "checkpoint moved", moved, entries[2] + 2
    yield "last checkpoint dropped", body[:-1], len(body) + 1
    return header


def test_an_edited_https_export_fails_naming_the_row(two_tenants, tmp_path):
    daemon, _, demo_admin, _ = two_tenants
    pem = tmp_path / "k.pem"
    pem.write_text(public_key(daemon, demo_admin))
    text = https_export(daemon, demo_admin)
    header = text.split("\r\n")[0]
    assert verify(text, pem.read_text()) is None
    for name, body, line in edits(text):
        edited = "\r\n".join([header, *body, ""])
        assert verify(edited, pem.read_text()) is not None, name
        out = tmp_path / "edited.csv"
        out.write_text(edited, newline="")
        result = daemon.ctl("audit", "verify", "--export", str(out), "--public-key",
                            str(pem), check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0, (name, output)
        assert re.search(r"(row|line|seq) \d+", output), (name, output)
        print(name, "->", output.strip())

"""The audit log end to end: every change leaves a chained, signed entry; exports verify
offline and survive Python's csv module; tampering with the database file is found at the
right entry; an access review cuts a revoked member's live audio."""

import asyncio
import csv
import io
import json
import os

import subprocess

import pytest

from conftest import REPO
from peer import connected_pair, http_request_sync

SECRETS_NEVER_LOGGED = []


def export(daemon, tmp_path, name="export.csv", *flags):
    path = tmp_path / name
    daemon.ctl("audit", "export", "--tenant", "demo", "--out", str(path), *flags)
    return path


def public_key(daemon, tmp_path):
    path = tmp_path / "audit.pub.pem"
    daemon.ctl("audit", "public-key", "--out", str(path))
    assert path.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    return path


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def entries(path):
    return [r for r in rows(path) if r["record"] == "entry"]


def offline_verify(daemon, export_path, key_path):
    """Runs the offline verifier with no daemon socket at all."""
    return subprocess.run(
        [daemon.whootctl, "--socket", "/nonexistent/admin.sock", "--json", "audit", "verify",
         "--export", str(export_path), "--public-key", str(key_path)],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def make_history(daemon):
    """A few changes of every admin-socket kind; returns the join token issued."""
    daemon.create_channel("demo", "side")
    daemon.add_member("demo", "side", "carol")
    daemon.ctl("role", "set", "--tenant", "demo", "--member", "carol", "--role", "auditor")
    token = daemon.token("demo", "lobby", "alice")
    SECRETS_NEVER_LOGGED.append(token)
    daemon.ctl("unassign", "--tenant", "demo", "--channel", "side", "--member", "carol")
    daemon.ctl("member", "remove", "--tenant", "demo", "--member", "carol")
    return token


def test_export_verifies_offline_survives_csv_round_trip_and_filters_exactly(daemon, tmp_path):
    token = make_history(daemon)
    full = export(daemon, tmp_path)
    key = public_key(daemon, tmp_path)

    all_entries = entries(full)
    assert [int(r["seq"]) for r in all_entries] == list(range(1, len(all_entries) + 1))
    actions = {r["action"] for r in all_entries}
    assert {"tenant.create", "channel.create", "member.invite", "channel.assign",
            "member.role", "join_token.issue", "channel.unassign", "member.remove",
            "audit.export"} <= actions
    uid = f"uid:{os.getuid()}"
    for r in all_entries:
        assert r["time"].endswith("Z") and "T" in r["time"]
        assert json.loads(r["metadata"]) is not None
        if r["actor"] == uid:
            assert r["request_id"].startswith("adm-"), r
    text = full.read_text(encoding="utf-8")
    assert token not in text and "wjt_" not in text

    result = offline_verify(daemon, full, key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["entries"] == len(all_entries)

    # Round trip through Python's csv module: read, write back, still verifies.
    with open(full, newline="", encoding="utf-8") as f:
        parsed = list(csv.reader(f))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(parsed)
    again = tmp_path / "roundtrip.csv"
    again.write_text(out.getvalue(), encoding="utf-8", newline="")
    assert offline_verify(daemon, again, key).returncode == 0
    with open(again, newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == parsed

    # Each filter selects exactly the matching entries, and each filtered export verifies.
    base = [r for r in entries(export(daemon, tmp_path, "base.csv"))]
    mid = base[len(base) // 3]["time"]
    end = base[2 * len(base) // 3]["time"]
    cases = [
        (["--action", "member.invite,member.remove"],
         lambda r: r["action"] in ("member.invite", "member.remove")),
        (["--actor", "system"], lambda r: r["actor"] == "system"),
        (["--from", mid, "--to", end], lambda r: mid <= r["time"] <= end),
    ]
    for index, (flags, keep) in enumerate(cases):
        path = export(daemon, tmp_path, f"filtered{index}.csv", *flags)
        got = [r["seq"] for r in entries(path)]
        want = [r["seq"] for r in base if keep(r)]
        assert got[:len(want)] == want and set(got[len(want):]) <= {
            r["seq"] for r in entries(path) if r["action"] == "audit.export"}, (flags, got, want)
        verified = offline_verify(daemon, path, key)
        assert verified.returncode == 0, (flags, verified.stdout)


def whoot_sql(daemon, script: str) -> subprocess.CompletedProcess:
    tool = os.environ.get("WHOOT_SQL") or os.path.join(REPO, ".build", "debug", "whoot-sql")
    return subprocess.run([tool, daemon.state_dir], input=script, capture_output=True,
                          text=True, timeout=30)


TAMPERING = {
    "update a field": ("UPDATE audit_events SET actor = 'system' WHERE seq = 8", 8),
    "delete a row": ("DELETE FROM audit_events WHERE seq = 6", 6),
    "swap two rows": ("UPDATE audit_events SET seq = -1 WHERE seq = 4; "
                      "UPDATE audit_events SET seq = 4 WHERE seq = 5; "
                      "UPDATE audit_events SET seq = 5 WHERE seq = -1", 4),
    "drop the tail": ("DELETE FROM audit_checkpoints WHERE seq > 9; "
                      "DELETE FROM audit_events WHERE seq > 9", 10),
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_tampering_with_the_database_file_is_reported_at_the_right_entry(daemon, kind):
    make_history(daemon)
    daemon.ctl("audit", "checkpoint", "--tenant", "demo")
    assert daemon.ctl("audit", "verify", "--tenant", "demo").stdout.startswith("ok:")

    # The attacker holds the database key (the file is encrypted at rest): whoot-sql
    # opens it through the encrypting VFS. The triggers refuse a plain DELETE...
    refused = whoot_sql(daemon, "DELETE FROM audit_events WHERE seq = 1")
    assert refused.returncode == 1 and "append-only" in refused.stderr, refused.stderr
    # ...so the attacker drops them first; the chain and checkpoints still tell.
    sql, seq = TAMPERING[kind]
    tampered = whoot_sql(
        daemon, "DROP TRIGGER audit_events_refuse_update; "
        "DROP TRIGGER audit_events_refuse_delete; "
        "DROP TRIGGER audit_checkpoints_refuse_delete; " + sql)
    assert tampered.returncode == 0, tampered.stderr

    result = daemon.ctl("--json", "audit", "verify", "--tenant", "demo", check=False)
    assert result.returncode == 3, result.stdout + result.stderr
    problem = json.loads(result.stdout)["problem"]
    assert problem["seq"] == seq, (kind, problem)


def test_review_cycle_revokes_live_audio_and_logs_completion(daemon, tmp_path):
    daemon.add_member("demo", "lobby", "carol")

    async def scenario():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob"),
                                  frames=100) as (alice, bob):

            review = json.loads(daemon.ctl("--json", "review", "start", "--tenant", "demo")
                                .stdout)
            rid = str(review["id"])
            assert [i["handle"] for i in review["items"]] == ["alice", "bob", "carol"]
            daemon.ctl("review", "decide", "--tenant", "demo", "--review", rid, "--member",
                       "alice", "--decision", "approve", "--comment", "=cmd|' /C calc'!A0")
            daemon.ctl("review", "decide", "--tenant", "demo", "--review", rid, "--member",
                       "carol", "--decision", "modify", "--role", "auditor", "--channels", "",
                       "--comment", "reads only")
            early = daemon.ctl("review", "complete", "--tenant", "demo", "--review", rid,
                               check=False)
            assert early.returncode == 1 and "bob" in early.stderr

            before = alice.rtp_packets
            await asyncio.sleep(1.0)
            assert alice.rtp_packets > before + 20, "bob's audio did not reach alice"
            await asyncio.to_thread(
                daemon.ctl, "review", "decide", "--tenant", "demo", "--review", rid,
                "--member", "bob", "--decision", "revoke", "--comment", "left")
            await asyncio.sleep(0.5)
            settled = alice.rtp_packets
            await asyncio.sleep(1.5)
            assert alice.rtp_packets - settled < 5, "bob's audio still reaches alice"

            daemon.ctl("review", "complete", "--tenant", "demo", "--review", rid)
            report = tmp_path / "review.csv"
            daemon.ctl("review", "report", "--tenant", "demo", "--review", rid,
                       "--out", str(report))
            by_handle = {r["handle"]: r for r in rows(report)}
            assert by_handle["bob"]["decision"] == "revoke"
            assert by_handle["carol"]["new_role"] == "auditor"
            assert by_handle["alice"]["comment"] == "'=cmd|' /C calc'!A0"

    asyncio.run(scenario())
    log = entries(export(daemon, tmp_path))
    assert [r["action"] for r in log if r["action"].startswith("review.")][-2:] == \
        ["review.complete", "review.export"]
    assert any(r["action"] == "member.remove" and r["actor"].startswith("uid:") for r in log)


def test_audit_api_needs_a_session_token(daemon):
    for path in ("/v1/audit/export", "/v1/audit/verify", "/v1/reviews/1"):
        status, _, body = http_request_sync(daemon.base_url, "GET", path)
        assert status == 401, (path, status, body)
    status, _, _ = http_request_sync(daemon.base_url, "GET", "/v1/audit/export",
                                     headers={"Authorization": "Bearer wst_forged"})
    assert status == 401


def login(daemon, handle, password):
    status, _, body = http_request_sync(
        daemon.base_url, "POST", "/v1/login",
        json.dumps({"tenant": "demo", "handle": handle, "password": password}).encode(),
        {"Content-Type": "application/json"})
    assert status == 200, body
    return json.loads(body)["token"]


def test_api_review_cycle_and_export_for_admin_and_auditor(daemon, tmp_path):
    """Admins and an auditor accept invitations (`whootctl member invitation`, then
    POST /v1/invitations/accept), log in, and run a review and an export over HTTPS."""
    tokens = {}
    for handle, role in (("adam", "admin"), ("ava", "admin"), ("aud", "auditor")):
        daemon.ctl("member", "invite", "--tenant", "demo", "--handle", handle, "--role", role)
        invitation = daemon.ctl("member", "invitation", "--tenant", "demo",
                                "--member", handle).stdout.strip()
        password = f"{handle} has a long password"
        SECRETS_NEVER_LOGGED.append(password)
        status, _, body = http_request_sync(
            daemon.base_url, "POST", "/v1/invitations/accept",
            json.dumps({"token": invitation, "password": password}).encode(),
            {"Content-Type": "application/json"})
        assert status in (200, 201), body
        tokens[handle] = login(daemon, handle, password)
        SECRETS_NEVER_LOGGED.append(tokens[handle])

    def call(handle, method, path, body=None):
        status, headers, data = http_request_sync(
            daemon.base_url, method, path, json.dumps(body).encode() if body else b"",
            {"Authorization": f"Bearer {tokens[handle]}", "Content-Type": "application/json"})
        return status, headers, data

    status, _, data = call("adam", "POST", "/v1/reviews")
    assert status == 201, data
    rid = json.loads(data)["id"]
    assert call("adam", "POST", f"/v1/reviews/{rid}/decisions",
                {"member": "adam", "decision": "approve", "comment": "me"})[0] == 403
    for member, decision, extra in (("alice", "approve", {}), ("bob", "revoke", {}),
                                    ("aud", "approve", {}), ("ava", "approve", {}),
                                    ("adam", "modify", {"role": "admin",
                                                        "channels": ["lobby"]})):
        reviewer = "ava" if member == "adam" else "adam"
        status, _, data = call(reviewer, "POST", f"/v1/reviews/{rid}/decisions",
                               {"member": member, "decision": decision, "comment": "ok",
                                **extra})
        assert status == 200, (member, data)
    assert call("ava", "POST", f"/v1/reviews/{rid}/complete")[0] == 200

    status, headers, data = call("aud", "GET", "/v1/audit/export?action=review.complete")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    got = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert [r["action"] for r in got if r["record"] == "entry"] == ["review.complete"]
    path = tmp_path / "api.csv"
    path.write_bytes(data)
    assert offline_verify(daemon, path, public_key(daemon, tmp_path)).returncode == 0
    full = export(daemon, tmp_path).read_text(encoding="utf-8")
    for secret in SECRETS_NEVER_LOGGED:
        assert secret not in full

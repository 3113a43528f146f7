"""Break-it round 16: the README's whootctl lines as a new user types them (audit, exports,
offline verification, an access review), against a daemon of the test's own. Each command
must work as written and its output read as the README says."""

import csv
import io
import json

import pytest


def ctl(daemon, *args):
    return daemon.ctl(*args).stdout


def test_the_readme_audit_block_works_as_written(daemon, tmp_path):
    daemon.create_channel("demo", "ops")
    out = str(tmp_path / "log.csv")
    pem = str(tmp_path / "audit.pub.pem")

    verified = ctl(daemon, "audit", "verify", "--tenant", "demo")
    assert verified.startswith("ok: "), verified
    ctl(daemon, "audit", "export", "--tenant", "demo", "--out", out)
    ctl(daemon, "audit", "public-key", "--out", pem)
    offline = ctl(daemon, "audit", "verify", "--export", out, "--public-key", pem)
    assert offline.startswith("ok: "), offline

    filtered = str(tmp_path / "filtered.csv")
    ctl(daemon, "audit", "export", "--tenant", "demo", "--out", filtered, "--from",
        "2025-01-01", "--to", "2099-02-01T00:00:00Z", "--action",
        "login.failure,member.role", "--actor", "member:7")
    rows = list(csv.DictReader(io.open(filtered, newline="", encoding="utf-8")))
    # README, "Verifying an export", rule 6: the last row must be a checkpoint, every
    # export ends at a signed checkpoint. A filter that matches nothing must still prove
    # it (link rows up to a checkpoint), else "no failed logins" is an unsigned claim.
    assert rows and rows[-1]["record"] == "checkpoint", (
        f"an export matching nothing has {len(rows)} rows and no checkpoint")
    assert not [r for r in rows if r["record"] == "entry"], "filter let entries through"
    again = ctl(daemon, "audit", "verify", "--export", filtered, "--public-key", pem)
    assert again.startswith("ok: "), again


def test_the_readme_review_block_works_as_written(daemon, tmp_path):
    daemon.create_channel("demo", "ops")
    started = json.loads(ctl(daemon, "--json", "review", "start", "--tenant", "demo"))
    review = str(started.get("id") or started.get("review", {}).get("id"))
    assert review.isdigit(), started
    members = json.loads(ctl(daemon, "--json", "member", "list", "--tenant", "demo"))
    handles = [m["handle"] for m in members.get("members", members)]
    assert "alice" in handles and "bob" in handles, handles
    ctl(daemon, "review", "decide", "--tenant", "demo", "--review", review, "--member", "bob",
        "--decision", "revoke", "--comment", "left")
    ctl(daemon, "review", "decide", "--tenant", "demo", "--review", review, "--member",
        "alice", "--decision", "modify", "--role", "auditor", "--channels", "lobby;ops",
        "--comment", "moved")
    for handle in handles:
        if handle not in ("alice", "bob"):
            ctl(daemon, "review", "decide", "--tenant", "demo", "--review", review,
                "--member", handle, "--decision", "approve", "--comment", "ok")
    ctl(daemon, "review", "complete", "--tenant", "demo", "--review", review)
    out = tmp_path / "review.csv"
    ctl(daemon, "review", "report", "--tenant", "demo", "--review", review, "--out", str(out))
    text = out.read_text()
    assert "bob" in text and "revoke" in text and "alice" in text, text[:500]

"""Helpers for the recording and audit tests: sessions, API calls, recorded calls, audit rows."""

import asyncio
import csv
import io
import json
import os
import time

from peer import connected_pair, http_request_sync


def session(daemon, tenant: str, handle: str, role: str) -> str:
    """Invites `handle` into `tenant` with `role`, accepts, signs in; the session token."""
    daemon.ctl("member", "invite", "--tenant", tenant, "--handle", handle, "--role", role)
    invitation = daemon.ctl("member", "invitation", "--tenant", tenant,
                            "--member", handle).stdout.strip()
    password = f"{handle} keeps a long password"
    status, _, body = http_request_sync(
        daemon.base_url, "POST", "/v1/invitations/accept",
        json.dumps({"token": invitation, "password": password}).encode(),
        {"Content-Type": "application/json"})
    assert status in (200, 201), body
    status, _, body = http_request_sync(
        daemon.base_url, "POST", "/v1/login",
        json.dumps({"tenant": tenant, "handle": handle, "password": password}).encode(),
        {"Content-Type": "application/json"})
    assert status == 200, body
    return json.loads(body)["token"]


def api(daemon, token, method, path, body=b"", content_type=None):
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    return http_request_sync(daemon.base_url, method, path, body, headers)


def recordings(daemon, tenant="demo"):
    out = daemon.ctl("--json", "recording", "list", "--tenant", tenant).stdout
    return json.loads(out)["recordings"]


def record_call(daemon, tenant: str, channel: str, members, retention=None) -> dict:
    """Records a one-second call of `members` (two handles) in `channel`; its listing."""
    extra = ["--retention", retention] if retention else []
    daemon.ctl("recording", "settings", "--tenant", tenant, "--channel", channel,
               "--enabled", "on", *extra)
    before = {r["id"] for r in recordings(daemon, tenant)}

    async def call():
        async with connected_pair(daemon.base_url,
                                  daemon.token(tenant, channel, members[0]),
                                  daemon.token(tenant, channel, members[1]), frames=50):
            pass

    asyncio.run(call())
    daemon.ctl("recording", "settings", "--tenant", tenant, "--channel", channel,
               "--enabled", "off")
    deadline = time.monotonic() + 15
    while True:
        new = [r for r in recordings(daemon, tenant) if r["id"] not in before and r["complete"]]
        if new:
            return new[0]
        assert time.monotonic() < deadline, f"the recording in {tenant}/{channel} never closed"
        time.sleep(0.2)


def audit_rows(daemon, tenant="demo"):
    """Every entry row of the tenant's log (audit export, unfiltered)."""
    text = daemon.ctl("audit", "export", "--tenant", tenant).stdout
    return [r for r in csv.DictReader(io.StringIO(text, newline="")) if r["record"] == "entry"]


def access_rows(daemon, tenant="demo", after_seq=0):
    """recording.access and transcription.access entries after `after_seq`, as
    (action, target, operation, outcome, actor)."""
    found = []
    for row in audit_rows(daemon, tenant):
        if int(row["seq"]) <= after_seq:
            continue
        if row["action"] in ("recording.access", "transcription.access"):
            meta = json.loads(row["metadata"].lstrip("'"))
            found.append((row["action"], row["target"], meta.get("operation"),
                          meta.get("outcome"), row["actor"]))
    return found


def last_seq(daemon, tenant="demo") -> int:
    rows = audit_rows(daemon, tenant)
    return max(int(r["seq"]) for r in rows) if rows else 0


def sealed_files(daemon, suffix: str):
    root = os.path.join(daemon.state_dir, "recordings")
    return sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names
                  if n.endswith(suffix))

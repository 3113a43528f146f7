"""Break-it round 9: after an attacker's failed logins, the audit export verifies offline
with no secret in it, and hiding the attacker's address in the database file is found
even with every checkpoint removed from the database and from checkpoints.log."""

import json
import os

from test_audit import offline_verify, public_key, rows, whoot_sql
from test_break9_login import login_raw
from test_control_plane import member_with_password, set_password


def test_failed_logins_export_verifies_and_hiding_the_attacker_is_found(daemon, tmp_path):
    secrets = []
    member_with_password(daemon, "demo", "olive", "owner", secrets)
    set_password(daemon, "demo", "bob", f"pw-bob-{os.urandom(6).hex()}", secrets)
    for i in range(3):
        guess = f"guess-{os.urandom(4).hex()}"
        secrets.append(guess)
        assert login_raw(daemon, "demo", "bob", guess)[0] == 401

    export = tmp_path / "after.csv"
    daemon.ctl("audit", "export", "--tenant", "demo", "--out", str(export))
    result = offline_verify(daemon, export, public_key(daemon, tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    text = export.read_text()
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:4]}...) is in the export"
    failures = [r for r in rows(export) if r["action"] == "login.failure"]
    assert len(failures) == 3 and {r["ip"] for r in failures} == {"127.0.0.1"}
    seq = int(failures[0]["seq"])

    # The attacker holds the database key and the state directory: they move the first
    # failure to another address and remove every checkpoint, in the database and file.
    tampered = whoot_sql(
        daemon, "DROP TRIGGER audit_events_refuse_update; "
        "DROP TRIGGER audit_checkpoints_refuse_delete; "
        f"UPDATE audit_events SET ip = '10.9.9.9' WHERE seq = {seq} AND tenant_id = "
        "(SELECT id FROM tenants WHERE slug = 'demo'); DELETE FROM audit_checkpoints")
    assert tampered.returncode == 0, tampered.stderr
    with open(os.path.join(daemon.state_dir, "audit", "checkpoints.log"), "w"):
        pass
    result = daemon.ctl("--json", "audit", "verify", "--tenant", "demo", check=False)
    assert result.returncode == 3, result.stdout + result.stderr
    assert json.loads(result.stdout)["problem"]["seq"] == seq, result.stdout

"""Break-it round 13: audit/checkpoints.log tampered behind the daemon's back.

`whootctl audit verify` must name what is wrong and never say "ok" for a checkpoint file
that was edited, cut, reordered, deleted or swapped for another whootd's; the daemon's
own audit writes must go on either way. The database itself is left alone here (it is
encrypted; test_audit.py and test_break9_audit.py tamper with it)."""

import json
import os
import shutil
import tempfile

import pytest

from conftest import Daemon


def checkpoint_file(daemon) -> str:
    return os.path.join(daemon.state_dir, "audit", "checkpoints.log")


def verify(daemon):
    """(exit status, parsed --json report or None, stdout + stderr)."""
    result = daemon.ctl("--json", "audit", "verify", "--tenant", "demo", check=False)
    try:
        parsed = json.loads(result.stdout)
    except ValueError:
        parsed = None
    return result.returncode, parsed, result.stdout + result.stderr


def history_with_checkpoints(daemon, count=3):
    """`count` changes, each followed by a signed checkpoint: `count` lines in the file."""
    for i in range(count):
        daemon.create_channel("demo", f"room{i}")
        assert daemon.ctl("audit", "checkpoint", "--tenant", "demo").returncode == 0
    with open(checkpoint_file(daemon)) as log:
        lines = log.read().splitlines(keepends=True)
    assert len(lines) == count, lines
    return lines


@pytest.fixture(scope="module")
def other_whootd_lines(tmp_path_factory):
    """The checkpoint lines of another whootd (its own signing key), tenant demo too."""
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    other = Daemon(workdir, str(tmp_path_factory.mktemp("other") / "whootd.log"))
    try:
        other.start()
        lines = history_with_checkpoints(other)
    finally:
        other.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return lines


def flip_hex(line: str, field: int) -> str:
    fields = line.rstrip("\n").split(" ")
    value = fields[field]
    fields[field] = ("0" if value[0] != "0" else "1") + value[1:]
    return " ".join(fields) + "\n"


# Each case: (name, how the file is rewritten from its lines, words the report must carry,
# or None when any clear non-ok report will do).
TAMPERS = [
    ("deleted", None, None),
    ("emptied", lambda lines, other: [], None),
    ("last_lines_cut", lambda lines, other: lines[:1], None),
    ("cut_mid_line", lambda lines, other: lines[:-1] + [lines[-1][:40]], None),
    ("lines_reordered", lambda lines, other: list(reversed(lines)), None),
    ("signature_bit_flipped", lambda lines, other: lines[:1] + [flip_hex(lines[1], 6)]
     + lines[2:], "signature"),
    ("entry_hash_changed", lambda lines, other: lines[:1] + [flip_hex(lines[1], 3)]
     + lines[2:], None),
    ("garbage_line", lambda lines, other: lines[:1] + ["hello auditor\n"] + lines[1:],
     "line 2"),
    ("not_utf8", lambda lines, other: lines[:1] + ["whoot-checkpoint-v1 \xff\n"] + lines[1:],
     "line 2"),
    ("another_whootds_file", lambda lines, other: other, "signature"),
]


@pytest.mark.parametrize("name,rewrite,words", TAMPERS, ids=[t[0] for t in TAMPERS])
def test_tampered_checkpoint_file_is_reported_and_audit_writes_go_on(
        daemon, other_whootd_lines, name, rewrite, words):
    lines = history_with_checkpoints(daemon)
    status, report, _ = verify(daemon)
    assert status == 0 and report["ok"], report

    path = checkpoint_file(daemon)
    if rewrite is None:
        os.unlink(path)
    else:
        with open(path, "wb") as log:
            text = "".join(rewrite(lines, other_whootd_lines))
            log.write(text.encode("latin-1") if name == "not_utf8" else text.encode())

    status, report, output = verify(daemon)
    assert status == 3 and report is not None and report.get("ok") is False, \
        f"{name}: verify said {output!r}"
    if words:
        assert words in json.dumps(report["problem"]), f"{name}: {output}"

    # The daemon's own audit writes go on: a change is audited and checkpointed.
    daemon.create_channel("demo", "after")
    assert daemon.ctl("audit", "checkpoint", "--tenant", "demo").returncode == 0
    exported = daemon.ctl("audit", "export", "--tenant", "demo").stdout
    assert "channel:" in exported and "after" in exported, exported[-400:]


def test_checkpoint_file_replaced_by_a_directory_gives_a_clear_error_not_ok(daemon):
    history_with_checkpoints(daemon, count=1)
    path = checkpoint_file(daemon)
    os.unlink(path)
    os.mkdir(path)

    status, report, output = verify(daemon)
    assert status != 0 and "checkpoints.log" in output and '"ok":true' not in output, output
    print("verify with a directory:", output)
    daemon.create_channel("demo", "unsigned")
    failed = daemon.ctl("audit", "checkpoint", "--tenant", "demo", check=False)
    assert failed.returncode != 0 and "checkpoints.log" in failed.stderr, failed.stderr

    # Changes are still made and audited in the database; an export, which signs a
    # checkpoint first, fails clearly while the file cannot be written.
    daemon.create_channel("demo", "after")
    refused = daemon.ctl("audit", "export", "--tenant", "demo", check=False)
    assert refused.returncode != 0 and "checkpoints.log" in refused.stderr, refused.stderr
    os.rmdir(path)
    assert "after" in daemon.ctl("audit", "export", "--tenant", "demo").stdout
    assert daemon.alive()

"""Break-it round 14: audit/checkpoints.log after round 13's fixes.

Tampering the round-13 test does not try (a duplicated line, another tenant's line copied
in, a database rolled back under a newer file, a symlink or a FIFO in the file's place),
the queue of lines a failing file leaves behind (is the order kept, does it survive a
restart), and false alarms: a daemon nobody tampered with must always verify."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import Daemon


def checkpoint_file(daemon) -> str:
    return os.path.join(daemon.state_dir, "audit", "checkpoints.log")


def verify(daemon, tenant="demo"):
    """(exit status, parsed --json report or None, stdout + stderr)."""
    result = daemon.ctl("--json", "audit", "verify", "--tenant", tenant, check=False)
    try:
        parsed = json.loads(result.stdout)
    except ValueError:
        parsed = None
    return result.returncode, parsed, result.stdout + result.stderr


def checkpoint(daemon, tenant="demo", check=True):
    return daemon.ctl("audit", "checkpoint", "--tenant", tenant, check=check)


def lines_of(daemon):
    with open(checkpoint_file(daemon)) as log:
        return log.read().splitlines(keepends=True)


def write_lines(daemon, lines):
    with open(checkpoint_file(daemon), "w") as log:
        log.write("".join(lines))


def history(daemon, count=3, tenant="demo", prefix="room"):
    for i in range(count):
        daemon.create_channel(tenant, f"{prefix}{i}")
        checkpoint(daemon, tenant)


@pytest.fixture
def workdir():
    path = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_duplicated_line_is_reported(daemon):
    history(daemon)
    lines = lines_of(daemon)
    write_lines(daemon, lines[:2] + [lines[1]] + lines[2:])
    status, report, output = verify(daemon)
    assert status == 3 and report and not report["ok"], output
    assert "line 3" in json.dumps(report["problem"]), output


def test_another_tenants_line_copied_in_is_reported_for_that_tenant(daemon):
    daemon.create_tenant("acme", "Acme")
    history(daemon, 2, "acme", "a")
    history(daemon, 2, "demo", "d")
    lines = lines_of(daemon)
    acme_first = lines[0]
    # acme's first checkpoint copied again at the end: acme's lines no longer rise.
    write_lines(daemon, lines + [acme_first])
    assert verify(daemon, "demo")[0] == 0, "demo's log is untouched and must verify"
    status, report, output = verify(daemon, "acme")
    assert status == 3 and report and not report["ok"], output


def test_database_rolled_back_under_a_newer_checkpoint_file_is_reported(workdir, tmp_path):
    """A database copy restored from earlier (its tail cut, hashes all fine) next to the
    file that recorded later checkpoints: the file vouches for seqs the log lacks."""
    daemon = Daemon(workdir, str(tmp_path / "a.log")).start()
    try:
        history(daemon, 2)
    finally:
        daemon.stop()
    backup = os.path.join(workdir, "backup")
    os.mkdir(backup)
    databases = [n for n in os.listdir(daemon.state_dir) if n.startswith("whoot")
                 or n.endswith((".db", ".sqlite", "-wal", "-shm"))]
    assert databases, os.listdir(daemon.state_dir)
    for name in databases:
        shutil.copy2(os.path.join(daemon.state_dir, name), backup)

    daemon = Daemon(workdir, str(tmp_path / "b.log"))
    daemon.start()
    try:
        history(daemon, 2, prefix="later")
    finally:
        daemon.stop()
    for name in os.listdir(daemon.state_dir):
        if name in databases or name.endswith(("-wal", "-shm")):
            os.unlink(os.path.join(daemon.state_dir, name))
    for name in databases:
        shutil.copy2(os.path.join(backup, name), daemon.state_dir)

    daemon = Daemon(workdir, str(tmp_path / "c.log"))
    daemon.start()
    try:
        status, report, output = verify(daemon)
        assert status == 3 and report and not report["ok"], output
        assert "truncated" in json.dumps(report["problem"]) or "file" in output, output
    finally:
        daemon.stop()


def test_symlink_to_a_regular_file_elsewhere_is_not_silently_trusted(daemon, tmp_path):
    """The file replaced by a link to a copy the attacker controls: verify still checks
    its contents (a cut copy fails)."""
    history(daemon)
    lines = lines_of(daemon)
    elsewhere = tmp_path / "elsewhere.log"
    elsewhere.write_text("".join(lines[:1]))
    os.unlink(checkpoint_file(daemon))
    os.symlink(str(elsewhere), checkpoint_file(daemon))
    status, report, output = verify(daemon)
    assert status == 3 and report and not report["ok"], output


def test_fifo_in_place_of_the_file_gives_clear_errors_and_hangs_nothing(daemon):
    history(daemon, 1)
    os.unlink(checkpoint_file(daemon))
    os.mkfifo(checkpoint_file(daemon))

    started = time.monotonic()
    status, report, output = verify(daemon)
    assert status != 0 and "checkpoints.log" in output and '"ok":true' not in output, output
    daemon.create_channel("demo", "during")
    failed = checkpoint(daemon, check=False)
    assert failed.returncode != 0 and "checkpoints.log" in failed.stderr, failed.stderr
    assert time.monotonic() - started < 20

    # Other tenants' work goes on; once the FIFO is gone the queued line is written.
    daemon.create_tenant("acme", "Acme")
    os.unlink(checkpoint_file(daemon))
    with open(checkpoint_file(daemon), "w") as log:
        log.write("".join([]))
    status, report, output = verify(daemon)
    # The file was recreated empty: the first line (seq of history) is honestly missing.
    assert status == 3 and report and "no line" in json.dumps(report["problem"]), output
    assert daemon.alive()


def test_checkpoints_tried_while_the_file_is_unwritable_are_not_made_and_the_next_covers_them(
        daemon):
    history(daemon, 1)
    path = checkpoint_file(daemon)
    saved = lines_of(daemon)
    os.unlink(path)
    os.mkdir(path)
    for i in range(3):
        daemon.create_channel("demo", f"queued{i}")
        assert checkpoint(daemon, check=False).returncode != 0
    os.rmdir(path)
    write_lines(daemon, saved)
    daemon.create_channel("demo", "last")
    checkpoint(daemon)

    # A checkpoint exists only with its line: the three refused ones were never made, and
    # the last one signs everything after the first.
    seqs = [int(line.split()[2]) for line in lines_of(daemon)]
    assert len(seqs) == 2 and seqs == sorted(seqs), seqs
    status, report, output = verify(daemon)
    assert status == 0 and report["ok"] and report["last_checkpoint_seq"] == seqs[-1], output


def test_queued_lines_survive_a_restart_so_verify_does_not_fail_forever(workdir, tmp_path):
    """A checkpoint committed while its line could not be written (full disk, here a
    directory in the file's place), then an ordinary restart once the file is fine again:
    nothing was tampered with, so the log must verify. The queue lives only in memory, so
    the database holds a checkpoint the file will never get."""
    daemon = Daemon(workdir, str(tmp_path / "a.log")).start()
    try:
        history(daemon, 1)
        saved = lines_of(daemon)
        path = checkpoint_file(daemon)
        os.unlink(path)
        os.mkdir(path)
        daemon.create_channel("demo", "while-broken")
        assert checkpoint(daemon, check=False).returncode != 0
    finally:
        daemon.stop()  # SIGTERM: its shutdown checkpoint cannot reach the file either
    os.rmdir(path)
    write_lines(daemon, saved)

    daemon = Daemon(workdir, str(tmp_path / "b.log")).start()
    try:
        daemon.create_channel("demo", "after-restart")
        checkpoint(daemon)
        status, report, output = verify(daemon)
        assert status == 0 and report["ok"], \
            f"a restart after a failed append leaves verify failing: {output}"
    finally:
        daemon.stop()


def test_no_false_alarm_across_restarts_kill9_many_tenants_and_exports(workdir, tmp_path):
    daemon = Daemon(workdir, str(tmp_path / "a.log")).start()
    tenants = ["demo"] + [f"t{i}" for i in range(6)]
    try:
        for slug in tenants[1:]:
            daemon.create_tenant(slug, slug)
        for round_ in range(3):
            for slug in tenants:
                daemon.create_channel(slug, f"c{round_}")
            daemon.ctl("audit", "export", "--tenant", tenants[round_])  # checkpoints first
        # kill -9 while admin writes and checkpoints run.
        workers = [subprocess.Popen(
            [daemon.whootctl, "--socket", daemon.admin_socket, "audit", "checkpoint",
             "--tenant", slug], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for slug in tenants]
        writers = [subprocess.Popen(
            [daemon.whootctl, "--socket", daemon.admin_socket, "channel", "create",
             "--tenant", slug, "--name", "k9"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL) for slug in tenants]
        time.sleep(0.05)
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(timeout=10)
        for p in workers + writers:
            p.wait(timeout=20)
    finally:
        daemon.stop()

    problems = []
    for attempt in ("after-kill9", "after-sigterm"):
        daemon = Daemon(workdir, str(tmp_path / f"{attempt}.log")).start()
        try:
            for slug in tenants:
                daemon.create_channel(slug, attempt)
                daemon.ctl("audit", "export", "--tenant", slug)
                status, report, output = verify(daemon, slug)
                if status != 0:
                    problems.append((attempt, slug, output.strip()))
        finally:
            daemon.stop()
    assert not problems, problems

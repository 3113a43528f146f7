"""Break-it round 17: whootctl `--out` after round 16 (signal handlers that unlink the
temporary file, links that are not UTF-8, 40 links, `audit public-key --out` on the same
path). Short names, `-` and /dev/stdout of whootctl's own process, a signal the caller
asked to ignore, and signals fired at every point of a write. Only files under the test's
own tmp_path; the only /dev path used is whootctl's own stdout."""

import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import binary, hanging_admin_socket


def ctl_in(daemon, cwd, *args, stdout=subprocess.PIPE):
    return subprocess.run(
        [daemon.whootctl, "--socket", daemon.admin_socket, *args], cwd=cwd, stdout=stdout,
        stderr=subprocess.PIPE, timeout=15, stdin=subprocess.DEVNULL,
        env={**os.environ, "SWIFT_BACKTRACE": "enable=no"})


def crashed(result):
    """Killed by a signal (a Swift trap is SIGILL: status 132 through a shell, -4 here)."""
    return result.returncode < 0 or result.returncode >= 128


@pytest.mark.parametrize("name", ["a", "x", "q"])
def test_a_one_character_file_name_in_the_working_directory_is_written(
        daemon, tmp_path, name):
    """`whootctl audit export --out a` traps (SIGILL) in NSString.deletingLastPathComponent
    on a one-character relative path; `--out ab` works."""
    result = ctl_in(daemon, tmp_path, "audit", "export", "--tenant", "demo", "--out", name)
    assert not crashed(result), f"--out {name}: status {result.returncode}"
    assert result.returncode == 0, result.stderr
    assert (tmp_path / name).read_text().startswith("record,")


def test_a_link_to_a_one_character_name_is_followed(daemon, tmp_path):
    os.symlink("k", tmp_path / "audit.pem")
    result = ctl_in(daemon, tmp_path, "audit", "public-key", "--out", "audit.pem")
    assert not crashed(result), f"status {result.returncode}"
    assert (tmp_path / "k").read_text().startswith("-----BEGIN")


def test_out_dash_is_stdout_or_a_clear_error_never_a_crash(daemon, tmp_path):
    result = ctl_in(daemon, tmp_path, "audit", "export", "--tenant", "demo", "--out", "-")
    assert not crashed(result), f"--out -: status {result.returncode}"
    if result.returncode == 0:
        wrote = result.stdout.startswith(b"record,") or (tmp_path / "-").exists()
        assert wrote, "exit 0 and nothing written"
    else:
        assert len(result.stderr.decode().strip().splitlines()) == 1, result.stderr


def test_out_dev_stdout_writes_to_its_own_pipe(daemon, tmp_path):
    """/dev/stdout -> /proc/self/fd/1 -> `pipe:[N]`: the hand-followed link turns into
    /proc/self/fd/pipe:[N], which does not exist, and whootctl tries to create a file
    beside it. The design writes "anything else that already exists" as it is."""
    result = ctl_in(daemon, tmp_path, "audit", "export", "--tenant", "demo", "--out",
                    "/dev/stdout")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(b"record,"), result.stdout[:100]
    assert os.listdir(tmp_path) == ["whootd.log"], "nothing beside the daemon's log"


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT])
def test_a_signal_the_caller_ignores_stays_ignored_during_an_export(tmp_path, signum):
    """`nohup whootctl audit export --out big.csv &` then logging out (SIGHUP), or a
    background job of a script (SIGINT ignored): round 16's handler replaces SIG_IGN, so
    the export dies where it used to carry on."""
    sock = str(tmp_path / "hang.sock")
    out = tmp_path / "out"
    out.mkdir()
    server, held = hanging_admin_socket(sock)
    process = subprocess.Popen(
        [binary("WHOOTCTL", "whootctl"), "--socket", sock, "audit", "export", "--tenant",
         "demo", "--out", str(out / "audit.csv")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signum, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 10
        while not held and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held, "whootctl never connected"
        time.sleep(0.3)
        process.send_signal(signum)
        time.sleep(0.5)
        alive = process.poll() is None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        server.close()
    assert alive, (f"{signal.Signals(signum).name} was ignored by the caller, yet whootctl "
                   f"died of it (status {process.returncode})")


def test_sigterm_at_any_point_of_a_write_leaves_the_whole_file_or_none(daemon, tmp_path):
    """SIGTERM at staggered delays through `audit public-key --out` (connect, write, fsync,
    rename, handler reset): afterwards the target is either absent or the whole key, and
    no temporary file is left."""
    whole = ctl_in(daemon, tmp_path, "audit", "public-key").stdout.decode()
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "SWIFT_BACKTRACE": "enable=no"}
    outcomes = set()
    for i in range(30):
        target = out / f"k{i}.pem"
        process = subprocess.Popen(
            [daemon.whootctl, "--socket", daemon.admin_socket, "audit", "public-key",
             "--out", str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, env=env)
        time.sleep(0.002 * i)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
        outcomes.add(process.returncode)
        if target.exists():
            assert target.read_text() == whole, f"k{i}: a partial file"
    left = [n for n in os.listdir(out) if n.endswith(".part")]
    assert left == [], f"temporary files left: {left} (exit statuses {outcomes})"

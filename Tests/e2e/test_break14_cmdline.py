"""Break-it round 14: whootd's command line, with Swift's CommandLine.arguments (normal
start) and with /proc/self/cmdline (libfaketime preloaded from a parent that is not, where
argc comes back 0). Flags must be honoured either way; odd arguments get a clear error,
never a silent start on something other than what was asked."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import Daemon, binary, free_port

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
FAKED = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": "+0", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
MODES = ["plain", pytest.param("faked", marks=pytest.mark.skipif(
    not os.path.exists(LIBFAKETIME), reason="libfaketime is not installed"))]


@pytest.fixture
def workdir():
    path = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    yield path
    shutil.rmtree(path.encode(), ignore_errors=True)


def env_for(mode):
    extra = FAKED if mode == "faked" else {}
    return {**os.environ, "SWIFT_BACKTRACE": "enable=no", **extra}


def run_briefly(args, mode, cwd, seconds=4.0):
    """Starts whootd with `args` (bytes), lets it run `seconds` or until it exits; returns
    (exit status or None if it was still running, output bytes)."""
    log = os.path.join(cwd, "out.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary("WHOOTD", "whootd").encode(), *args], env=env_for(mode),
                                stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                                stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + seconds
        while proc.poll() is None and time.monotonic() < deadline:
            with open(log, "rb") as current:
                if b"whootd ready" in current.read():
                    break
            time.sleep(0.1)
        status = proc.poll()
        if status is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
    with open(log, "rb") as current:
        return status, current.read()


def addresses(workdir):
    return [b"--https", f"127.0.0.1:{free_port(socket.SOCK_STREAM)}".encode(),
            b"--udp", f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}".encode(),
            b"--admin-socket", os.path.join(workdir, "a.sock").encode()]


@pytest.mark.parametrize("mode", MODES)
def test_flags_are_honoured_with_and_without_a_preloaded_libfaketime(workdir, tmp_path, mode):
    daemon = Daemon(workdir, str(tmp_path / "whootd.log"), extra_args=["--no-demo"],
                    extra_env=FAKED if mode == "faked" else {})
    daemon.start()
    try:
        assert os.path.isdir(daemon.state_dir), os.listdir(workdir)
        assert "demo" not in daemon.ctl("tenant", "list").stdout, "--no-demo was ignored"
        assert f"127.0.0.1:{daemon.https_port}" in daemon.output()
        # whootctl under libfaketime too: its flags reach the daemon.
        result = subprocess.run([daemon.whootctl, "--socket", daemon.admin_socket, "tenant",
                                 "create", "--slug", "faked", "--name", "F"],
                                env=env_for(mode), capture_output=True, text=True, timeout=15)
        assert result.returncode == 0, result.stderr
        assert "faked" in daemon.ctl("tenant", "list").stdout
    finally:
        daemon.stop()


@pytest.mark.parametrize("mode", MODES)
def test_a_long_argument_list_is_read_whole(workdir, mode):
    """60,000 arguments (about 600 KB of cmdline) before the flags that matter."""
    state = os.path.join(workdir, "far-state")
    args = [b"--log-level", b"info"] * 30_000 + [b"--state-dir", state.encode(),
                                                  b"--no-demo", *addresses(workdir)]
    status, output = run_briefly(args, mode, workdir)
    assert status is None and b"whootd ready" in output, output[-2000:]
    assert os.path.isdir(state), f"the last flags were lost: {os.listdir(workdir)}"


@pytest.mark.parametrize("mode", MODES)
def test_empty_argument_is_refused_clearly(workdir, mode):
    status, output = run_briefly([b"", *addresses(workdir)], mode, workdir)
    assert status == 2, output[-1000:]
    first = output.decode(errors="replace").splitlines()[0]
    assert first.startswith("whootd:"), first
    status, output = run_briefly([b"--state-dir", b"", *addresses(workdir)], mode, workdir)
    assert status == 2 and b"state_dir needs a value" in output, output[-1000:]


@pytest.mark.parametrize("mode", MODES)
def test_non_utf8_state_dir_is_refused_or_used_exactly(workdir, mode):
    """A state directory whose name holds a byte that is not UTF-8 (a Latin-1 'é'):
    whootd must either use exactly that directory (the operator's existing database and
    keys) or refuse with a clear error. Starting on a directory of another name, a
    fresh database with fresh keys beside the real one, loses nothing visibly but serves
    an empty whoot."""
    wanted = os.path.join(workdir.encode(), b"caf\xe9")
    status, output = run_briefly([b"--state-dir", wanted, b"--no-demo", *addresses(workdir)],
                                 mode, workdir)
    made = sorted(os.listdir(workdir.encode()))
    if status is None:
        assert b"caf\xe9" in made, \
            f"asked for {wanted!r}, whootd made {made} instead (exit: still running)"
    else:
        assert status == 2 and b"UTF-8" in output or b"utf" in output.lower(), output[-800:]
        assert b"caf\xc3\xa9" not in made and b"caf\xef\xbf\xbd" not in made, made


def test_a_one_character_admin_socket_name_serves(workdir):
    """`--admin-socket a` (relative, one character) crashed whootd with SIGILL inside
    Foundation's path code before it was ready."""
    https, udp = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
    daemon = subprocess.Popen(
        [binary("WHOOTD", "whootd"), "--state-dir", "st", "--https", f"127.0.0.1:{https}",
         "--udp", f"127.0.0.1:{udp}", "--admin-socket", "a"],
        cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, env={**os.environ, "SWIFT_BACKTRACE": "enable=no"})
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(workdir, "a")):
            assert daemon.poll() is None, daemon.stdout.read().decode(errors="replace")
            assert time.monotonic() < deadline, "no admin socket within 30 s"
            time.sleep(0.2)
        listed = subprocess.run([binary("WHOOTCTL", "whootctl"), "--socket", "a", "tenant",
                                 "list"], cwd=workdir, capture_output=True, text=True,
                                timeout=20)
        assert listed.returncode == 0 and "demo" in listed.stdout, listed.stderr
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=15)

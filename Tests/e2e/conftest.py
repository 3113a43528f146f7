"""Fixtures that run a real whootd on loopback for the end-to-end tests.

Binaries: env WHOOTD / WHOOTCTL, else .build/debug/whootd and .build/debug/whootctl.
Every whootctl command line is spelled in `Daemon` below, in one place.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
READY_LINE = "whootd ready"
READY_TIMEOUT = 30.0  # seconds
CTL_TIMEOUT = 15.0  # seconds

# The self-check runs against a fake server; `pytest Tests/e2e/selfcheck` runs it on demand.
collect_ignore = [] if os.environ.get("WHOOT_SELFCHECK") else ["selfcheck"]


def binary(env: str, name: str) -> str:
    path = os.environ.get(env) or os.path.join(REPO, ".build", "debug", name)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{name} not found at {path} (set {env} or run `swift build`)")
    return path


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """A running whootd and the whootctl calls the tests need."""

    def __init__(self, workdir: str, log_path: str, extra_args=(), extra_env=None):
        self.extra_args = list(extra_args)
        self.extra_env = dict(extra_env or {})
        self.whootd = binary("WHOOTD", "whootd")
        self.whootctl = binary("WHOOTCTL", "whootctl")
        self.state_dir = os.path.join(workdir, "state")
        self.admin_socket = os.path.join(workdir, "admin.sock")  # short: sun_path limit
        self.https_port = free_port(socket.SOCK_STREAM)
        self.udp_port = free_port(socket.SOCK_DGRAM)
        self.base_url = f"https://127.0.0.1:{self.https_port}"
        self.udp_addr = ("127.0.0.1", self.udp_port)
        self.log_path = log_path
        self.proc = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "Daemon":
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.whootd, "--state-dir", self.state_dir,
             "--https", f"127.0.0.1:{self.https_port}",
             "--udp", f"127.0.0.1:{self.udp_port}",
             "--admin-socket", self.admin_socket, *self.extra_args],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "SWIFT_BACKTRACE": "enable=no", **self.extra_env})
        deadline = time.monotonic() + READY_TIMEOUT
        while READY_LINE not in self.output():
            if self.proc.poll() is not None:
                pytest.fail(f"whootd exited with {self.proc.returncode} before it was "
                            f"ready; output:\n{self.output()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"whootd printed no '{READY_LINE}' within {READY_TIMEOUT}s; "
                            f"output:\n{self.output()[-4000:]}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()

    def output(self) -> str:
        with open(self.log_path, "rb") as log:
            return log.read().decode(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    # -- whootctl ----------------------------------------------------------------------------

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([self.whootctl, "--socket", self.admin_socket, *args],
                                capture_output=True, text=True, timeout=CTL_TIMEOUT,
                                stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            pytest.fail(f"whootctl {' '.join(args[:3])} failed ({result.returncode}): "
                        f"{result.stderr.strip()}")
        return result

    def token(self, tenant: str, channel: str, member: str) -> str:
        out = self.ctl("token", "join", "--tenant", tenant, "--channel", channel,
                       "--member", member).stdout
        lines = out.strip().splitlines()
        assert len(lines) == 1 and lines[0].strip(), \
            f"whootctl token join printed {len(lines)} lines, want the token alone"
        return lines[0].strip()

    def create_tenant(self, slug: str, name: str) -> None:
        self.ctl("tenant", "create", "--slug", slug, "--name", name)

    def create_channel(self, tenant: str, name: str) -> None:
        self.ctl("channel", "create", "--tenant", tenant, "--name", name)

    def invite_member(self, tenant: str, handle: str, email: str) -> None:
        self.ctl("member", "invite", "--tenant", tenant, "--handle", handle, "--email", email)

    def assign(self, tenant: str, channel: str, member: str) -> None:
        self.ctl("assign", "--tenant", tenant, "--channel", channel, "--member", member)

    def add_member(self, tenant: str, channel: str, handle: str) -> None:
        """Invites `handle` to `tenant` and assigns it to `channel` (both must exist)."""
        self.invite_member(tenant, handle, f"{handle}@example.invalid")
        self.assign(tenant, channel, handle)


@contextlib.contextmanager
def daemon_in(workdir: str, log_path, extra_args=()):
    """A whootd in `workdir` for the block: it must still be alive at the end; then it is
    stopped and `workdir` removed."""
    running = Daemon(workdir, str(log_path), extra_args=list(extra_args))
    try:
        yield running.start()
        assert running.alive(), \
            f"whootd died during the test; output:\n{running.output()[-4000:]}"
    finally:
        running.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        print(f"whootd output: {log_path}")


@contextlib.contextmanager
def daemon_configured(config_text: str, log_dir):
    """A whootd for the block reading `config_text` as its whootd.conf; its output goes to
    `log_dir`/whootd.log."""
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    config = os.path.join(workdir, "whootd.conf")
    with open(config, "w") as out:
        out.write(config_text)
    log_path = os.path.join(str(log_dir), "whootd.log")
    with daemon_in(workdir, log_path, ["--config", config]) as running:
        yield running


@pytest.fixture
def daemon(tmp_path):
    """A whootd started for one test, with the seeded demo/lobby, alice and bob."""
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    with daemon_in(workdir, tmp_path / "whootd.log") as running:
        yield running


@pytest.fixture
def outdir(tmp_path):
    """A directory of the test's own for --out files (tmp_path also holds the daemon's
    log)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def hanging_admin_socket(path):
    """An admin socket that accepts and never answers: whootctl waits mid-export."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    return server, held

"""Break-it round 17: `make run` from a fresh clone, then Ctrl-C (SIGINT to its process
group): whootd must stop cleanly and "whootd stopped" reach the terminal and
state/whootd.log. The clone reuses this tree's built binaries (WHOOTD, WHOOTCTL) and make
is told `build` and `setup` are up to date (-o), so no second build runs on shared cores."""

import os
import shutil
import signal
import subprocess
import time

from conftest import REPO, binary, free_port
import socket


def test_ctrl_c_on_make_run_in_a_fresh_clone_stops_whootd_and_says_so(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", REPO, str(clone)], check=True, timeout=60)
    state = tmp_path / "state"
    https = free_port(socket.SOCK_STREAM)
    env = {**os.environ, "WHOOT_STATE_DIR": str(state),
           "WHOOT_HTTPS": f"127.0.0.1:{https}",
           "WHOOT_UDP": f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}",
           "WHOOT_ADMIN_SOCKET": str(tmp_path / "a.sock"),
           "WHOOTD": binary("WHOOTD", "whootd"), "WHOOTCTL": binary("WHOOTCTL", "whootctl"),
           "SWIFT_BACKTRACE": "enable=no"}
    terminal = open(tmp_path / "terminal.txt", "wb")
    make = subprocess.Popen(["make", "-o", "build", "-o", "setup", "run"], cwd=clone,
                            env=env, stdout=terminal, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 40
        while "Press Ctrl-C" not in (tmp_path / "terminal.txt").read_text(errors="replace"):
            assert make.poll() is None, (tmp_path / "terminal.txt").read_text()
            assert time.monotonic() < deadline, (tmp_path / "terminal.txt").read_text()
            time.sleep(0.2)
        daemons = subprocess.run(["pgrep", "-s", str(make.pid), "-x", "whootd"],
                                 capture_output=True, text=True).stdout.split()
        assert len(daemons) == 1, daemons
        os.killpg(make.pid, signal.SIGINT)
        make.wait(timeout=20)
        time.sleep(0.5)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        terminal.close()
    shown = (tmp_path / "terminal.txt").read_text(errors="replace")
    logged = (state / "whootd.log").read_text(errors="replace")
    assert not os.path.exists(f"/proc/{daemons[0]}"), "whootd still running"
    assert "whootd stopped" in shown, shown[-2000:]
    assert "whootd stopped" in logged, logged[-2000:]
    assert "signal=SIGKILL" not in shown and "Killed" not in shown, shown[-2000:]
    shutil.rmtree(clone, ignore_errors=True)

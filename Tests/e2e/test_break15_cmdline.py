"""Break-it round 15: non-UTF-8 bytes in whootd's and whootctl's arguments (config path,
socket paths, values) and in a config file's values. Each must be refused with one clear
line naming the argument, create nothing under a substituted name, and leave the daemon
serving; UTF-8 beyond ASCII must still work as before."""

import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import Daemon, binary, free_port
from test_break14_cmdline import addresses, run_briefly

LATIN1 = b"caf\xe9"


@pytest.fixture
def workdir():
    path = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    yield path
    shutil.rmtree(path.encode(), ignore_errors=True)


def refused(status, output, index=None):
    text = output.decode(errors="replace")
    assert status == 2, f"exit {status}: {text[-800:]}"
    first = text.strip().splitlines()[0]
    assert "UTF-8" in first, first
    if index is not None:
        assert f"argument {index}" in first, first
    assert "\ufffd" not in text, text


def made(workdir):
    names = []
    for root, dirs, files in os.walk(workdir.encode()):
        names += [os.path.join(root, n) for n in dirs + files]
    return names


def test_non_utf8_config_path_is_refused_and_the_latin1_file_not_read(workdir):
    config = os.path.join(workdir.encode(), LATIN1 + b".conf")
    with open(config, "wb") as out:
        out.write(b"state_dir = " + os.path.join(workdir, "s").encode() + b"\n")
    status, output = run_briefly([b"--config", config, *addresses(workdir)], "plain", workdir)
    refused(status, output, 2)
    assert not os.path.exists(os.path.join(workdir, "s"))


def test_non_utf8_admin_socket_is_refused(workdir):
    args = addresses(workdir)
    args[-1] = os.path.join(workdir.encode(), LATIN1 + b".sock")
    status, output = run_briefly([b"--state-dir", os.path.join(workdir, "s").encode(),
                                  *args], "plain", workdir)
    refused(status, output)
    assert not any(n.endswith(b".sock") for n in made(workdir)), made(workdir)


def test_non_utf8_value_in_the_config_file_is_refused_as_a_whole(workdir):
    config = os.path.join(workdir, "whootd.conf")
    with open(config, "wb") as out:
        out.write(b"state_dir = " + os.path.join(workdir.encode(), LATIN1) + b"\n")
    status, output = run_briefly([b"--config", config.encode(), *addresses(workdir)],
                                 "plain", workdir)
    text = output.decode(errors="replace")
    assert status == 2 and "UTF-8" in text, text[-800:]
    assert made(workdir) == [config.encode()] or all(
        not n.startswith(os.path.join(workdir.encode(), b"caf")) for n in made(workdir)), \
        made(workdir)


def ctl(daemon, *args):
    return subprocess.run([daemon.whootctl.encode(), *args], capture_output=True,
                          timeout=15, stdin=subprocess.DEVNULL)


def test_whootctl_refuses_non_utf8_socket_and_values_and_the_daemon_serves_on(daemon):
    sock = daemon.admin_socket.encode()
    bad_socket = ctl(daemon, b"--socket", sock[:-4] + b"\xff.sock", b"tenant", b"list")
    refused(bad_socket.returncode, bad_socket.stderr, 2)

    bad_name = ctl(daemon, b"--socket", sock, b"channel", b"create", b"--tenant", b"demo",
                   b"--name", LATIN1)
    refused(bad_name.returncode, bad_name.stderr, 8)
    listed = daemon.ctl("channel", "list", "--tenant", "demo").stdout
    assert "caf" not in listed, listed

    # A lone continuation byte, an overlong encoding and a surrogate (CESU) are not UTF-8.
    for value in (b"\x80", b"\xc0\xaf", b"\xed\xa0\x80"):
        result = ctl(daemon, b"--socket", sock, b"channel", b"create", b"--tenant",
                     b"demo", b"--name", b"x" + value)
        refused(result.returncode, result.stderr, 8)
    assert daemon.alive()


def test_utf8_beyond_ascii_works_as_before(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    home = os.path.join(workdir, "caf\u00e9-\u00fc")
    os.mkdir(home)
    daemon = Daemon(home, str(tmp_path / "whootd.log"))
    try:
        daemon.start()
        assert os.path.isdir(os.path.join(home, "state"))
        daemon.create_tenant("cafe", "Caf\u00e9 \u2615 \U0001F3B5")
        listed = daemon.ctl("tenant", "list").stdout
        assert "Caf\u00e9 \u2615 \U0001F3B5" in listed, listed
    finally:
        daemon.stop()
        shutil.rmtree(workdir, ignore_errors=True)

"""Break round 12: hostile and damaged whootd.conf files. whootd must refuse to start with one
clear line naming the file, the line and the problem, and never half-start."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import READY_LINE, binary

WAIT_S = 12.0


def attempt(config: bytes = None, config_path: str = None):
    """Runs whootd on a fresh state dir with `config`; returns (exit code or None if it became
    ready, output, workdir facts). A daemon that got ready is stopped."""
    workdir = tempfile.mkdtemp(prefix="whoot-b12c-", dir="/tmp")
    try:
        path = config_path or os.path.join(workdir, "whootd.conf")
        if config is not None:
            with open(path, "wb") as out:
                out.write(config)
        state = os.path.join(workdir, "state")
        sock = os.path.join(workdir, "a.sock")
        log = os.path.join(workdir, "out.log")
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [binary("WHOOTD", "whootd"), "--config", path, "--state-dir", state,
                 "--https", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--admin-socket", sock],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "SWIFT_BACKTRACE": "enable=no"})
            deadline = time.monotonic() + WAIT_S
            code = None
            while time.monotonic() < deadline:
                code = proc.poll()
                text = open(log, "rb").read().decode(errors="replace")
                if code is not None or READY_LINE in text:
                    break
                time.sleep(0.1)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=15)
                code = None
        text = open(log, "rb").read().decode(errors="replace")
        return code, text, os.path.exists(state), os.path.exists(sock)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def assert_refused(config, line, word, config_path=None):
    code, out, state_made, socket_made = attempt(config, config_path)
    assert code not in (None, 0), f"whootd started; output:\n{out[-2000:]}"
    assert READY_LINE not in out and not socket_made and not state_made, out[-2000:]
    lines = out.strip().splitlines()
    assert len(lines) == 1, f"want one line, got {len(lines)}:\n{out[:2000]}"
    assert len(out) < 1000, f"a {len(out)}-byte refusal line"
    assert "Error Domain" not in out and "NSCocoa" not in out, out
    if line is not None:
        assert f"whootd.conf:{line}:" in out, out
    assert word in out, out
    return out


@pytest.mark.parametrize("config,line,word", [
    (b"log_level = info\nbogus_key = 1\n", 2, "bogus_key"),
    (b"drain_seconds = 5\n# x\ndrain_seconds = 6\n", 3, "twice"),
    (b"drain_seconds = -1\n", 1, "drain_seconds"),
    (b"join_token_ttl = 99999999999999999999999999\n", 1, "join_token_ttl"),
    (b"https = 127.0.0.1\n", 1, "https"),
    (b"udp = 127.0.0.1:70000\n", 1, "udp"),
    (b"seed_demo = yes please\n", 1, "seed_demo"),
    (b"just some words\n", 1, "key = value"),
    (b"# pad\n" * 200000 + b"nope = 1\n", 200001, "nope"),
], ids=["unknown", "duplicate", "negative", "overflow", "no-port", "bad-port", "bool",
        "no-equals", "huge-file"])
def test_bad_configuration_is_refused_in_one_line_naming_file_and_line(config, line, word):
    assert_refused(config, line, word)


def test_crlf_configuration_is_not_silently_ignored():
    # A file saved with CRLF line endings that starts with a comment, like the shipped
    # whootd.conf. Swift treats "\r\n" as one Character, so splitting on "\n" finds one
    # line: the comment swallows the whole file, and whootd starts on defaults.
    config = b"# whootd.conf\r\nbogus_key = 1\r\nlog_level = nonsense\r\n"
    code, out, _, _ = attempt(config)
    assert code not in (None, 0), \
        f"whootd ignored every line of a CRLF config and started:\n{out[-1500:]}"
    assert "bogus_key" in out, out


def test_crlf_value_does_not_swallow_the_following_lines():
    config = b"log_level = debug\r\ndrain_seconds = 5\r\n"
    code, out, _, _ = attempt(config)
    lines = out.strip().splitlines()
    assert code is None or len(lines) == 1, f"refusal spans {len(lines)} lines:\n{out[:800]}"
    assert "drain_seconds = 5" not in out, f"the next line leaked into one value:\n{out[:800]}"


def test_binary_junk_is_refused_with_a_clear_line():
    assert_refused(b"log_level = info\n\xff\xfe\x00\x01 = \x80\n", None, "whootd.conf")


def test_directory_as_configuration_is_refused_with_a_clear_line(tmp_path):
    directory = tmp_path / "whootd.conf"
    directory.mkdir()
    assert_refused(None, None, "directory", config_path=str(directory))


def test_huge_unknown_key_does_not_echo_megabytes():
    assert_refused(b"x" * (2 * 1024 * 1024) + b" = 1\n", 1, "unknown setting")

"""Operating whootd: the hardened unit, the notify protocol, drain, reload and metrics."""

import asyncio
import os
import re
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import REPO, Daemon
from peer import connected_pair, http_request_sync
from stun import binding_request

UNIT = os.path.join(REPO, "systemd", "whootd.service")


def unit_with_built_binary(tmp_path) -> str:
    """The shipped unit, pointing at the binary this test run built."""
    whootd = os.environ.get("WHOOTD") or os.path.join(REPO, ".build", "debug", "whootd")
    with open(UNIT) as source:
        text = source.read().replace("/usr/local/bin/whootd", whootd)
    path = tmp_path / "whootd.service"
    path.write_text(text)
    return str(path)


def test_unit_passes_verify_and_scores_at_most_1_5(tmp_path):
    unit = unit_with_built_binary(tmp_path)
    verify = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr

    security = subprocess.run(["systemd-analyze", "security", "--offline=true", unit],
                              capture_output=True, text=True)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", security.stdout)
    assert match, security.stdout[-2000:]
    print(f"systemd-analyze security exposure: {match.group(1)}")
    assert float(match.group(1)) <= 1.5


class NotifyListener:
    """A NOTIFY_SOCKET that records every datagram with the time it came."""

    def __init__(self, directory: str):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []

    def poll(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            self.messages.append((time.monotonic(), data.decode()))

    def wait_for(self, needle: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, message in self.messages:
                if needle in message.split("\n"):
                    return at
            self.poll(0.2)
        pytest.fail(f"no {needle} within {timeout}s; got {[m for _, m in self.messages]}")


def https_accepts(port: int) -> bool:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as raw:
            with context.wrap_socket(raw, server_hostname="localhost"):
                return True
    except OSError:
        return False


def udp_answers(port: int) -> bool:
    """A STUN Binding request for an unknown user gets an error response: UDP serves."""
    request = binding_request("nobody:probe", "not-a-password")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1)
        sock.sendto(request, ("127.0.0.1", port))
        try:
            return len(sock.recv(2048)) >= 20
        except socket.timeout:
            return False


def test_notify_ready_after_ports_accept_watchdog_pings_and_stopping_on_sigterm(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    listener = NotifyListener(workdir)
    daemon = Daemon(workdir, str(tmp_path / "whootd.log"),
                    extra_env={"NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"})
    daemon.start()
    try:
        listener.wait_for("READY=1", timeout=10)
        # READY came only once both ports serve: they must serve right now.
        assert https_accepts(daemon.https_port)
        assert udp_answers(daemon.udp_port)

        listener.poll(3.0)
        pings = [at for at, m in listener.messages if "WATCHDOG=1" in m.split("\n")]
        assert len(pings) >= 4, f"{len(pings)} watchdog pings in ~3 s at a 1 s watchdog"
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert max(gaps) < 1.0, f"a watchdog gap of {max(gaps):.2f}s exceeds the interval"

        daemon.proc.send_signal(signal.SIGTERM)
        listener.wait_for("STOPPING=1", timeout=5)
        assert daemon.proc.wait(timeout=20) == 0
    finally:
        daemon.stop()


def scrape(daemon) -> dict:
    status, _, body = http_request_sync(daemon.base_url, "GET", "/metrics")
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            key = sample.name + "".join(f"{{{k}={v}}}" for k, v in sorted(sample.labels.items()))
            samples[key] = sample.value
    return samples


def test_metrics_parse_and_move_with_the_traffic(daemon):
    before = scrape(daemon)
    assert before["whoot_sessions"] == 0

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob")):
            return scrape(daemon)

    during = asyncio.run(call())
    assert during["whoot_sessions"] == 2
    assert during["whoot_channels"] == 1
    assert during["whoot_rtp_forwarded_total"] >= 150
    assert during["whoot_packets_in_total"] > before["whoot_packets_in_total"]
    assert during["whoot_dtls_handshakes_total"] == 2
    assert during.get("whoot_http_requests_total{code=201}", 0) == 2
    assert during["whoot_http_request_duration_seconds_count"] >= 2

    # Garbage on the UDP port is dropped and counted by reason.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(50):
            sock.sendto(b"\x80" + os.urandom(40), daemon.udp_addr)
    time.sleep(0.5)
    after = scrape(daemon)
    assert after["whoot_drops_total{reason=unknown_address}"] >= \
        during["whoot_drops_total{reason=unknown_address}"] + 50


def self_signed(directory, name: str) -> str:
    path = os.path.join(directory, name)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-subj", f"/CN={name}",
                    "-days", "1", "-keyout", path + ".key", "-out", path + ".crt"],
                   check=True, capture_output=True)
    with open(path, "w") as pem:
        pem.write(open(path + ".crt").read() + open(path + ".key").read())
    os.chmod(path, 0o600)
    return path


def served_certificate_cn(port: int) -> str:
    der = ssl.get_server_certificate(("127.0.0.1", port))
    out = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=der,
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("CN")[-1].strip(" =")


def test_sighup_serves_a_new_certificate_and_the_call_goes_on(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    first = self_signed(workdir, "first")
    second = self_signed(workdir, "second")
    live = os.path.join(workdir, "tls.pem")
    os.replace(first, live)
    config = os.path.join(workdir, "whootd.conf")
    with open(config, "w") as out:
        out.write(f"# test configuration\ntls_certificate = {live}\nlog_level = info\n")
    daemon = Daemon(workdir, str(tmp_path / "whootd.log"), extra_args=["--config", config])
    daemon.start()

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob"), frames=50) as (_, bob):
            assert served_certificate_cn(daemon.https_port) == "first"

            os.replace(second, live)
            daemon.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while served_certificate_cn(daemon.https_port) != "second":
                assert time.monotonic() < deadline, "the new certificate was never served"
                await asyncio.sleep(0.2)

            frames = bob.frames_received
            await asyncio.sleep(2.0)
            assert bob.frames_received >= frames + 50, "the call stopped after the reload"
            assert abs(bob.dominant_frequency() - 440) < 10

    try:
        asyncio.run(call())
        assert daemon.alive()
    finally:
        daemon.stop()


def test_a_bad_configuration_is_refused_with_a_clear_line(tmp_path):
    whootd = os.environ.get("WHOOTD") or os.path.join(REPO, ".build", "debug", "whootd")
    cases = {
        "udp = 127.0.0.1:3478\nwhat_is_this = 1\n": "bad.conf:2: unknown setting what_is_this",
        "state_dir =\n": "bad.conf:1: state_dir needs a value",
        "drain_seconds = 5\ndrain_seconds = 6\n": "bad.conf:2: drain_seconds is set twice",
        "https = 127.0.0.1:99999\n": "bad.conf:1: https takes HOST:PORT",
        "allowed_origins = https://a.example, ftp://b.example\n":
            "bad.conf:1: allowed_origins: ftp://b.example is not an https:// origin",
        "rejoin_grace_seconds = 5\n": "bad.conf:1: rejoin_grace_seconds",
    }
    config = tmp_path / "bad.conf"
    for text, message in cases.items():
        config.write_text(text)
        result = subprocess.run([whootd, "--config", str(config)], capture_output=True,
                                text=True, timeout=20, cwd=tmp_path)
        assert result.returncode == 2, (text, result.stderr)
        assert message in result.stderr, (text, result.stderr)
    assert not (tmp_path / "whoot.db").exists(), "a refused configuration wrote state"


def test_a_body_dribbled_a_byte_at_a_time_is_cut_at_the_connection_timeout(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    config = os.path.join(workdir, "whootd.conf")
    with open(config, "w") as out:
        out.write("http_connection_timeout = 2\n")
    daemon = Daemon(workdir, str(tmp_path / "whootd.log"), extra_args=["--config", config])
    daemon.start()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        raw = socket.create_connection(("127.0.0.1", daemon.https_port), timeout=5)
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"POST /v1/login HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            started = time.monotonic()
            cut = None
            while time.monotonic() - started < 15:
                try:
                    tls.sendall(b" ")
                except OSError:
                    cut = time.monotonic() - started
                    break
                time.sleep(0.5)
            assert cut is not None, "a dribbling client held its connection for 15 s"
            assert cut < 6, f"cut only after {cut:.1f} s with a 2 s timeout"
        assert https_accepts(daemon.https_port)
    finally:
        daemon.stop()

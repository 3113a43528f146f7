"""Break round 3: origin spoofing against the CORS of /whip, the page's CSP, and what
`allowed_origins` lets into that CSP. A failing test shows a finding."""

import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import Daemon
from peer import http_request_sync

LISTED = "https://voice.example.org:8443"
SPOOFS = [
    "https://voice.example.org",            # default port, not the listed one
    "https://voice.example.org:443",
    "https://voice.example.org:84430",
    "https://voice.example.org.:8443",      # trailing dot
    "http://voice.example.org:8443",        # scheme downgrade
    "https://evil.voice.example.org:8443",  # sub-domain
    "https://voice.example.org.evil.com:8443",
    "https://voice.example.org:8443.evil.com",
    "https://xvoice.example.org:8443",
    "https://user@voice.example.org:8443",  # userinfo
    "https://voice.example.org:8443@evil.com",
    "https://voice.example.org:8443/path",
    "https://voice.example.org:8443, https://evil.com",
    "https://voice.example.org:8443 https://evil.com",
    "null",
    "file://",
    "",
    "*",
]


def run_with_config(tmp_path, text: str) -> Daemon:
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    config = os.path.join(workdir, "whootd.conf")
    with open(config, "w") as out:
        out.write(text)
    return Daemon(workdir, str(tmp_path / "whootd.log"), extra_args=["--config", config])


@pytest.fixture
def listed(tmp_path):
    running = run_with_config(tmp_path, f"allowed_origins = {LISTED}\n")
    try:
        yield running.start()
        assert running.alive(), f"whootd died; output:\n{running.output()[-4000:]}"
    finally:
        running.stop()


def preflight(daemon, origin: str, path: str = "/whip"):
    return http_request_sync(daemon.base_url, "OPTIONS", path, b"", {
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})


def test_spoofed_origins_get_no_cors_grant(listed):
    for origin in SPOOFS:
        for path in ("/whip", "/whip/route", "/whip/abc"):
            status, headers, _ = preflight(listed, origin, path)
            assert status == 403 and "access-control-allow-origin" not in headers, \
                f"preflight {path} from {origin!r}: {status} {headers}"
        status, headers, _ = http_request_sync(listed.base_url, "GET", "/whip/route", b"", {
            "Origin": origin, "Authorization": "Bearer wjt_" + "A" * 43})
        assert "access-control-allow-origin" not in headers, (origin, headers)
    status, headers, _ = preflight(listed, LISTED)
    assert status == 204 and headers["access-control-allow-origin"] == LISTED


def test_only_whip_paths_answer_cross_origin(listed):
    # The control API (/v1) holds session tokens: it must not be opened to the listed
    # origin by the WHIP CORS rules.
    for path in ("/v1/login", "/v1/me", "/metrics", "/"):
        status, headers, _ = preflight(listed, LISTED, path)
        assert "access-control-allow-origin" not in headers, (path, status, headers)
    status, headers, _ = http_request_sync(listed.base_url, "POST", "/v1/login",
                                           b'{"tenant":"demo","handle":"x","password":"y"}', {
        "Origin": LISTED, "Content-Type": "application/json"})
    assert "access-control-allow-origin" not in headers, headers


def test_the_page_may_connect_only_to_listed_origins(listed):
    _, headers, _ = http_request_sync(listed.base_url, "GET", "/")
    policy = headers["content-security-policy"]
    directives = [d.strip() for d in policy.split(";")]
    connect = [d for d in directives if d.startswith("connect-src")]
    assert connect == [f"connect-src 'self' {LISTED}"], policy
    assert "script-src 'unsafe-inline'" not in policy and "*" not in policy


@pytest.mark.parametrize("value", [
    "https://voice.example.org; report-uri https://evil.example.com/r",
    "https://voice.example.org https:",
    "https://*",
    "http://voice.example.org",
    "https://voice.example.org.",
    "https://voice.example.org:99999",
])
def test_allowed_origins_refuses_what_is_not_one_origin(tmp_path, value):
    # Each value widens the page's CSP (a directive injected, every https: host allowed
    # to connect) yet is accepted as "scheme://host:port". whootd should refuse it.
    running = run_with_config(tmp_path, f"allowed_origins = {value}\n")
    try:
        result = subprocess.run(
            [running.whootd, "--state-dir", running.state_dir, "--config",
             running.extra_args[1], "--https", f"127.0.0.1:{running.https_port}",
             "--udp", f"127.0.0.1:{running.udp_port}", "--admin-socket",
             running.admin_socket, "--no-demo"],
            capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL)
        outcome = f"exit {result.returncode}"
    except subprocess.TimeoutExpired as timed_out:
        output = (timed_out.stdout or b"").decode(errors="replace")
        outcome = f"still running after 5 s; said {output[-300:]!r}"
    finally:
        shutil.rmtree(os.path.dirname(running.state_dir), ignore_errors=True)
    assert outcome.startswith("exit") and outcome != "exit 0", \
        f"allowed_origins = {value!r} accepted: {outcome}"

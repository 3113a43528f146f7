"""Break round 11: the built-in page. Hostile channel names and join links must render as
text in headless Chromium with no CSP violation; every route carries the security headers;
the API grants no other origin; the join token leaks neither to the log nor stays in the
address bar. A failing test shows a finding."""

import os
import shutil
import tempfile
import time

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from browser import CHROMEDRIVER, CHROMIUM, wait_for_state, write_tone_wav
from conftest import Daemon
from peer import http_request_sync
from test_control_plane import member_with_password, set_password

HOSTILE = [
    '<img src=x onerror="window.pwned=1">',
    '"><script>window.pwned=2</script>',
    "javascript:window.pwned=3",
    "\u202egnp.exe\u202c <b>bold</b>",
]


@pytest.fixture
def debug_daemon(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    running = Daemon(workdir, str(tmp_path / "whootd.log"), extra_args=["--log-level", "debug"])
    try:
        yield running.start()
    finally:
        running.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def chromium(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    wav = write_tone_wav(tmp_path / "tone.wav", 440, seconds=2)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-audio-capture={wav}", "--ignore-certificate-errors",
                 "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER,
                                              log_output=str(tmp_path / "chromedriver.log")),
                              options=options)
    driver.set_page_load_timeout(20)
    return driver


def csp_violations(driver) -> list:
    return [e["message"] for e in driver.get_log("browser")
            if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]


def injected(driver):
    return driver.execute_script(
        "return [window.pwned === undefined ? null : String(window.pwned),"
        " document.querySelectorAll('img[src=x], script:not(:first-of-type), b').length];")


def test_hostile_names_are_refused_and_login_page_keeps_the_csp(debug_daemon, tmp_path):
    daemon = debug_daemon
    daemon.ctl("mfa", "policy", "--tenant", "demo", "disabled")
    admin = member_with_password(daemon, "demo", "hana", "admin", [], channel="lobby")
    lobby = admin.ids()[0]["lobby"]
    for name in HOSTILE:
        assert daemon.ctl("channel", "create", "--tenant", "demo", "--name", name,
                          check=False).returncode != 0, name
        assert daemon.ctl("member", "invite", "--tenant", "demo", "--handle", name,
                          check=False).returncode != 0, name
        status, body = admin.call("POST", "/v1/channels", {"name": name})
        assert status == 400, (name, status, body)
        status, body = admin.call("PATCH", f"/v1/channels/{lobby}", {"name": name})
        assert status == 400, (name, status, body)
    password = f"hana-{os.urandom(6).hex()}"
    set_password(daemon, "demo", "hana", password, [])
    driver = chromium(tmp_path)
    try:
        driver.get(daemon.base_url + "/")
        for field, value in (("tenant", "demo"), ("handle", "hana"), ("password", password)):
            driver.find_element("id", field).send_keys(value)
        driver.execute_script("document.querySelector('#login button').click();")
        wait_for_state(driver, "signed-in", 15)
        labels = driver.execute_script(
            "return Array.from(document.querySelectorAll('#channels button'))"
            ".map(function (b) { return b.textContent; });")
        assert labels == ["Join lobby"], labels
        assert injected(driver) == [None, 0], injected(driver)
        assert not csp_violations(driver)
    finally:
        driver.quit()


def test_hostile_join_links_show_text_and_keep_the_csp(debug_daemon, tmp_path):
    daemon = debug_daemon
    driver = chromium(tmp_path)
    try:
        for bad in HOSTILE:
            for link in (f"/#token={bad}&autojoin=1", f"/?autojoin=1&token={bad}"):
                driver.get(daemon.base_url + link)
                deadline = time.monotonic() + 15
                state = ""
                while not state.startswith("failed") and time.monotonic() < deadline:
                    time.sleep(0.2)
                    state = driver.execute_script("return String(window.whootState);")
                assert state.startswith("failed"), (link, state)
                assert injected(driver) == [None, 0], (link, injected(driver))
                violations = csp_violations(driver)
                assert not violations, (link, violations)
    finally:
        driver.quit()


def test_join_token_leaves_the_address_bar_and_is_not_logged(debug_daemon, tmp_path):
    daemon = debug_daemon
    token = daemon.token("demo", "lobby", "alice")
    query_token = daemon.token("demo", "lobby", "bob")
    status, _, _ = http_request_sync(daemon.base_url, "GET", f"/?token={query_token}")
    assert status == 200
    driver = chromium(tmp_path)
    try:
        driver.get(f"{daemon.base_url}/#token={token}")
        wait_for_state(driver, "idle", 10)
        assert token not in driver.page_source
        where = driver.execute_script("return location.href;")
        assert token not in where, \
            "the join token stays in the address bar and history after the page read it"
    finally:
        driver.quit()
        time.sleep(0.5)
        assert token not in daemon.output() and query_token not in daemon.output()


ROUTES = [("GET", "/"), ("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/v1/me"),
          ("GET", "/whip"), ("GET", "/nowhere"), ("POST", "/v1/login"),
          ("GET", "/whip/route"), ("DELETE", "/whip/x"), ("GET", "/v1/audit/export"),
          ("GET", "/api/recordings/1/audio.ogg"), ("OPTIONS", "/v1/login")]


def test_every_route_has_security_headers_and_grants_no_other_origin(debug_daemon):
    daemon = debug_daemon
    evil = "https://evil.example"
    for method, path in ROUTES:
        status, headers, _ = http_request_sync(
            daemon.base_url, method, path, b"", {"Origin": evil,
                                                 "Authorization": "Bearer wst_" + "A" * 43})
        where = f"{method} {path} -> {status}"
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), where
        assert "default-src 'none'" in headers.get("content-security-policy", ""), where
        assert headers.get("strict-transport-security", "").startswith("max-age="), where
        assert headers.get("x-frame-options") == "DENY", where
        assert headers.get("x-content-type-options") == "nosniff", where
        assert headers.get("referrer-policy") == "no-referrer", where
        assert "access-control-allow-origin" not in headers, where
        assert "access-control-allow-credentials" not in headers, where

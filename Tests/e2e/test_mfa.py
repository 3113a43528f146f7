"""MFA with TOTP against a real whootd: the QR codes (SVG from the API, terminal blocks from
whootctl) decode with zbarimg to the otpauth:// URI, pyotp's codes from that URI are
accepted, replays and far codes are refused, brute force is throttled, recovery codes work
once, each policy allows and refuses what it should, and headless Chromium enrols on the
built-in page."""

import os
import re
import subprocess
import time
import zlib

import pyotp
import pytest

from browser import start_chromium, wait_for_state, write_tone_wav
from test_control_plane import Api, set_password


def user(daemon, tenant, handle, role="member", secrets=None, channel="lobby"):
    """A member with a password, signed in (no MFA yet); returns (api, password)."""
    daemon.ctl("member", "invite", "--tenant", tenant, "--handle", handle, "--role", role,
               "--email", f"{handle}@{tenant}.example")
    daemon.assign(tenant, channel, handle)
    password = f"pw-{handle}-{os.urandom(6).hex()}"
    set_password(daemon, tenant, handle, password, secrets if secrets is not None else [])
    return Api(daemon, []).login(tenant, handle, password), password


def write_pgm(path, rows, scale=4):
    """A binary PGM of a module matrix (True = dark) with a 4-module quiet zone."""
    size = len(rows) + 8
    pixels = bytearray()
    for y in range(size):
        line = bytearray()
        for x in range(size):
            dark = 4 <= y < size - 4 and 4 <= x < size - 4 and rows[y - 4][x - 4]
            line += bytes([0 if dark else 255]) * scale
        pixels += bytes(line) * scale
    with open(path, "wb") as out:
        out.write(b"P5 %d %d 255\n" % (size * scale, size * scale) + bytes(pixels))


def svg_modules(svg):
    """The module matrix of the server's SVG: one `M x y h s v s h -s z` per dark module."""
    side = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    squares = [tuple(map(int, m)) for m in re.findall(r"M(\d+) (\d+)h(\d+)", svg)]
    scale = squares[0][2]
    n = side // scale - 8
    rows = [[False] * n for _ in range(n)]
    for x, y, _ in squares:
        rows[y // scale - 4][x // scale - 4] = True
    return rows


def terminal_modules(text):
    """The module matrix of whootctl's half-block QR (two module rows per line)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in text.splitlines()]
    rows = []
    for line in lines:
        rows.append([c in "\u2588\u2580" for c in line])
        rows.append([c in "\u2588\u2584" for c in line])
    n = len(lines[0]) - 8
    return [row[4:4 + n] for row in rows[4:4 + n]]


def zbar(path):
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, f"zbarimg found no QR code in {path}: {result.stderr}"
    return result.stdout.strip()


def settle():
    """Waits out the end of a 30 s step, so a code made now is verified in the same step."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)


def enrol(api, tmp_path):
    status, body = api.call("POST", "/v1/mfa/enroll", {})
    assert status == 200, body
    png = tmp_path / "enrol-qr.pgm"
    write_pgm(png, svg_modules(body["qr_svg"]))
    assert zbar(png) == body["uri"]
    totp = pyotp.parse_uri(body["uri"])
    settle()
    status, confirmed = api.call("POST", "/v1/mfa/confirm", {"code": totp.now()})
    assert status == 200, confirmed
    assert len(set(confirmed["recovery_codes"])) == 10
    return totp, confirmed["recovery_codes"]


def second_step(daemon, tenant, handle, password, **factor):
    api = Api(daemon, [])
    status, body = api.call("POST", "/v1/login",
                            {"tenant": tenant, "handle": handle, "password": password})
    assert status == 200 and body["mfa_required"] and "token" not in body, body
    return api.call("POST", "/v1/login/mfa", {"challenge": body["challenge"], **factor})


def test_qr_codes_decode_to_the_uri_and_pyotp_codes_log_in_once(daemon, tmp_path):
    api, password = user(daemon, "demo", "carol")
    totp, recovery = enrol(api, tmp_path)

    # The confirmation used this step; the next step's code (one step of skew) logs in.
    status, body = second_step(daemon, "demo", "carol", password,
                               code=totp.at(time.time() + 30))
    assert status == 200 and body["token"].startswith("wst_"), body
    status, _ = second_step(daemon, "demo", "carol", password, code=totp.at(time.time() + 30))
    assert status == 401, "a used code was accepted again"
    settle()
    status, _ = second_step(daemon, "demo", "carol", password,
                            code=totp.at(time.time() + 90))
    assert status == 401, "a code three steps ahead was accepted"
    for bad in ("12345", "1234567", "abcdef", "12 456"):
        status, _ = second_step(daemon, "demo", "carol", password, code=bad)
        assert status == 400, f"malformed code {bad!r} answered {status}"

    for code in recovery[:2]:
        status, _ = second_step(daemon, "demo", "carol", password, recovery_code=code)
        assert status == 200
        status, _ = second_step(daemon, "demo", "carol", password, recovery_code=code)
        assert status == 401, "a recovery code worked twice"

    # whootctl's terminal QR for another member decodes to the URI it prints.
    daemon.ctl("member", "invite", "--tenant", "demo", "--handle", "dave")
    out = daemon.ctl("mfa", "enroll", "--tenant", "demo", "--member", "dave").stdout
    uri = out.strip().splitlines()[-1]
    assert uri.startswith("otpauth://totp/whoot:dave%40demo?secret=")
    write_pgm(tmp_path / "terminal-qr.pgm", terminal_modules(out[:out.rindex("\n", 0, -1)]))
    assert zbar(tmp_path / "terminal-qr.pgm") == uri
    assert pyotp.parse_uri(uri).secret not in daemon.output()


def test_brute_force_is_throttled_and_audited(daemon, tmp_path):
    owner, _ = user(daemon, "demo", "olga", role="owner")
    api, password = user(daemon, "demo", "erin")
    totp, _ = enrol(api, tmp_path)
    wrong = "000000" if totp.now() != "000000" else "111111"
    statuses = [second_step(daemon, "demo", "erin", password, code=wrong)[0] for _ in range(6)]
    assert statuses == [401] * 5 + [429], statuses
    status, _ = second_step(daemon, "demo", "erin", password, code=totp.at(time.time() + 30))
    assert status == 429, "the right code got through a throttled member"

    status, body = owner.call("GET", "/v1/audit")
    actions = [event["action"] for event in body["events"]]
    assert actions.count("mfa.failure") == 5
    for action in ("mfa.enroll", "mfa.confirm", "login.mfa_challenge"):
        assert action in actions


def test_each_policy_allows_and_refuses_through_api_and_whootctl(daemon, tmp_path):
    owner, _ = user(daemon, "demo", "olga", role="owner")
    api, password = user(daemon, "demo", "frank")
    status, body = owner.call("GET", "/v1/channels")
    lobby = body["channels"][0]["id"]

    daemon.ctl("mfa", "policy", "--tenant", "demo", "disabled")
    assert api.call("POST", "/v1/mfa/enroll", {})[0] == 403
    assert api.call("POST", f"/v1/channels/{lobby}/join-token")[0] == 201

    daemon.ctl("mfa", "policy", "--tenant", "demo", "enforced")
    for method, path in (("GET", "/v1/channels"), ("POST", f"/v1/channels/{lobby}/join-token"),
                         ("GET", "/v1/members")):
        assert api.call(method, path)[0] == 403, path
    refused = daemon.ctl("token", "join", "--tenant", "demo", "--channel", "lobby",
                         "--member", "frank", check=False)
    assert refused.returncode == 1 and "MFA" in refused.stderr
    assert api.call("GET", "/v1/mfa")[1]["enrollment_required"] is True

    enrol(api, tmp_path)
    assert api.call("POST", f"/v1/channels/{lobby}/join-token")[0] == 201
    assert daemon.token("demo", "lobby", "frank")

    daemon.ctl("mfa", "policy", "--tenant", "demo", "optional")
    assert owner.call("GET", "/v1/channels")[0] == 200
    status, body = Api(daemon, []).call("POST", "/v1/login", {
        "tenant": "demo", "handle": "frank", "password": password})
    assert body.get("mfa_required") is True

    daemon.ctl("mfa", "reset", "--tenant", "demo", "--member", "frank")
    status, body = Api(daemon, []).call("POST", "/v1/login", {
        "tenant": "demo", "handle": "frank", "password": password})
    assert status == 200 and "token" in body
    actions = [e["action"] for e in owner.call("GET", "/v1/audit")[1]["events"]]
    assert actions.count("mfa.policy.change") == 3 and "mfa.reset" in actions


def test_chromium_enrols_on_the_page(daemon, tmp_path):
    daemon.ctl("mfa", "policy", "--tenant", "demo", "enforced")
    _, password = user(daemon, "demo", "gina")
    wav = write_tone_wav(tmp_path / "tone.wav", 440, seconds=1.0)
    driver = start_chromium(wav, tmp_path / "chromedriver.log")
    try:
        driver.set_window_size(900, 1200)
        driver.get(daemon.base_url + "/")
        wait_for_state(driver, "idle", timeout=15)
        for field, value in (("tenant", "demo"), ("handle", "gina"), ("password", password)):
            driver.find_element("id", field).send_keys(value)
        driver.find_element("css selector", "#login button").click()
        wait_for_state(driver, "enrol", timeout=15)
        driver.find_element("id", "enrol-start").click()
        wait_for_state(driver, "enrol-scan", timeout=15)

        shot = tmp_path / "mfa-enrol.png"
        driver.save_screenshot(str(shot))
        print(f"enrolment screenshot: {shot}")
        uri = driver.find_element("id", "uri").text
        assert zbar(shot) == uri
        settle()
        driver.find_element("id", "confirm-code").send_keys(pyotp.parse_uri(uri).now())
        driver.find_element("css selector", "#enrol-confirm button").click()
        wait_for_state(driver, "enrolled", timeout=15)
        codes = driver.find_element("id", "codes").text.splitlines()[1:]
        assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{5}-[a-z2-7]{5}", c) for c in codes)
        assert "Join lobby" in driver.find_element("id", "channels").text
        driver.save_screenshot(str(tmp_path / "mfa-enrolled.png"))
    finally:
        driver.quit()

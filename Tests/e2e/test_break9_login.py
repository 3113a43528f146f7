"""Break-it round 9: password guessing past the login throttle, MFA bypasses and replays,
and what the audit log and whootd's output keep of it all."""

import concurrent.futures
import json
import os
import time

import pyotp

from peer import http_request_sync
from test_control_plane import Api, member_with_password, set_password, assert_no_secret_left
from test_mfa import settle

ACCOUNT_LIMIT = 5  # README: 5 failures per account per 15 min
IP_LIMIT = 50  # README: 50 failures per IP per 15 min


def login_raw(daemon, tenant, handle, password, headers=None):
    body = json.dumps({"tenant": tenant, "handle": handle, "password": password}).encode()
    status, _, payload = http_request_sync(
        daemon.base_url, "POST", "/v1/login", body,
        {"Content-Type": "application/json", **(headers or {})})
    return status, json.loads(payload) if payload else None


def audit_events(api):
    _, body = api.call("GET", "/v1/audit")
    return body["events"]


def test_concurrent_wrong_passwords_are_held_to_the_account_limit(daemon):
    secrets = []
    owner = member_with_password(daemon, "demo", "olive", "owner", secrets)
    set_password(daemon, "demo", "bob", f"pw-bob-{os.urandom(6).hex()}", secrets)

    # 24 guesses at once: each is checked against the throttle before its Argon2 hash
    # is verified, so every guess that starts before the first failure is counted gets a
    # full password check.
    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        results = list(pool.map(
            lambda i: login_raw(daemon, "demo", "bob", f"guess-{i}"), range(24)))
    checked = [s for s, _ in results if s == 401]
    refused = [s for s, _ in results if s == 429]
    assert len(checked) + len(refused) == 24, results
    failures = [e for e in audit_events(owner)
                if e["action"] == "login.failure" and e["target"].startswith("member:")]
    assert len(checked) <= ACCOUNT_LIMIT, (
        f"{len(checked)} of 24 concurrent guesses had their password checked "
        f"({len(failures)} login.failure entries); the account limit is {ACCOUNT_LIMIT}")


def test_forwarded_for_does_not_reset_the_account_or_ip_throttle(daemon):
    secrets = []
    owner = member_with_password(daemon, "demo", "olive", "owner", secrets)
    password = f"pw-bob-{os.urandom(6).hex()}"
    set_password(daemon, "demo", "bob", password, secrets)
    for i in range(ACCOUNT_LIMIT):
        assert login_raw(daemon, "demo", "bob", f"wrong-{i}")[0] == 401
    spoofs = [{"X-Forwarded-For": "203.0.113.9"}, {"X-Real-IP": "203.0.113.10"},
              {"Forwarded": "for=203.0.113.11"}, {"X-Forwarded-For": "127.0.0.1, 1.2.3.4"}]
    for headers in spoofs:
        status, body = login_raw(daemon, "demo", "bob", password, headers)
        assert status == 429, f"{headers}: {status} {body}"
    # The per-IP limit: spread guesses over unknown handles, then a fresh account.
    for i in range(IP_LIMIT - ACCOUNT_LIMIT):
        status, _ = login_raw(daemon, "demo", f"nobody{i}", "x",
                              {"X-Forwarded-For": f"198.51.100.{i}"})
        assert status == 401, (i, status)
    status, body = login_raw(daemon, "demo", "alice", "x", {"X-Forwarded-For": "192.0.2.1"})
    assert status == 429, f"the 51st failure from one IP was checked: {status} {body}"
    logged = daemon.output()
    assert password not in logged
    ips = {e["ip"] for e in audit_events(owner) if e["action"] == "login.failure"}
    assert ips == {"127.0.0.1"}, f"audit took a client-supplied address: {ips}"


def enrolled(daemon, handle, role, secrets, channel="lobby"):
    api = member_with_password(daemon, "demo", handle, role, secrets, channel=channel)
    password = secrets[-2]
    status, body = api.call("POST", "/v1/mfa/enroll", {})
    assert status == 200, body
    totp = pyotp.parse_uri(body["uri"])
    secrets.append(totp.secret)
    # A wrong code does not confirm the enrolment.
    settle()
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    status, body = api.call("POST", "/v1/mfa/confirm", {"code": wrong})
    assert status in (400, 401, 403), body
    status, state = api.call("GET", "/v1/mfa")
    assert state["enrolled"] is False and state["pending"] is True, state
    status, body = api.call("POST", "/v1/mfa/confirm", {"code": totp.now()})
    assert status == 200, body
    secrets.extend(body["recovery_codes"])
    return api, password, totp, body["recovery_codes"]


def challenge(daemon, handle, password):
    status, body = login_raw(daemon, "demo", handle, password)
    assert status == 200 and body.get("mfa_required") and "token" not in body, body
    return body["challenge"]


def test_mfa_cannot_be_skipped_replayed_or_reused(daemon):
    secrets = []
    owner = member_with_password(daemon, "demo", "olive", "owner", secrets)
    assert owner.call("PUT", "/v1/mfa/policy", {"policy": "enforced"})[0] == 200
    # The owner's own session is held back until they enrol.
    assert owner.call("GET", "/v1/members")[0] == 403
    owner_api, owner_pw, owner_totp, _ = enrolled(daemon, "ivy", "owner", secrets)
    # A member who has not enrolled: the first-factor session opens nothing but enrolment.
    lazy = member_with_password(daemon, "demo", "lazy", "admin", secrets)
    _, members = owner_api.ids()
    channels, _ = owner_api.ids()
    lobby = channels["lobby"]
    blocked = []
    for method, path, body in (
            ("GET", "/v1/members", None), ("GET", "/v1/channels", None),
            ("POST", f"/v1/channels/{lobby}/join-token", None), ("GET", "/v1/audit", None),
            ("GET", "/v1/audit/export", None), ("GET", "/v1/audit/verify", None),
            ("POST", "/v1/reviews", None), ("GET", "/api/recordings", None),
            ("PUT", "/v1/mfa/policy", {"policy": "disabled"}),
            ("DELETE", f"/v1/members/{members['bob']}/mfa", None),
            ("PUT", f"/api/channels/{lobby}/recording", {"enabled": True})):
        got = lazy.call(method, path, body)
        if got[0] != 403:
            blocked.append(f"{method} {path}: {got}")
    assert not blocked, "a not-enrolled session under enforced MFA got through:\n" + \
        "\n".join(blocked)

    # An enrolled member: the challenge is no session token.
    member_api, member_pw, totp, recovery = enrolled(daemon, "emma", "admin", secrets)
    first = challenge(daemon, "emma", member_pw)
    secrets.append(first)
    probe = Api(daemon, [])
    probe.token = first
    assert probe.call("GET", "/v1/me")[0] == 401
    assert probe.call("GET", "/v1/members")[0] == 401

    # The code used at confirmation cannot log in again in the same step, and a code
    # that logged in once cannot log in a second time.
    settle()
    code = totp.now()
    status, body = probe.call("POST", "/v1/login/mfa", {"challenge": first, "code": code})
    if status == 200:
        secrets.append(body["token"])
    second = challenge(daemon, "emma", member_pw)
    status2, body2 = probe.call("POST", "/v1/login/mfa", {"challenge": second, "code": code})
    assert status2 != 200, f"the same TOTP code logged in twice: {body2}"
    # A used challenge is spent.
    status3, _ = probe.call("POST", "/v1/login/mfa", {"challenge": first, "code": code})
    assert status3 == 401

    # A recovery code works once.
    third = challenge(daemon, "emma", member_pw)
    status, body = probe.call("POST", "/v1/login/mfa",
                              {"challenge": third, "recovery_code": recovery[0]})
    assert status == 200, body
    secrets.append(body["token"])
    fourth = challenge(daemon, "emma", member_pw)
    status, body = probe.call("POST", "/v1/login/mfa",
                              {"challenge": fourth, "recovery_code": recovery[0]})
    assert status != 200, f"a recovery code logged in twice: {body}"

    # Nobody turns their own MFA off or re-enrols over it without the old factor.
    _, members = owner_api.ids()
    assert member_api.call("DELETE", f"/v1/members/{members['emma']}/mfa")[0] == 403
    assert member_api.call("POST", "/v1/mfa/enroll", {})[0] == 409
    # An admin cannot reset an owner's MFA.
    assert member_api.call("DELETE", f"/v1/members/{members['ivy']}/mfa")[0] == 403

    # Audit: every step above left its entry; no secret is in the log or the output.
    actions = [e["action"] for e in audit_events(owner_api)]
    for action in ("mfa.policy", "mfa.enroll", "mfa.confirm", "login"):
        assert any(a.startswith(action) for a in actions), (action, sorted(set(actions)))
    assert_no_secret_left(daemon, secrets)

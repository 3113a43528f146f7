"""Break round 6: every JSON route of the control API fed malformed JSON, wrong types,
huge numbers, deep nesting and unicode edge cases. Each must answer 4xx with a JSON
error, and nothing may change: channels, members, roles, MFA policy, recording settings."""

import json

import pytest

from test_control_plane import member_with_password

MALFORMED = [
    ("truncated", b'{"name": "x"'),
    ("array", b"[]"),
    ("null", b"null"),
    ("bare string", b'"x"'),
    ("number", b"1"),
    ("trailing garbage", b'{"name": "x"} {}'),
    ("single quotes", b"{'name': 'x'}"),
    ("wrong type", b'{"name": 1, "role": 2, "handle": [], "email": {}, "code": 1.5, '
                   b'"policy": true, "member": 1.5, "decision": 7, "enabled": "yes", '
                   b'"retention_days": "x", "algorithm": 1, "token": 1, "password": 1}'),
    ("huge number", b'{"name": 1e400, "retention_days": 1e400, "member": 1e400}'),
    ("huge integer", b'{"name": 123456789012345678901234567890, '
                     b'"retention_days": 123456789012345678901234567890, '
                     b'"member": 123456789012345678901234567890}'),
    ("negative zero", b'{"retention_days": -0, "member": -0, "role": -0}'),
    ("lone surrogate", b'{"name": "\\ud800", "role": "\\udfff", "member": "\\ud800"}'),
    ("invalid UTF-8", b'{"name": "\xff\xfe", "member": "\xc0\xaf"}'),
    ("overlong UTF-8", b'{"name": "\xe0\x80\xaf"}'),
    ("NUL escaped", b'{"role": "admin\\u0000", "policy": "\\u0000"}'),
    ("raw control", b'{"name": "a\x01b\x1f", "role": "a\nb"}'),
    ("duplicate key", b'{"role": "member", "role": "owner", "name": "a", "name": "b"}'),
    ("unknown field", b'{"__proto__": {"role": "owner"}, "constructor": 1}'),
    ("deep nesting", b'{"name": ' + b"[" * 3000 + b"]" * 3000 + b"}"),
    ("deep object", b'{"member": ' + b'{"a":' * 2000 + b"1" + b"}" * 2000 + b"}"),
    ("empty", b""),
]

# (method, path, open route?) of every route taking a body; ids filled in by `routes`.
ROUTES = [
    ("POST", "/v1/login", True),
    ("POST", "/v1/login/mfa", True),
    ("POST", "/v1/invitations/accept", True),
    ("POST", "/v1/logout", False),
    ("POST", "/v1/members", False),
    ("PUT", "/v1/members/{bob}/role", False),
    ("DELETE", "/v1/members/{bob}", False),
    ("DELETE", "/v1/members/{bob}/mfa", False),
    ("POST", "/v1/mfa/enroll", False),
    ("POST", "/v1/mfa/confirm", False),
    ("PUT", "/v1/mfa/policy", False),
    ("POST", "/v1/channels", False),
    ("PATCH", "/v1/channels/{lobby}", False),
    ("DELETE", "/v1/channels/{lobby}", False),
    ("PUT", "/v1/channels/{lobby}/members/{carol}", False),
    ("DELETE", "/v1/channels/{lobby}/members/{bob}", False),
    ("POST", "/v1/channels/{lobby}/join-token", False),
    ("POST", "/v1/reviews", False),
    ("POST", "/v1/reviews/{review}/decisions", False),
    ("POST", "/v1/reviews/{review}/complete", False),
    ("PUT", "/api/channels/{lobby}/recording", False),
]


def snapshot(api, lobby):
    """What an accepted malformed request could have changed."""
    _, channels = api.call("GET", "/v1/channels")
    _, members = api.call("GET", "/v1/members")
    _, mfa = api.call("GET", "/v1/mfa")
    _, recording = api.call("GET", f"/api/channels/{lobby}/recording")
    _, me = api.call("GET", "/v1/me")
    return json.dumps([channels, members, mfa, recording, me], sort_keys=True)


def review_count(api, first: int) -> int:
    """How many reviews exist from id `first` on (ids are consecutive)."""
    count = 0
    while api.call("GET", f"/v1/reviews/{first + count}")[0] == 200:
        count += 1
    return count


@pytest.fixture
def owner(daemon):
    secrets = []
    daemon.invite_member("demo", "carol", "carol@demo.example")
    api = member_with_password(daemon, "demo", "root", "owner", secrets)
    status, review = api.call("POST", "/v1/reviews", raw=b"",
                              content_type="application/json")
    assert status == 201, (status, review)
    return api, review["id"]


def error_of(status, body) -> str:
    assert isinstance(body, dict) and isinstance(body.get("error"), str) \
        and len(body["error"]) >= 8, f"{status} without a clear JSON error: {body!r}"
    return body["error"]


def test_malformed_bodies_on_every_json_route_get_a_json_4xx_and_change_nothing(daemon, owner):
    api, review = owner
    channels, members = api.ids()
    ids = {"bob": members["bob"], "carol": members["carol"], "lobby": channels["lobby"],
           "review": review}
    before = snapshot(api, ids["lobby"])
    reviews_before = review_count(api, review)

    wrong = []
    for method, template, _ in ROUTES:
        path = template.format(**ids)
        for name, raw in MALFORMED:
            if name == "empty" and (method == "DELETE" or method == "PUT" and "/members/"
                                    in path and "role" not in path):
                continue  # an empty body is a valid call on these routes
            if name == "empty" and path.endswith(("join-token", "complete", "enroll",
                                                  "logout", "/v1/reviews")):
                continue
            status, body = api.call(method, path, raw=raw)
            if not (400 <= status < 500):
                wrong.append(f"{method} {path} {name}: {status} {str(body)[:80]}")
                continue
            try:
                error_of(status, body)
            except AssertionError as error:
                wrong.append(f"{method} {path} {name}: {error}"[:160])

    after = snapshot(api, ids["lobby"])
    reviews_after = review_count(api, review)
    assert daemon.alive()
    assert not wrong, f"{len(wrong)} answers not a JSON 4xx:\n" + "\n".join(wrong[:40])
    assert after == before, "a refused request changed state"
    assert reviews_after == reviews_before, "a malformed body started an access review"


@pytest.mark.parametrize("path", ["/v1/channels/99999999999999999999999",
                                  "/v1/channels/-1", "/v1/channels/0x10", "/v1/channels/%00",
                                  "/v1/channels/1e3", "/v1/channels/%F0%9F%92%A9",
                                  "/v1/reviews/99999999999999999999999/complete",
                                  "/v1/members/-9223372036854775808/role"])
def test_odd_ids_in_paths_get_a_json_4xx(daemon, owner, path):
    api, _ = owner
    method = "POST" if path.endswith("complete") else "PUT" if "role" in path else "PATCH"
    status, body = api.call(method, path, {"name": "renamed"} if method == "PATCH"
                            else {"role": "member"} if method == "PUT" else None)
    assert 400 <= status < 500, (path, status, body)
    error_of(status, body)


@pytest.mark.parametrize("name", ["\u202eevil", "a\u200bb", "e\u0301", "\U0001F4A9" * 10,
                                  "x" * 5000, " ", "\u00a0", "\ufeff", "lobby\u0000"])
def test_unicode_channel_names_are_kept_exactly_or_refused_clearly(daemon, owner, name):
    api, _ = owner
    status, body = api.call("POST", "/v1/channels", {"name": name})
    assert status < 500, (name, status, body)
    if status >= 400:
        error_of(status, body)
        return
    channels, _ = api.ids()
    assert name in channels, f"created {name!r} but the list has {sorted(channels)[:10]}"


@pytest.mark.parametrize("case", ["unknown field", "text/plain", "over 8 KiB"])
def test_a_review_decision_body_is_read_as_strictly_as_the_other_v1_bodies(daemon, owner,
                                                                            case):
    """README: the control-plane API takes one JSON object, no unknown fields, at most
    8 KiB, as application/json."""
    api, review = owner
    body = {"member": "bob", "decision": "approve", "comment": "ok"}
    content_type = "application/json"
    if case == "unknown field":
        body["bogus"] = 1
    elif case == "text/plain":
        content_type = "text/plain"
    else:
        body["comment"] = "c" * (9 * 1024)
    status, reply = api.call("POST", f"/v1/reviews/{review}/decisions",
                             raw=json.dumps(body).encode(), content_type=content_type)
    assert 400 <= status < 500, f"{case}: {status} {str(reply)[:120]}"

"""Break-it round 9: an attacker with a real account in tenant `demo` (A) reaches for
tenant `beta` (B) and past their own role over the HTTPS control API.

Every id of B used with A's session must answer exactly as an id that does not exist
(same status, same message once the id itself is blanked), change nothing of B's and
leave no entry in B's audit log."""

import json
import os
import re

from test_control_plane import Api, member_with_password, assert_no_secret_left

MISSING = 999_999  # an id no tenant has in a fresh daemon


def norm(payload, ids):
    """The answer with every id in `ids` replaced by "N", to compare messages."""
    text = payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True)
    for value in ids:
        text = re.sub(rf"\b{value}\b", "N", text)
    return text


def tenant_b(daemon, secrets):
    """Tenant beta with a channel `vault`, an owner and a member; an open review too."""
    daemon.create_tenant("beta", "Beta")
    daemon.create_channel("beta", "vault")
    owner_b = member_with_password(daemon, "beta", "boss", "owner", secrets)
    member_with_password(daemon, "beta", "mole", "member", secrets, channel="vault")
    status, review = owner_b.call("POST", "/v1/reviews")
    assert status == 201, review
    channels, members = owner_b.ids()
    return owner_b, channels["vault"], members, review["id"]


def b_state(owner_b):
    """Everything of B's that A might change: channels, members, roles, assignments."""
    _, channels = owner_b.call("GET", "/v1/channels")
    _, members = owner_b.call("GET", "/v1/members")
    _, events = owner_b.call("GET", "/v1/audit")
    return channels, members, events["events"]


def test_b_ids_with_a_session_answer_like_missing_ids_and_change_nothing(daemon):
    secrets = []
    owner_b, vault, b_members, b_review = tenant_b(daemon, secrets)
    a_owner = member_with_password(daemon, "demo", "ada", "owner", secrets)
    a_channels, a_members = a_owner.ids()
    lobby, alice = a_channels["lobby"], a_members["alice"]
    mole = b_members["mole"]
    before = b_state(owner_b)

    # (method, path with {c} channel / {m} member / {r} review, body)
    routes = [
        ("PATCH", "/v1/channels/{c}", {"name": "pwned"}),
        ("PUT", "/v1/channels/{c}/members/" + str(alice), None),
        ("DELETE", "/v1/channels/{c}/members/" + str(alice), None),
        ("PUT", f"/v1/channels/{lobby}/members/{{m}}", None),
        ("DELETE", f"/v1/channels/{lobby}/members/{{m}}", None),
        ("POST", "/v1/channels/{c}/join-token", None),
        ("PUT", "/v1/members/{m}/role", {"role": "admin"}),
        ("DELETE", "/v1/members/{m}/mfa", None),
        ("GET", "/v1/reviews/{r}", None),
        ("GET", "/v1/reviews/{r}/report", None),
        ("POST", "/v1/reviews/{r}/decisions",
         {"member": alice, "decision": "approve", "comment": "x"}),
        ("POST", "/v1/reviews/{r}/complete", None),
        ("GET", "/api/channels/{c}/recording", None),
        ("PUT", "/api/channels/{c}/recording", {"enabled": True}),
        ("GET", "/api/recordings?channel={c}", None),
        ("DELETE", "/v1/members/{m}", None),
        ("DELETE", "/v1/channels/{c}", None),
    ]
    findings = []
    for method, template, body in routes:
        real = template.format(c=vault, m=mole, r=b_review)
        fake = template.format(c=MISSING, m=MISSING, r=MISSING)
        got_b = a_owner.call(method, real, body)
        got_missing = a_owner.call(method, fake, body)
        ids = {vault, mole, b_review, MISSING}
        if got_b[0] != got_missing[0] or norm(got_b[1], ids) != norm(got_missing[1], ids):
            findings.append(f"{method} {template}: B's id {got_b}, missing id {got_missing}")
        if got_b[0] < 400:
            findings.append(f"{method} {template} with B's id succeeded: {got_b}")
    # A review decision naming B's member by id, in A's own review.
    status, a_review = a_owner.call("POST", "/v1/reviews")
    assert status == 201, a_review
    for member in (mole, MISSING):
        got = a_owner.call("POST", f"/v1/reviews/{a_review['id']}/decisions",
                           {"member": member, "decision": "revoke", "comment": "x"})
        findings.append(norm(got[1], {mole, MISSING, a_review["id"]}) + f" {got[0]}")
    assert findings[-1] == findings[-2], findings[-2:]
    findings = findings[:-2]

    assert not findings, "\n".join(findings)
    after = b_state(owner_b)
    assert after[0] == before[0] and after[1] == before[1], "B's directory changed"
    a_actors = [e for e in after[2][len(before[2]):] if e["actor"] != f"member:{owner_b_id(owner_b)}"]
    assert not a_actors, f"A's requests left entries in B's audit log: {a_actors}"


def owner_b_id(owner_b):
    _, me = owner_b.call("GET", "/v1/me")
    return me["member_id"]


def test_a_session_token_never_reads_b(daemon):
    secrets = []
    owner_b, vault, _, _ = tenant_b(daemon, secrets)
    a_owner = member_with_password(daemon, "demo", "ada", "owner", secrets)
    for path in ("/v1/channels", "/v1/members", "/v1/audit", "/api/recordings"):
        _, body = a_owner.call("GET", path)
        text = json.dumps(body)
        assert "vault" not in text and "boss" not in text and "mole" not in text, (path, text)
    _, csv_text = a_owner.call("GET", "/v1/audit/export")
    assert "beta" not in str(csv_text) and "boss" not in str(csv_text)
    # Logging in with B's slug and A's credentials fails like any wrong password.
    got = Api(daemon, []).call("POST", "/v1/login",
                               {"tenant": "beta", "handle": "ada", "password": "x"})
    assert got[0] == 401, got


def test_roles_cannot_be_exceeded(daemon):
    secrets = []
    owner = member_with_password(daemon, "demo", "olive", "owner", secrets)
    admin = member_with_password(daemon, "demo", "adam", "admin", secrets)
    member = member_with_password(daemon, "demo", "mona", "member", secrets, channel="lobby")
    auditor = member_with_password(daemon, "demo", "audrey", "auditor", secrets)
    channels, members = owner.ids()
    lobby, bob = channels["lobby"], members["bob"]
    o_id, a_id, m_id, au_id = (members[h] for h in ("olive", "adam", "mona", "audrey"))
    status, review = owner.call("POST", "/v1/reviews")
    assert status == 201
    admin_routes = [
        ("POST", "/v1/channels", {"name": "evil"}),
        ("PATCH", f"/v1/channels/{lobby}", {"name": "evil"}),
        ("PUT", f"/v1/channels/{lobby}/members/{bob}", None),
        ("DELETE", f"/v1/channels/{lobby}/members/{bob}", None),
        ("POST", "/v1/members", {"handle": "evil"}),
        ("PUT", f"/v1/members/{bob}/role", {"role": "admin"}),
        ("PUT", f"/v1/members/{m_id}/role", {"role": "admin"}),
        ("DELETE", f"/v1/members/{bob}/mfa", None),
        ("PUT", "/v1/mfa/policy", {"policy": "disabled"}),
        ("POST", "/v1/reviews", None),
        ("POST", f"/v1/reviews/{review['id']}/decisions",
         {"member": bob, "decision": "revoke", "comment": "x"}),
        ("POST", f"/v1/reviews/{review['id']}/complete", None),
        ("PUT", f"/api/channels/{lobby}/recording", {"enabled": True}),
        ("GET", "/api/recordings", None),
        ("DELETE", f"/v1/members/{bob}", None),
        ("DELETE", f"/v1/channels/{lobby}", None),
    ]
    wrong = []
    for who, api in (("member", member), ("auditor", auditor)):
        for method, path, body in admin_routes:
            got = api.call(method, path, body)
            if got[0] != 403:
                wrong.append(f"{who} {method} {path}: {got}")
    for method, path in (("GET", "/v1/audit"), ("GET", "/v1/audit/export"),
                         ("GET", "/v1/audit/verify"), ("GET", f"/v1/reviews/{review['id']}")):
        got = member.call(method, path)
        if got[0] != 403:
            wrong.append(f"member {method} {path}: {got[0]}")

    # An admin trying owner-only things, and deciding on their own access.
    admin_owner_things = [
        ("PUT", f"/v1/members/{o_id}/role", {"role": "member"}),
        ("PUT", f"/v1/members/{a_id}/role", {"role": "owner"}),
        ("PUT", f"/v1/members/{bob}/role", {"role": "owner"}),
        ("DELETE", f"/v1/members/{o_id}", None),
        ("DELETE", f"/v1/members/{o_id}/mfa", None),
        ("DELETE", f"/v1/members/{a_id}/mfa", None),
        ("POST", "/v1/members", {"handle": "evilowner", "role": "owner"}),
        ("POST", f"/v1/reviews/{review['id']}/decisions",
         {"member": a_id, "decision": "approve", "comment": "me"}),
        ("POST", f"/v1/reviews/{review['id']}/decisions",
         {"member": "adam", "decision": "modify", "role": "owner", "comment": "me"}),
        ("POST", f"/v1/reviews/{review['id']}/decisions",
         {"member": o_id, "decision": "revoke", "comment": "bye"}),
        ("POST", f"/v1/reviews/{review['id']}/decisions",
         {"member": bob, "decision": "modify", "role": "owner", "comment": "friend"}),
    ]
    for method, path, body in admin_owner_things:
        got = admin.call(method, path, body)
        if got[0] != 403:
            wrong.append(f"admin {method} {path} {body}: {got}")
    # The owner cannot change or remove themselves either.
    for method, path, body in (("PUT", f"/v1/members/{o_id}/role", {"role": "admin"}),
                               ("DELETE", f"/v1/members/{o_id}", None)):
        got = owner.call(method, path, body)
        if got[0] != 403:
            wrong.append(f"owner on self {method} {path}: {got}")
    assert not wrong, "\n".join(wrong)

    _, after = owner.call("GET", "/v1/members")
    roles = {m["handle"]: (m["role"], m["status"]) for m in after["members"]}
    assert roles["olive"] == ("owner", "active") and roles["adam"] == ("admin", "active")
    assert roles["bob"][0] == "member" and roles["mona"] == ("member", "active")
    assert "evil" not in roles and "evilowner" not in roles
    assert_no_secret_left(daemon, secrets)


def test_sessions_end_on_logout_removal_and_role_change(daemon):
    secrets = []
    owner = member_with_password(daemon, "demo", "olive", "owner", secrets)
    quitter = member_with_password(daemon, "demo", "quinn", "admin", secrets)
    removed = member_with_password(daemon, "demo", "rita", "admin", secrets)
    demoted = member_with_password(daemon, "demo", "dora", "admin", secrets)
    _, members = owner.ids()

    assert quitter.call("POST", "/v1/logout")[0] == 204
    assert owner.call("DELETE", f"/v1/members/{members['rita']}")[0] == 200
    assert owner.call("PUT", f"/v1/members/{members['dora']}/role",
                      {"role": "member"})[0] == 200
    for who, api in (("logged out", quitter), ("removed", removed), ("demoted", demoted)):
        for method, path, body in (("GET", "/v1/me", None), ("GET", "/v1/members", None),
                                   ("POST", "/v1/channels", {"name": "x" + who[:3]}),
                                   ("GET", "/v1/audit/export", None),
                                   ("GET", "/api/recordings", None)):
            got = api.call(method, path, body)
            assert got[0] == 401, f"{who} session still works: {method} {path} {got}"
    # A removed member's password no longer logs in either.
    got = Api(daemon, []).call("POST", "/v1/login",
                               {"tenant": "demo", "handle": "rita", "password": secrets[4]})
    assert got[0] == 401, got
    assert_no_secret_left(daemon, secrets)

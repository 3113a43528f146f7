"""Break round 11: secrets at rest. A whootd at debug level records a call, has members with
passwords, MFA and recovery codes, makes exports and deletes a recording by hand; then every
file of the state directory is walked (modes) and searched, after the database pages are
decrypted with the database key, for every secret used and for the deleted recording's row.
A failing test shows a finding."""

import asyncio
import base64
import json
import os
import shutil
import tempfile
import time

import pyotp
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conftest import Daemon
from peer import connected_pair, http_request_sync
from test_control_plane import Api, set_password
from test_mfa import settle

RESERVE = 32  # bytes at the end of every sealed page: nonce 12, tag 16, key id 4


def open_page(key: bytes, page: bytes, first: bool) -> bytes:
    """The clear text of one sealed page, without checking its tag: GCM's body is AES-CTR
    from counter 2 under the 12-byte nonce; page 1 keeps bytes 16..23 in clear."""
    if page.count(0) == len(page):
        return page
    body, nonce = page[:-RESERVE], page[-RESERVE:-RESERVE + 12]
    ctr = Cipher(algorithms.AES(key), modes.CTR(nonce + b"\x00\x00\x00\x02")).decryptor()
    if first:
        sealed = body[:16] + body[24:]
        clear = ctr.update(sealed) + ctr.finalize()
        return clear[:16] + body[16:24] + clear[16:]
    return ctr.update(body) + ctr.finalize()


def decrypted_database(state_dir: str, key: bytes) -> dict:
    """{file: clear bytes} of whoot.db (every page) and its WAL (every frame in the file,
    current or left over from earlier checkpoints)."""
    out = {}
    db_path = next(os.path.join(r, f) for r, _, fs in os.walk(state_dir) for f in fs
                   if f.endswith(".db"))
    raw = open(db_path, "rb").read()
    size = int.from_bytes(raw[16:18], "big") or 65536
    pages = [raw[i:i + size] for i in range(0, len(raw), size)]
    out[db_path] = b"".join(open_page(key, p, i == 0) for i, p in enumerate(pages))
    wal_path = db_path + "-wal"
    if os.path.exists(wal_path):
        wal = open(wal_path, "rb").read()
        frames = []
        for at in range(32, len(wal) - 24 - size + 1, 24 + size):
            frames.append(open_page(key, wal[at + 24:at + 24 + size], False))
        out[wal_path] = b"".join(frames)
    return out


def accept_invitation(daemon, handle: str, secrets: list) -> str:
    daemon.ctl("member", "invite", "--tenant", "demo", "--handle", handle, "--role", "admin")
    invitation = daemon.ctl("member", "invitation", "--tenant", "demo",
                            "--member", handle).stdout.strip()
    password = f"{handle}-invited-{os.urandom(6).hex()}"
    secrets += [invitation, password]
    status, _, body = http_request_sync(
        daemon.base_url, "POST", "/v1/invitations/accept",
        json.dumps({"token": invitation, "password": password}).encode(),
        {"Content-Type": "application/json"})
    assert status in (200, 201), body
    return password


def variants(secret: bytes) -> list:
    return [secret, secret.hex().encode(), base64.b64encode(secret),
            base64.urlsafe_b64encode(secret).rstrip(b"=")]


@pytest.fixture
def recorder(tmp_path):
    workdir = tempfile.mkdtemp(prefix="whoot-", dir="/tmp")
    running = Daemon(workdir, str(tmp_path / "whootd.log"), extra_args=["--log-level", "debug"],
                     extra_env={"WHOOT_RECORDING_IDLE_MS": "1000"})
    try:
        yield running.start()
    finally:
        running.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def recordings(daemon):
    return json.loads(daemon.ctl("--json", "recording", "list", "--tenant", "demo")
                      .stdout)["recordings"]


def record_call(daemon, secrets: list) -> None:
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "on")

    async def call():
        a, b = daemon.token("demo", "lobby", "alice"), daemon.token("demo", "lobby", "bob")
        secrets.extend([a, b])
        async with connected_pair(daemon.base_url, a, b) as (alice, bob):
            secrets.extend(t for t in (alice.rejoin_token, bob.rejoin_token) if t)
            await asyncio.sleep(1.5)

    asyncio.run(call())
    daemon.ctl("recording", "settings", "--tenant", "demo", "--channel", "lobby",
               "--enabled", "off")


def test_no_secret_or_deleted_recording_survives_in_the_state_directory(recorder, tmp_path):
    daemon, secrets = recorder, []
    record_call(daemon, secrets)
    record_call(daemon, secrets)
    deadline = time.monotonic() + 15
    while not (len(recordings(daemon)) == 2 and all(r["complete"] for r in recordings(daemon))):
        assert time.monotonic() < deadline, recordings(daemon)
        time.sleep(0.3)
    kept, doomed = recordings(daemon)

    # Members: one by invitation, one with a password set over the socket and MFA.
    accept_invitation(daemon, "rita", secrets)
    daemon.ctl("member", "invite", "--tenant", "demo", "--handle", "mona")
    set_password(daemon, "demo", "mona", f"mona-pw-{os.urandom(6).hex()}", secrets)
    mona = Api(daemon, secrets).login("demo", "mona", secrets[-1])
    status, enrolment = mona.call("POST", "/v1/mfa/enroll", {})
    assert status == 200, enrolment
    totp = pyotp.parse_uri(enrolment["uri"])
    secrets.append(totp.secret)
    settle()
    status, confirmed = mona.call("POST", "/v1/mfa/confirm", {"code": totp.now()})
    assert status == 200, confirmed
    secrets += confirmed["recovery_codes"]
    status, body = Api(daemon, []).call("POST", "/v1/login", {
        "tenant": "demo", "handle": "mona", "password": [s for s in secrets
                                                        if s.startswith("mona-pw-")][0]})
    assert status == 200 and body["mfa_required"], body
    secrets.append(body["challenge"])
    status, body = Api(daemon, []).call("POST", "/v1/login/mfa", {
        "challenge": body["challenge"], "recovery_code": confirmed["recovery_codes"][0]})
    assert status == 200, body
    secrets.append(body["token"])

    # Exports (outside the state directory), then the copy of the doomed file and deletion.
    for rec in (kept, doomed):
        daemon.ctl("recording", "export", "--tenant", "demo", "--recording", str(rec["id"]),
                   "--out", str(tmp_path / f"{rec['id']}.wav"))
    rec_files = {os.path.join(r, f) for r, _, fs in
                 os.walk(os.path.join(daemon.state_dir, "recordings")) for f in fs}
    assert len(rec_files) == 2, rec_files
    doomed_path = next(p for p in rec_files if os.path.basename(p).split(".")[0]
                       in json.dumps(doomed) or str(doomed["id"]) in p) \
        if any(str(doomed["id"]) in p for p in rec_files) else None
    copies = {p: open(p, "rb").read() for p in rec_files}
    daemon.ctl("recording", "delete", "--tenant", "demo", "--recording", str(doomed["id"]))
    left = {os.path.join(r, f) for r, _, fs in
            os.walk(os.path.join(daemon.state_dir, "recordings")) for f in fs}
    assert len(left) == 1, left
    gone = (rec_files - left).pop()
    file_id = os.path.basename(gone).rsplit(".", 1)[0].encode()

    # A copy of the deleted file put back cannot be exported or listed again.
    open(gone, "wb").write(copies[gone])
    os.chmod(gone, 0o600)
    refused = daemon.ctl("recording", "export", "--tenant", "demo", "--recording",
                         str(doomed["id"]), "--out", str(tmp_path / "again.wav"), check=False)
    assert refused.returncode != 0, refused.stdout
    assert [r["id"] for r in recordings(daemon)] == [kept["id"]]
    os.unlink(gone)

    # Modes: directories 0700, every key file 0600, nothing group- or world-accessible.
    bad = []
    for root, dirs, files in os.walk(daemon.state_dir):
        for name in dirs:
            mode = os.stat(os.path.join(root, name)).st_mode & 0o777
            if mode != 0o700:
                bad.append((os.path.join(root, name), oct(mode)))
        for name in files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode & 0o777
            if mode & 0o077 or ("/keys/" in path and mode != 0o600):
                bad.append((path, oct(mode)))
    assert not bad, f"state files with loose modes: {bad}"

    # Every file, the database decrypted page by page, the log: no secret, no deleted row.
    keys = os.path.join(daemon.state_dir, "keys")
    key_bytes = {n: open(os.path.join(keys, n), "rb").read() for n in os.listdir(keys)}
    db_key = key_bytes["db.key"]
    assert len(db_key) == 32 and len(key_bytes["master.key"]) == 32
    blobs = {"whootd output": daemon.output().encode()}
    for root, _, files in os.walk(daemon.state_dir):
        for name in files:
            path = os.path.join(root, name)
            if os.path.isfile(path) and not path.startswith(keys + "/"):
                blobs[path] = open(path, "rb").read()
    clear = decrypted_database(daemon.state_dir, db_key)
    assert b"SQLite format 3" in clear[next(iter(clear))], "the page decryption is wrong"
    assert b"mona" in b"".join(clear.values()), "the decrypted database lacks a known handle"
    blobs.update({f"{p} (decrypted)": b for p, b in clear.items()})
    found = []
    for where, blob in blobs.items():
        for secret in secrets:
            if secret.encode() in blob:
                found.append((where, "secret " + secret[:6] + "..."))
        for name, value in key_bytes.items():
            if any(v in blob for v in variants(value)):
                found.append((where, f"bytes of keys/{name}"))
    assert not found, f"secrets at rest: {found}"
    # The deleted recording's row (file id, path, wrapped key) must be gone from every
    # page and frame on disk, while whootd runs and after a clean stop (which checkpoints).
    rows = [path for path, blob in clear.items() if file_id in blob]
    daemon.stop()
    after = decrypted_database(daemon.state_dir, db_key)
    rows_after = [path for path, blob in after.items() if file_id in blob]
    assert not rows and not rows_after, (
        f"the deleted recording {file_id.decode()}'s row is still on disk: running {rows}, "
        f"after a clean stop {rows_after}")

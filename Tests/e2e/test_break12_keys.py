"""Break round 12: damaged keys and databases under a stopped whootd's state directory.
whootd must refuse to start with a clear line, print no key material, and change nothing:
a damaged key is never replaced by a new one, a damaged database never rewritten."""

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time

import pytest

from conftest import READY_LINE, binary

WAIT_S = 15.0
MARKER = b"SECRETMARKER-0123456789abcdef-SECRETMARKER"
# PEM framing around MARKER, not a key: what a damaged key file could hold.
GARBAGE_PEM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                           "garbage-private-key.pem")


def run_whootd(state: str, workdir: str):
    """Starts whootd on `state`; returns (exit code, or None if it got ready, output)."""
    log = os.path.join(workdir, "out.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [binary("WHOOTD", "whootd"), "--state-dir", state, "--https", "127.0.0.1:0",
             "--udp", "127.0.0.1:0", "--admin-socket", os.path.join(workdir, "a.sock")],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "SWIFT_BACKTRACE": "enable=no"})
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and proc.poll() is None:
            if READY_LINE.encode() in open(log, "rb").read():
                break
            time.sleep(0.1)
        code = proc.poll()
        if code is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
    return code, open(log, "rb").read().decode(errors="replace")


@pytest.fixture(scope="module")
def pristine():
    """A state directory that one whootd made and stopped cleanly."""
    workdir = tempfile.mkdtemp(prefix="whoot-b12k-", dir="/tmp")
    code, out = run_whootd(os.path.join(workdir, "state"), workdir)
    assert code is None, out[-2000:]
    yield os.path.join(workdir, "state")
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def state(pristine):
    workdir = tempfile.mkdtemp(prefix="whoot-b12k-", dir="/tmp")
    copy = os.path.join(workdir, "state")
    shutil.copytree(pristine, copy, symlinks=True)
    yield copy
    shutil.rmtree(workdir, ignore_errors=True)


def snapshot(state: str) -> dict:
    """Every file and link under state (not the -shm index): kind, mode, uid and digest."""
    facts = {}
    for directory, dirs, files in os.walk(state):
        for name in files + dirs:
            path = os.path.join(directory, name)
            if name.endswith("-shm"):
                continue
            info = os.lstat(path)
            if os.path.islink(path):
                facts[path] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                facts[path] = ("dir", info.st_mode & 0o777, info.st_uid)
            else:
                digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
                facts[path] = ("file", info.st_mode & 0o777, info.st_uid, digest)
    return facts


def assert_refused_and_untouched(state: str, words=(), secret: bytes = None):
    before = snapshot(state)
    code, out = run_whootd(state, os.path.dirname(state))
    assert code not in (None, 0), f"whootd started on a damaged state:\n{out[-2500:]}"
    assert "cannot start" in out or "whootd:" in out, out[-2000:]
    for word in words:
        assert word in out, out[-2000:]
    if secret is not None:
        assert secret.decode(errors="replace") not in out and secret.hex() not in out, out
    after = snapshot(state)
    changed = sorted(set(before.items()) ^ set(after.items()))
    assert not changed, f"whootd changed the state it refused:\n{changed}\n{out[-1500:]}"
    return out


def key(state, name):
    return os.path.join(state, "keys", name)


@pytest.mark.parametrize("name", ["db.key", "master.key", "mfa.key", "tls.pem", "dtls.pem",
                                  "audit-signing.pem"])
def test_group_readable_key_is_refused(state, name):
    os.chmod(key(state, name), 0o644)
    assert_refused_and_untouched(state, [name, "chmod 600"])


@pytest.mark.parametrize("name", ["db.key", "master.key", "mfa.key"])
def test_truncated_or_empty_symmetric_key_is_refused(state, name):
    path = key(state, name)
    data = open(path, "rb").read()
    with open(path, "wb") as out:
        out.write(data[:len(data) // 2] if name != "mfa.key" else b"")
    assert_refused_and_untouched(state, [name], secret=data[:len(data) // 2] or None)


@pytest.mark.parametrize("name", ["tls.pem", "dtls.pem", "audit-signing.pem"])
def test_garbage_pem_key_is_refused_without_echoing_it(state, name):
    with open(key(state, name), "wb") as out:
        out.write(open(GARBAGE_PEM, "rb").read())
    assert_refused_and_untouched(state, [name], secret=MARKER)


@pytest.mark.parametrize("name", ["db.key", "tls.pem", "audit-signing.pem"])
def test_truncated_pem_or_directory_key_is_refused(state, name):
    path = key(state, name)
    if name == "db.key":
        os.unlink(path)
        os.mkdir(path, 0o700)
    else:
        data = open(path, "rb").read()
        with open(path, "wb") as out:
            out.write(data[:len(data) // 3])
    assert_refused_and_untouched(state, [name])


@pytest.mark.parametrize("name", ["db.key", "master.key", "audit-signing.pem"])
def test_dangling_symlink_key_is_refused_not_replaced(state, name):
    # e.g. a key kept on a volume that is not mounted yet: the link must survive, and no
    # fresh key may take its place (a new db/master/signing key loses or forks data).
    path = key(state, name)
    os.unlink(path)
    os.symlink(os.path.join(os.path.dirname(state), "unmounted-volume", name), path)
    assert_refused_and_untouched(state, [name])


def test_key_owned_by_another_user_is_refused(state):
    os.chown(key(state, "db.key"), 65534, 65534)
    assert_refused_and_untouched(state, ["db.key"])


def test_wrong_database_key_is_refused(state):
    with open(key(state, "db.key"), "wb") as out:
        out.write(os.urandom(32))
    assert_refused_and_untouched(state, ["key"])


@pytest.mark.parametrize("damage", ["truncated", "garbage", "plaintext-sqlite"])
def test_damaged_database_is_refused_and_left_alone(state, damage):
    db = os.path.join(state, "whoot.db")
    for suffix in ("-wal", "-shm"):
        if damage == "plaintext-sqlite" and os.path.exists(db + suffix):
            os.unlink(db + suffix)
    if damage == "truncated":
        with open(db, "r+b") as out:
            out.truncate(1000)
    elif damage == "garbage":
        with open(db, "wb") as out:
            out.write(os.urandom(8192))
    else:
        os.unlink(db)
        other = sqlite3.connect(db)
        other.execute("CREATE TABLE tenants(id INTEGER PRIMARY KEY, slug TEXT)")
        other.commit()
        other.close()
        os.chmod(db, 0o600)
    assert_refused_and_untouched(state, ["whoot.db"])


def crashed_with_a_tenant(workdir: str, log_path: str) -> str:
    """A state directory whose whootd created tenant acme and was then killed (SIGKILL):
    its committed rows wait in whoot.db-wal. Returns the WAL's path."""
    from conftest import Daemon
    daemon = Daemon(workdir, log_path).start()
    daemon.create_tenant("acme", "Acme")
    daemon.proc.kill()
    daemon.proc.wait(timeout=10)
    daemon.stop()
    shm = os.path.join(workdir, "state", "whoot.db-shm")
    if os.path.exists(shm):
        os.unlink(shm)
    return os.path.join(workdir, "state", "whoot.db-wal")


def test_a_clean_stop_leaves_every_row_in_the_database_file(tmp_path):
    """A clean stop checkpoints and empties the WAL, so no later accident to it can cut
    committed rows."""
    from conftest import Daemon
    workdir = tempfile.mkdtemp(prefix="whoot-b12k-", dir="/tmp")
    try:
        first = Daemon(workdir, str(tmp_path / "first.log")).start()
        first.create_tenant("acme", "Acme")
        first.stop()
        wal = os.path.join(workdir, "state", "whoot.db-wal")
        assert not os.path.exists(wal) or os.path.getsize(wal) == 0, \
            f"{os.path.getsize(wal)} bytes left in the WAL after a clean stop"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_wal_from_another_database_is_refused(tmp_path):
    # A WAL holding another whoot database's committed transactions (another key) must not
    # be dropped as a torn tail.
    workdir = tempfile.mkdtemp(prefix="whoot-b12k-", dir="/tmp")
    other_dir = tempfile.mkdtemp(prefix="whoot-b12k-", dir="/tmp")
    try:
        from conftest import Daemon
        first = Daemon(workdir, str(tmp_path / "first.log")).start()
        first.stop()
        other_wal = crashed_with_a_tenant(other_dir, str(tmp_path / "other.log"))
        state = os.path.join(workdir, "state")
        shutil.copyfile(other_wal, os.path.join(state, "whoot.db-wal"))
        assert_refused_and_untouched(state, ["whoot.db"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(other_dir, ignore_errors=True)


def test_one_flipped_bit_in_the_wal_does_not_silently_empty_the_database(tmp_path):
    # After a crash the committed rows wait in whoot.db-wal. One bit flipped in the first
    # frame made the VFS reject that frame as a torn tail: SQLite saw an empty database,
    # and whootd initialised it afresh and served, every tenant gone, with no warning.
    workdir = tempfile.mkdtemp(prefix="whoot-b12k-", dir="/tmp")
    try:
        wal = crashed_with_a_tenant(workdir, str(tmp_path / "first.log"))
        data = bytearray(open(wal, "rb").read())
        data[32 + 24 + 200] ^= 0x01
        open(wal, "wb").write(bytes(data))
        code, out = run_whootd(os.path.join(workdir, "state"), workdir)
        assert code not in (None, 0), \
            f"whootd started on a WAL with a flipped bit (its tenants are gone):\n{out[-1500:]}"
        assert "whoot.db" in out and "damaged" in out, out[-1500:]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

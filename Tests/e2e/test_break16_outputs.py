"""Break-it round 16: whootctl `--out` after round 15's hand-followed symlinks and
`.whootctl-<hex>.part` temporary files. Links that are relative, through directories, with
names that are not UTF-8; hard links; another uid; an export interrupted by a signal; and
`audit public-key --out`, which does not go through the same path. Only files under the
test's own tmp_path; no system path is ever an output."""

import os
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time

import pytest


def export(daemon, out, check=True):
    return daemon.ctl("audit", "export", "--tenant", "demo", "--out", out, check=check)


def names(directory):
    return sorted(os.listdir(directory))


def test_a_relative_link_in_another_directory_points_from_its_own_directory(daemon, outdir):
    (outdir / "a").mkdir()
    (outdir / "b").mkdir()
    os.symlink("../b/real.csv", outdir / "a" / "link.csv")
    export(daemon, str(outdir / "a" / "link.csv"))
    assert (outdir / "b" / "real.csv").read_text().startswith("record,")
    assert os.path.islink(outdir / "a" / "link.csv")
    assert names(outdir / "a") == ["link.csv"] and names(outdir / "b") == ["real.csv"]


def test_a_chain_of_relative_links_through_a_linked_directory(daemon, outdir):
    """`d` links to `x/y`; `d/l1` -> `../l2` (relative to x/y, so x/l2) -> `z/f.csv`."""
    (outdir / "x" / "y").mkdir(parents=True)
    (outdir / "x" / "z").mkdir()
    os.symlink("x/y", outdir / "d")
    os.symlink("../l2", outdir / "x" / "y" / "l1")
    os.symlink("z/f.csv", outdir / "x" / "l2")
    export(daemon, str(outdir / "d" / "l1"))
    assert (outdir / "x" / "z" / "f.csv").read_text().startswith("record,")
    assert os.path.islink(outdir / "x" / "y" / "l1") and os.path.islink(outdir / "x" / "l2")
    assert names(outdir / "x" / "z") == ["f.csv"]


def test_forty_links_are_followed_and_forty_one_are_a_loop(daemon, outdir):
    os.symlink("final.csv", outdir / "l40")
    for i in range(39, 0, -1):
        os.symlink(f"l{i + 1}", outdir / f"l{i}")
    export(daemon, str(outdir / "l1"))
    assert (outdir / "final.csv").read_text().startswith("record,")
    os.symlink("l1", outdir / "l0")
    result = export(daemon, str(outdir / "l0"), check=False)
    assert result.returncode != 0 and "symbolic links" in result.stderr, result.stderr
    assert not [n for n in names(outdir) if n.endswith(".part")]


def test_a_link_whose_target_is_not_utf8_is_refused_and_nothing_is_written(daemon, outdir):
    """A link to `lat\\xe9.csv` (a Latin-1 name): the export once landed in a new file whose
    name had U+FFFD where the byte was, leaving the link dangling. whootctl, like whootd
    with such arguments, now refuses the name clearly and writes nothing."""
    base = os.fsencode(str(outdir))
    os.symlink(b"lat\xe9.csv", base + b"/link.csv")
    result = export(daemon, str(outdir / "link.csv"), check=False)
    assert result.returncode != 0 and "not UTF-8" in result.stderr, result.stderr
    assert sorted(os.listdir(base)) == [b"link.csv"], os.listdir(base)


def test_an_existing_file_with_a_non_utf8_name_through_a_link_is_left_alone(daemon, outdir):
    """The link's target `old\\xff.csv` exists: an export once wrote a new, mangled name and
    left the target stale behind the link. Now: a clear refusal, the target untouched."""
    base = os.fsencode(str(outdir))
    with open(base + b"/old\xff.csv", "wb") as f:
        f.write(b"old\n")
    os.symlink(b"old\xff.csv", base + b"/link.csv")
    result = export(daemon, str(outdir / "link.csv"), check=False)
    assert result.returncode != 0 and "not UTF-8" in result.stderr, result.stderr
    assert sorted(os.listdir(base)) == [b"link.csv", b"old\xff.csv"], os.listdir(base)
    assert open(base + b"/old\xff.csv", "rb").read() == b"old\n"


def test_a_hard_linked_file_is_replaced_by_name_and_the_other_name_keeps_the_old(
        daemon, outdir):
    """Renaming into place replaces the name, not the inode: the other hard link keeps the
    old contents. That is what an atomic replace means; this pins it down."""
    first = outdir / "a.csv"
    first.write_text("old\n")
    os.link(first, outdir / "b.csv")
    export(daemon, str(first))
    assert first.read_text().startswith("record,")
    assert (outdir / "b.csv").read_text() == "old\n"
    assert os.stat(first).st_nlink == 1


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root to hand a directory to another uid, and setpriv")
def test_another_uid_in_a_read_only_directory_gets_one_clear_line(daemon, outdir):
    """A directory owned by uid 4242, mode 0555, holding that uid's writable file: root
    replaces it (and the owner stays 4242); uid 4242 itself cannot create the temporary
    file, so it gets a clear error and the file is left as it was."""
    locked = outdir / "locked"
    locked.mkdir()
    target = locked / "a.csv"
    target.write_text("old\n")
    os.chown(target, 4242, 4242)
    target.chmod(0o644)
    os.chown(locked, 4242, 4242)
    locked.chmod(0o555)
    outdir.chmod(0o755)
    os.chmod(outdir.parent, 0o755)
    ctl = daemon.whootctl
    tool_dir = os.path.dirname(ctl)
    result = subprocess.run(
        ["setpriv", "--reuid=4242", "--regid=4242", "--clear-groups", ctl, "--socket",
         "/nonexistent-whoot-b16.sock", "audit", "export", "--tenant", "demo", "--out",
         str(target)], capture_output=True, text=True, timeout=30)
    if "Permission denied" in result.stderr and tool_dir in result.stderr:
        pytest.skip("uid 4242 cannot run the built whootctl here")
    message = result.stderr.strip()
    assert result.returncode != 0 and len(message.splitlines()) == 1, message
    assert "Permission denied" in message, message
    assert target.read_text() == "old\n" and names(locked) == ["a.csv"]

    export(daemon, str(target))
    info = os.stat(target)
    assert (info.st_uid, info.st_gid) == (4242, 4242)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert target.read_text().startswith("record,") and names(locked) == ["a.csv"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_export_leaves_no_temporary_file(tmp_path, outdir, signum):
    """`^C` during a long export (or a SIGTERM from a job runner) must not leave a
    `.whootctl-*.part` file behind; the design says a failed export leaves nothing."""
    from conftest import binary, hanging_admin_socket

    sock = str(tmp_path / "hang.sock")
    server, held = hanging_admin_socket(sock)
    process = subprocess.Popen(
        [binary("WHOOTCTL", "whootctl"), "--socket", sock, "audit", "export", "--tenant",
         "demo", "--out", str(outdir / "audit.csv")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not held and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held, "whootctl never connected"
        time.sleep(0.3)
        during = names(outdir)
        process.send_signal(signum)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        server.close()
    assert process.returncode != 0
    assert names(outdir) == [], (
        f"after {signal.Signals(signum).name}: {names(outdir)} left (during: {during})")


def test_public_key_out_to_a_directory_is_one_clear_line(daemon, outdir):
    target = outdir / "dir"
    target.mkdir()
    result = daemon.ctl("audit", "public-key", "--out", str(target), check=False)
    message = result.stderr.strip()
    assert result.returncode != 0
    assert len(message.splitlines()) == 1, message
    assert "Error Domain" not in message and "CocoaError" not in message, message
    assert "directory" in message.lower(), message


def test_public_key_out_keeps_a_symlink_and_writes_its_target(daemon, outdir):
    (outdir / "keys").mkdir()
    os.symlink("keys/audit.pub.pem", outdir / "link.pem")
    daemon.ctl("audit", "public-key", "--out", str(outdir / "link.pem"))
    assert os.path.islink(outdir / "link.pem")
    assert (outdir / "keys" / "audit.pub.pem").read_text().startswith("-----BEGIN")

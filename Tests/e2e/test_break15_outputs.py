"""Break-it round 15: whootctl `--out` at awkward places. Each one must end in a clear
one-line error or a whole export, never a hang without end, a stray temporary file, or a
file that silently changed hands. Private device nodes only; no system path is used."""

import os
import stat
import subprocess
import threading
import time

import pytest


def export(daemon, out, check=False, timeout=None):
    if timeout is None:
        return daemon.ctl("audit", "export", "--tenant", "demo", "--out", out, check=check)
    return subprocess.run(
        [daemon.whootctl, "--socket", daemon.admin_socket, "audit", "export", "--tenant",
         "demo", "--out", out], capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL)


def one_clear_line(result, *words):
    message = result.stderr.strip()
    assert result.returncode != 0, result.stdout[:200]
    assert len(message.splitlines()) == 1, message
    assert any(w in message for w in words), message
    assert "Fatal error" not in message and "internal" not in message.lower(), message
    assert "UsageError(" not in message, f"a Swift value dump, not a message: {message}"


def test_missing_directory_is_a_clear_error(daemon, outdir):
    result = export(daemon, str(outdir / "no" / "such" / "a.csv"))
    one_clear_line(result, "No such file")
    assert not list(outdir.iterdir())


def test_unwritable_directory_is_a_clear_error_and_keeps_the_old_file(daemon, outdir):
    locked = outdir / "locked"
    locked.mkdir()
    old = locked / "a.csv"
    old.write_text("old\n")
    locked.chmod(0o500)
    try:
        if os.geteuid() == 0:
            # root ignores mode bits; a read-only bind is out of scope here, so a file
            # made immutable-by-name is used instead: a path under a regular file.
            result = export(daemon, str(old) + "/x.csv")
            one_clear_line(result, "Not a directory", "No such file")
        else:
            result = export(daemon, str(old))
            one_clear_line(result, "Permission denied")
    finally:
        locked.chmod(0o700)
    assert old.read_text() == "old\n"
    assert sorted(p.name for p in locked.iterdir()) == ["a.csv"]


def test_a_directory_is_refused_and_left_alone(daemon, outdir):
    target = outdir / "dir"
    target.mkdir()
    result = export(daemon, str(target))
    one_clear_line(result, "is a directory", "Is a directory")
    assert target.is_dir() and not list(target.iterdir())


def test_a_dangling_symlink_keeps_being_a_symlink(daemon, outdir):
    """The design says a symlink is followed and its target gets the export. A dangling
    one (target not created yet) is a symlink too: `> link` in a shell creates the
    target. Replacing the link itself with a regular file breaks that promise."""
    link = outdir / "link.csv"
    target = outdir / "later.csv"
    link.symlink_to(target)
    result = export(daemon, str(link))
    assert result.returncode == 0, result.stderr
    problems = []
    if not link.is_symlink():
        problems.append("the dangling symlink was replaced by a regular file")
    if not target.exists():
        problems.append("the symlink's target did not get the export")
    assert not problems, problems


def test_a_symlink_loop_is_a_clear_error(daemon, outdir):
    a, b = outdir / "a", outdir / "b"
    a.symlink_to(b)
    b.symlink_to(a)
    result = export(daemon, str(a))
    problems = []
    if result.returncode == 0:
        problems.append("an export to a symlink loop succeeded")
    if not (a.is_symlink() and b.is_symlink()):
        problems.append("the loop's links were replaced: "
                        f"a={os.lstat(a).st_mode:o} b={os.lstat(b).st_mode:o}")
    leftovers = sorted(p.name for p in outdir.iterdir() if p.name not in ("a", "b"))
    if leftovers:
        problems.append(f"left behind: {leftovers}")
    assert not problems, (problems, result.stderr)


def test_a_fifo_nobody_reads_blocks_until_a_reader_comes(daemon, outdir):
    """What happens: like a shell redirection, whootctl waits in open(2) for a reader.
    It must not be stuck for good once one comes, and the daemon serves others meanwhile."""
    fifo = outdir / "pipe"
    os.mkfifo(fifo, 0o600)
    proc = subprocess.Popen(
        [daemon.whootctl, "--socket", daemon.admin_socket, "audit", "export", "--tenant",
         "demo", "--out", str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL)
    try:
        time.sleep(2.0)
        waiting = proc.poll() is None
        assert daemon.ctl("channel", "list", "--tenant", "demo").returncode == 0
        received = []
        reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))
        reader.start()
        proc.wait(timeout=15)
        reader.join(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print("whootctl was waiting for a reader:", waiting)
    assert proc.returncode == 0, proc.stderr.read()
    assert received and received[0].startswith(b"record,")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_file_of_another_user_keeps_its_owner_and_becomes_private(daemon, outdir):
    """Overwriting an existing file someone else owns (as root): the temp+rename wrote a
    new root-owned inode, so the owner lost access to their own file. The owner is kept;
    the mode is 0600, as for every export (it is evidence about people)."""
    out = outdir / "shared.csv"
    out.write_text("old\n")
    os.chown(out, 1234, 1234)
    os.chmod(out, 0o644)
    result = export(daemon, str(out))
    assert result.returncode == 0, result.stderr
    status = os.stat(out)
    assert out.read_text().startswith("record,")
    assert (status.st_uid, stat.S_IMODE(status.st_mode)) == (1234, 0o600), \
        f"the export changed the file to uid {status.st_uid} mode " \
        f"{stat.S_IMODE(status.st_mode):o} (want uid 1234 mode 600)"


def test_a_name_at_the_length_limit_is_written(daemon, outdir):
    """A file name of 250 bytes is legal (NAME_MAX 255); the temporary name beside it
    (name + '.part-' + up to 8 hex digits) is not."""
    name = "a" * 246 + ".csv"
    out = outdir / name
    result = export(daemon, str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("record,")


def test_a_path_over_path_max_is_a_clear_error(daemon, outdir):
    deep = str(outdir) + ("/" + "d" * 200) * 25 + "/a.csv"
    result = export(daemon, deep)
    one_clear_line(result, "too long", "No such file")
    assert not list(outdir.iterdir())


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_private_null_device_as_recording_export_stays_a_device(daemon, outdir):
    null = outdir / "null"
    os.mknod(null, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    result = daemon.ctl("recording", "export", "--tenant", "demo", "--recording", "999999",
                        "--out", str(null), check=False)
    assert result.returncode != 0 and result.stderr.strip(), result
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert sorted(p.name for p in outdir.iterdir()) == ["null"]

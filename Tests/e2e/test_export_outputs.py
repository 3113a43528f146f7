"""`--out` of whootctl's exports: a regular file is written whole or not at all (mode
0600); a device or FIFO already at the path is written to, never replaced by a regular
file (it once replaced /dev/null, as root, with a private empty file); a symlink stays a
symlink and its target gets the export. A private character device stands in for
/dev/null, so a regression cannot damage the machine's."""

import os
import stat
import threading

import pytest


def export(daemon, out, check=True):
    return daemon.ctl("audit", "export", "--tenant", "demo", "--out", out, check=check)


def test_a_regular_file_is_private_and_whole(daemon, outdir):
    out = outdir / "audit.csv"
    out.write_text("old contents\n")
    export(daemon, str(out))
    text = out.read_text()
    assert text.startswith("record,") and "old contents" not in text, text[:200]
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert [p.name for p in outdir.iterdir()] == ["audit.csv"], "a temporary file was left"


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_character_device_stays_a_device(daemon, outdir):
    null = outdir / "null"
    os.mknod(null, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    export(daemon, str(null))
    assert stat.S_ISCHR(os.stat(null).st_mode), "the device was replaced by a regular file"
    assert sorted(p.name for p in outdir.iterdir()) == ["null"]


def test_a_fifo_gets_the_export_and_stays_a_fifo(daemon, outdir):
    fifo = outdir / "pipe"
    os.mkfifo(fifo, 0o600)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))
    reader.start()
    export(daemon, str(fifo))
    reader.join(timeout=10)
    assert received and received[0].startswith(b"record,"), received
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_symlink_stays_a_link_and_its_target_gets_the_export(daemon, outdir):
    target = outdir / "real.csv"
    target.write_text("")
    link = outdir / "link.csv"
    link.symlink_to(target)
    export(daemon, str(link))
    assert link.is_symlink() and target.read_text().startswith("record,")


def test_a_failed_export_leaves_nothing(daemon, outdir):
    out = outdir / "nope.csv"
    failed = daemon.ctl("audit", "export", "--tenant", "no-such-tenant", "--out", str(out),
                        check=False)
    assert failed.returncode != 0 and not list(outdir.iterdir()), failed.stderr

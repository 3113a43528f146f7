"""Break-it round 15: a head signed again after a failed commit must carry a later atMs
than its first (file) signature, else verify reports 'lines were reordered or copied in'.
The wall clock can step back (NTP, an operator) between the two: a false alarm with no
tampering. whootd runs under libfaketime (offset read from a file each call) in a mount
namespace with a full tmpfs as its state directory."""

import os

import pytest

from test_break13_diskfull import fill, namespace, start  # noqa: F401 (fixture)
from test_break14_checkpoints import checkpoint_file, verify

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

pytestmark = pytest.mark.skipif(not os.path.exists(LIBFAKETIME),
                                reason="libfaketime is not installed")


def test_clock_stepped_back_after_a_failed_commit_is_no_tampering(namespace, tmp_path):  # noqa
    workdir, wrapper, root = namespace
    offset = os.path.join(workdir, "faketime.rc")
    with open(offset, "w") as out:
        out.write("+0\n")
    with open(wrapper) as src:
        line = src.read().splitlines()[1]
    with open(wrapper, "w") as out:
        out.write("#!/bin/sh\n" + line.replace(
            "-m -- ", f"-m -- env LD_PRELOAD={LIBFAKETIME} FAKETIME_TIMESTAMP_FILE={offset} "
            "FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 ") + "\n")
    daemon = start(workdir, wrapper, str(tmp_path / "whootd.log"))
    filler = os.path.join(root + daemon.state_dir, "filler.bin")
    try:
        daemon.create_channel("demo", "a")
        daemon.ctl("audit", "checkpoint", "--tenant", "demo")
        daemon.create_channel("demo", "b")
        fill(filler)
        failed = daemon.ctl("audit", "checkpoint", "--tenant", "demo", check=False)
        os.unlink(filler)
        with open(offset, "w") as out:
            out.write("-10m\n")  # the clock steps back ten minutes
        daemon.ctl("audit", "checkpoint", "--tenant", "demo")
        with open(root + checkpoint_file(daemon)) as log:
            lines = log.read().splitlines()
        print("failed commit:", failed.returncode, failed.stderr.strip())
        print("\n".join(" ".join(l.split()[:5]) for l in lines))
        assert failed.returncode != 0, "the disk was not full enough to fail the commit"
        status, report, output = verify(daemon)
        assert status == 0 and report["ok"], f"false alarm after a clock step: {output}"
    finally:
        daemon.stop()
        if os.path.exists(filler):
            os.unlink(filler)

"""Break-it round 15: checkpoints written ahead (the file's line before the row commits).

No false alarm: kill -9 at random moments during heavy audited traffic and explicit
checkpoints, restarts between; a full disk (a tmpfs of the test's own, in its own mount
namespace) while checkpoints are asked for, then freed. And no tampering accepted: lines
swapped, an exact line repeated, a re-signed head's two lines swapped."""

import json
import os
import random
import signal
import threading
import time

import pytest

from conftest import Daemon
from test_break13_diskfull import fill, namespace, start  # noqa: F401 (fixture)
from test_break14_checkpoints import checkpoint_file, lines_of, verify, workdir  # noqa: F401


def traffic(daemon, tenant, stop, counts, prefix):
    """Audited writes (channel create, member invite) and explicit checkpoints, until
    `stop`; failures are expected once whootd is killed."""
    i = 0
    while not stop.is_set():
        i += 1
        if i % 3 == 0:
            result = daemon.ctl("audit", "checkpoint", "--tenant", tenant, check=False)
        elif i % 3 == 1:
            result = daemon.ctl("channel", "create", "--tenant", tenant, "--name",
                                f"{prefix}{i}", check=False)
        else:
            result = daemon.ctl("member", "invite", "--tenant", tenant, "--handle",
                                f"{prefix}m{i}", "--email", f"{prefix}{i}@example.invalid",
                                check=False)
        counts[result.returncode == 0] = counts.get(result.returncode == 0, 0) + 1


def assert_verifies(daemon, tenant, when):
    status, report, output = verify(daemon, tenant)
    assert status == 0 and report and report["ok"], f"{when}: {tenant}: {output}"
    return report


def test_kill_9_at_random_moments_never_raises_a_false_alarm(workdir, tmp_path):
    rng = random.Random(15)
    daemon = Daemon(workdir, str(tmp_path / "start.log")).start()
    daemon.create_tenant("acme", "Acme")
    counts = {}
    for round_ in range(6):
        stop = threading.Event()
        workers = [threading.Thread(target=traffic, args=(daemon, t, stop, counts,
                                                          f"r{round_}w{n}{t[0]}"))
                   for n in range(2) for t in ("demo", "acme")]
        for w in workers:
            w.start()
        time.sleep(rng.uniform(0.3, 2.0))
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(timeout=10)
        stop.set()
        for w in workers:
            w.join(timeout=30)
        daemon.stop()
        daemon = Daemon(workdir, str(tmp_path / f"r{round_}.log")).start()
        for tenant in ("demo", "acme"):
            assert_verifies(daemon, tenant, f"after kill {round_ + 1}")
    print("writes ok/failed:", counts, "file lines:", len(lines_of(daemon)))
    try:
        for tenant in ("demo", "acme"):
            daemon.ctl("audit", "checkpoint", "--tenant", tenant)
            report = assert_verifies(daemon, tenant, "at the end")
            assert report["checkpoints"] >= 2, report
    finally:
        daemon.stop()
    assert counts.get(True, 0) > 20, counts


def swap(lines, i, j):
    lines = list(lines)
    lines[i], lines[j] = lines[j], lines[i]
    return lines


def test_swapped_or_repeated_lines_are_refused(daemon):
    for i in range(3):
        daemon.create_channel("demo", f"s{i}")
        daemon.ctl("audit", "checkpoint", "--tenant", "demo")
    original = lines_of(daemon)
    assert len(original) == 3, original
    for name, tampered in [("swapped", swap(original, 0, 1)),
                           ("last two swapped", swap(original, 1, 2)),
                           ("last repeated", original + [original[-1]]),
                           ("first repeated at the end", original + [original[0]])]:
        with open(checkpoint_file(daemon), "w") as out:
            out.write("".join(tampered))
        status, report, output = verify(daemon)
        assert status == 3 and report and not report["ok"], f"{name} accepted: {output}"
    with open(checkpoint_file(daemon), "w") as out:
        out.write("".join(original))
    assert verify(daemon)[0] == 0


def test_full_disk_during_checkpoints_then_freed_verifies_and_resigned_pairs_hold(
        namespace, tmp_path):  # noqa: F811
    workdir_, wrapper, root = namespace
    daemon = start(workdir_, wrapper, str(tmp_path / "a.log"))
    inside = root + daemon.state_dir
    filler = os.path.join(inside, "filler.bin")
    outcomes = []
    try:
        for i in range(3):
            daemon.create_channel("demo", f"before{i}")
            daemon.ctl("audit", "checkpoint", "--tenant", "demo")
        fill(filler)
        topup = os.path.join(inside, "topup.bin")
        for i in range(8):
            # Room for one audited write, then full again before its checkpoint.
            os.truncate(filler, max(0, os.path.getsize(filler) - 65536 * (1 + i % 3)))
            created = daemon.ctl("channel", "create", "--tenant", "demo", "--name",
                                 f"full{i}", check=False)
            fill(topup)
            signed = daemon.ctl("audit", "checkpoint", "--tenant", "demo", check=False)
            outcomes.append((created.returncode, signed.returncode,
                             signed.stderr.strip()[:160]))
            status, report, output = verify(daemon)
            assert status == 0 and report["ok"], f"while full, round {i}: {output}"
            os.unlink(topup)
        # Free a little, fill again: the file may get a line the database lacks.
        os.truncate(filler, max(0, os.path.getsize(filler) - 6000))
        for i in range(3):
            daemon.ctl("audit", "checkpoint", "--tenant", "demo", check=False)
            daemon.ctl("channel", "create", "--tenant", "demo", "--name", f"half{i}",
                       check=False)
        os.unlink(filler)
        daemon.create_channel("demo", "after")
        daemon.ctl("audit", "checkpoint", "--tenant", "demo")
        assert_verifies(daemon, "demo", "after freeing")
    finally:
        daemon.stop()
        if os.path.exists(filler):
            os.unlink(filler)
    print("while full (create, checkpoint, message):", outcomes)

    daemon = start(workdir_, wrapper, str(tmp_path / "b.log"))
    try:
        assert_verifies(daemon, "demo", "after a restart")
        path = root + checkpoint_file(daemon)
        with open(path) as log:
            lines = log.read().splitlines(keepends=True)
        seqs = [int(line.split()[2]) for line in lines if line.split()[1] == "1"]
        pairs = [i for i in range(1, len(seqs)) if seqs[i] == seqs[i - 1]]
        print("demo seqs in file:", seqs)
        for i in pairs[:1]:
            # A re-signed head: both lines sign the same head, so their order carries
            # nothing; an identical copy of one of them is a copied line.
            demo_lines = [l for l in lines if l.split()[1] == "1"]
            with open(path, "w") as out:
                out.write("".join(swap(demo_lines, i - 1, i)))
            assert_verifies(daemon, "demo", "swapped re-signed pair")
            with open(path, "w") as out:
                out.write("".join(demo_lines[:i] + [demo_lines[i - 1]] + demo_lines[i:]))
            status, report, output = verify(daemon)
            assert status == 3 and not report["ok"], f"copied line: {output}"
            with open(path, "w") as out:
                out.write("".join(lines))
            assert_verifies(daemon, "demo", "restored")
    finally:
        daemon.stop()

"""Break-it round 16: round 15 lets two signatures of one head stand side by side in
checkpoints.log (a re-signing after a failed commit), in either order, and calls an
identical copied line tampering. Genuine re-signings are made here with the daemon's own
audit key (what whootd writes after a failed commit: same head, another time); then
copies, forgeries and another key's lines are slipped in as if they were re-signings."""

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from test_break14_checkpoints import checkpoint_file, lines_of, verify, write_lines


def daemon_key(daemon):
    with open(os.path.join(daemon.state_dir, "keys", "audit-signing.pem"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def resigned(line, key, at_ms, key_id=None):
    """`line`'s head signed by `key` at `at_ms`, as a checkpoint file line."""
    _, tenant, seq, head, _, old_key_id, _ = line.split()
    message = f"whoot-audit-checkpoint-v1\n{tenant}\n{seq}\n{head}\n{at_ms}\n".encode()
    signature = key.sign(message).hex()
    return (f"whoot-checkpoint-v1 {tenant} {seq} {head} {at_ms} {key_id or old_key_id} "
            f"{signature}\n")


@pytest.fixture
def signed(daemon):
    daemon.create_channel("demo", "a")
    daemon.ctl("audit", "checkpoint", "--tenant", "demo")
    daemon.create_channel("demo", "b")
    daemon.ctl("audit", "checkpoint", "--tenant", "demo")
    lines = lines_of(daemon)
    assert len(lines) == 2, lines
    return lines


def at_ms(line):
    return int(line.split()[4])


def test_a_genuine_resigning_verifies_in_either_order(daemon, signed):
    again = resigned(signed[1], daemon_key(daemon), at_ms(signed[1]) + 5)
    for order in ([signed[0], signed[1], again], [signed[0], again, signed[1]]):
        write_lines(daemon, order)
        status, _, output = verify(daemon)
        assert status == 0, output


def test_a_copied_line_around_a_resigning_is_refused(daemon, signed):
    """A, B, A: each line differs from the one before it, but A is an identical copy."""
    again = resigned(signed[1], daemon_key(daemon), at_ms(signed[1]) + 5)
    for name, order in [("A B A", [signed[0], signed[1], again, signed[1]]),
                        ("B A B", [signed[0], again, signed[1], again]),
                        ("A B A B", [signed[0], signed[1], again, signed[1], again])]:
        write_lines(daemon, order)
        status, report, output = verify(daemon)
        assert status == 3 and report and not report["ok"], f"{name} accepted: {output}"


def test_a_forged_or_foreign_resigning_is_refused(daemon, signed):
    stranger = Ed25519PrivateKey.generate()
    key_id = signed[1].split()[5]
    bad_signature = signed[1].rsplit(" ", 1)[0] + " " + "00" * 64 + "\n"
    flipped = signed[1][:-3] + ("0" if signed[1][-2] != "0" else "1") + signed[1][-2:]
    cases = {
        "another key, own key id": resigned(signed[1], stranger, at_ms(signed[1]) + 5),
        "another key, the daemon's key id": resigned(
            signed[1], stranger, at_ms(signed[1]) + 5, key_id=key_id),
        "zero signature": bad_signature,
        "a signature digit changed": flipped,
        "the time changed, old signature": signed[1].replace(
            f" {at_ms(signed[1])} ", f" {at_ms(signed[1]) + 1} ", 1),
    }
    for name, line in cases.items():
        for order in ([signed[0], signed[1], line], [signed[0], line, signed[1]]):
            write_lines(daemon, order)
            status, report, output = verify(daemon)
            assert status == 3 and report and not report["ok"], f"{name} accepted: {output}"
    write_lines(daemon, signed)
    assert verify(daemon)[0] == 0


def test_a_resigning_of_another_head_at_the_same_seq_is_refused(daemon, signed):
    """A genuine signature of a different entry hash at the same seq (a rebuilt chain)."""
    fields = signed[1].split()
    fields[3] = "ab" * 32
    other = resigned(" ".join(fields), daemon_key(daemon), at_ms(signed[1]) + 5)
    write_lines(daemon, [signed[0], signed[1], other])
    status, report, output = verify(daemon)
    assert status == 3 and report and not report["ok"], output


def test_an_older_resigning_moved_after_a_later_checkpoint_is_refused(daemon, signed):
    again = resigned(signed[0], daemon_key(daemon), at_ms(signed[0]) + 5)
    write_lines(daemon, [signed[0], signed[1], again])
    status, report, output = verify(daemon)
    assert status == 3 and report and not report["ok"], output

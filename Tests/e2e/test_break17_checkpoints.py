"""Break-it round 17: checkpoints.log after round 16 (a line identical to any earlier one is
a copy; two signatures of one head may come in either order). Two tenants interleaved,
another tenant's line copied in, a copy after a restart, and the same head signed three and
four times (what repeated kill -9 between append and commit leaves), in every order."""

import itertools
import signal

from test_break14_checkpoints import checkpoint, lines_of, verify, write_lines
from test_break16_resign import at_ms, daemon_key, resigned


def two_tenants(daemon):
    daemon.create_tenant("other", "Other")
    for i in range(3):
        daemon.create_channel("demo", f"d{i}")
        checkpoint(daemon, "demo")
        daemon.create_channel("other", f"o{i}")
        checkpoint(daemon, "other")
    return lines_of(daemon)


def of(lines, tenant_id):
    return [line for line in lines if line.split()[1] == tenant_id]


def tenant_ids(lines):
    return sorted({line.split()[1] for line in lines})


def ok(daemon, tenant):
    status, report, output = verify(daemon, tenant)
    return status == 0 and report and report["ok"], output


def test_tenants_interleaved_any_way_verify_when_each_keeps_its_order(daemon):
    lines = two_tenants(daemon)
    first, second = tenant_ids(lines)
    a, b = of(lines, first), of(lines, second)
    for order in (a + b, b + a, [x for pair in zip(b, a) for x in pair]):
        write_lines(daemon, order)
        for tenant in ("demo", "other"):
            good, output = ok(daemon, tenant)
            assert good, f"{tenant}: {output}"


def test_another_tenants_line_copied_in_fails_that_tenant_only(daemon):
    """Lines alternate demo, other (two_tenants checkpoints demo first)."""
    lines = two_tenants(daemon)
    demo_id = lines[0].split()[1]
    other_line = next(line for line in lines if line.split()[1] != demo_id)
    for placed in (lines + [other_line], [other_line] + lines, lines[:3] + [other_line]
                   + lines[3:]):
        write_lines(daemon, placed)
        assert ok(daemon, "demo")[0], f"demo blamed for other's copy: {ok(daemon, 'demo')}"
        good, output = ok(daemon, "other")
        assert not good, f"other's copied line verified: {output}"


def test_the_same_head_signed_three_and_four_times_verifies_in_any_order(daemon):
    daemon.create_channel("demo", "a")
    checkpoint(daemon)
    daemon.create_channel("demo", "b")
    checkpoint(daemon)
    first, last = lines_of(daemon)
    key = daemon_key(daemon)
    resignings = [resigned(last, key, at_ms(last) + k) for k in (3, 7, 11)]
    for count in (3, 4):
        for order in itertools.permutations([last] + resignings[:count - 1]):
            write_lines(daemon, [first, *order])
            good, output = ok(daemon, "demo")
            assert good, f"{count} signatures in order {order}: {output}"
    for copy in [last, *resignings]:
        write_lines(daemon, [first, last, *resignings, copy])
        good, output = ok(daemon, "demo")
        assert not good, f"a copy after four signatures verified: {output}"


def test_restarts_with_nothing_new_never_raise_a_false_alarm(daemon):
    daemon.create_channel("demo", "a")
    checkpoint(daemon)
    for how in (signal.SIGTERM, signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGTERM):
        daemon.proc.send_signal(how)
        daemon.proc.wait(timeout=15)
        daemon._log.close()
        daemon.start()
        checkpoint(daemon)
        for tenant in ("demo",):
            good, output = ok(daemon, tenant)
            assert good, f"after {signal.Signals(how).name}: {output}"


def test_a_line_copied_in_after_a_restart_is_refused(daemon):
    daemon.create_channel("demo", "a")
    checkpoint(daemon)
    daemon.create_channel("demo", "b")
    checkpoint(daemon)
    daemon.stop()
    daemon.start()
    daemon.create_channel("demo", "c")
    checkpoint(daemon)
    lines = lines_of(daemon)
    for copy in lines[:-1]:
        write_lines(daemon, lines + [copy])
        good, output = ok(daemon, "demo")
        assert not good, f"copy of {copy.split()[2]} after a restart verified: {output}"
    write_lines(daemon, lines)
    assert ok(daemon, "demo")[0]

"""Break-it round 8: the admin socket's JSON-lines protocol and whootctl as an operator
uses it. Every bad line gets one clear JSON error; the daemon keeps serving."""

import json
import socket
import subprocess
import time

import pytest

from adminwire import Wire
from conftest import daemon_configured


def alive_and_serving(daemon) -> None:
    assert daemon.alive(), daemon.output()[-2000:]
    wire = Wire(daemon.admin_socket, timeout=5)
    try:
        assert wire.call("tenant.list")["ok"]
    finally:
        wire.close()


@pytest.mark.parametrize("line,error", [
    (b"x" * 70_000, "request line longer than 65536 bytes"),
    (b"\xff\xfe{}", "not valid UTF-8"),
    (b'{"command":"tenant.list","args":{"a":"\xc3\x28"}}', "not valid UTF-8"),
    (b"[" * 60_000 + b"]" * 60_000, "request line longer"),
    (b"[" * 30_000 + b"]" * 30_000, "not valid JSON"),
    (b'{"command":"tenant.list","args":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001,
     "not valid JSON"),
    (b'{"command":"no.such"}', 'unknown command "no.such"'),
    (b'{"command":"tenant.list","bogus":1}', 'unknown request field "bogus"'),
    (b'{"command":1}', 'needs a "command" string'),
    (b'"just a string"', "must be a JSON object"),
    (b'{"command":"tenant.list","args":[]}', '"args" must be an object'),
    (b'{"command":"tenant.list"}{"command":"tenant.list"}', "not valid JSON"),
    (b"\x00", "not valid JSON"),
])
def test_bad_lines_get_one_clear_error_and_the_connection_serves_on(daemon, line, error):
    wire = Wire(daemon.admin_socket)
    wire.send_raw(line + b"\n")
    answer = wire.answer()
    assert answer["ok"] is False and error in answer["error"], answer
    assert wire.call("tenant.list")["ok"], "the connection stopped serving"
    wire.close()
    alive_and_serving(daemon)


def test_moderately_deep_valid_nesting_is_answered(daemon):
    args = {"x": json.loads("[" * 400 + "]" * 400)}
    wire = Wire(daemon.admin_socket)
    answer = wire.call("tenant.list", **args)
    assert answer["ok"] is False and "unknown argument" in answer["error"], answer
    wire.close()
    alive_and_serving(daemon)


def test_a_line_without_newline_then_close_is_harmless(daemon):
    for data in [b'{"command":"tenant.list"}', b"x" * 200_000]:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(daemon.admin_socket)
        sock.sendall(data)
        sock.close()
    alive_and_serving(daemon)


def test_pipelined_requests_are_answered_in_order(daemon):
    wire = Wire(daemon.admin_socket)
    lines = b"".join(json.dumps({"id": i, "command": "tenant.list"}).encode() + b"\r\n"
                     for i in range(300))
    wire.send_raw(lines)
    ids = [wire.answer()["id"] for _ in range(300)]
    assert ids == list(range(300))
    wire.close()


def test_many_clients_at_once_are_served_or_refused_clearly(daemon):
    socks = []
    for _ in range(40):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(daemon.admin_socket)  # blocking: waits while the backlog is full
        sock.settimeout(10)
        socks.append(sock)
    refused = served = 0
    for sock in socks:
        try:
            sock.sendall(b'{"id":7,"command":"tenant.list"}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = json.loads(sock.makefile("rb").readline())
        if answer["ok"]:
            served += 1
        else:
            assert "too many admin connections" in answer["error"], answer
            refused += 1
    assert served == 16 and refused == 24, (served, refused)
    for sock in socks:
        sock.close()
    time.sleep(0.3)
    alive_and_serving(daemon)


def test_clients_that_never_read_their_answers_do_not_lock_out_the_operator(tmp_path):
    """Sixteen clients pipeline requests and never read. Sixteen idle clients hold every
    slot for the idle timeout by design; these must not hold them longer (a reply blocked
    on a full socket buffer must have a deadline too). admin_idle_timeout is cut to 4 s."""
    with daemon_configured("admin_idle_timeout = 4\n", tmp_path) as daemon:
        hogs = []
        request = b'{"command":"tenant.list"}\n' * 2000
        for _ in range(16):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(daemon.admin_socket)
            sock.setblocking(False)
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                try:
                    sock.send(request)
                except BlockingIOError:
                    time.sleep(0.05)
                    try:
                        sock.send(request)
                    except BlockingIOError:
                        break
            hogs.append(sock)
        locked = daemon.ctl("--json", "tenant", "list", check=False)
        time.sleep(4 + 4)  # the timeout, and as much again for a partial write's second wait
        done = daemon.ctl("--json", "tenant", "list", check=False)
        for sock in hogs:
            sock.close()
        assert locked.returncode != 0 and "too many admin connections" in locked.stderr, \
            f"the hogs did not fill the slots, so this test shows nothing: {locked}"
        assert done.returncode == 0, \
            "whootctl still locked out after the idle timeout by clients that do not read: " \
            f" {done.stderr.strip()!r}"


def test_every_command_has_help_and_refuses_wrong_arguments(daemon):
    general = daemon.ctl("--help")
    assert general.returncode == 0 and "exit status" in general.stdout
    lines = [line.strip().split("  ")[0] for line in general.stdout.splitlines()
             if line.startswith("  ") and not line.startswith("  --")]
    commands = [line.split(" --")[0].split(" [")[0].split(" <")[0] for line in lines if line]
    assert len(commands) > 20, commands
    for command in commands:
        words = command.split()
        words = [w for w in words if w.islower() or w in ("assign", "unassign")]
        helped = daemon.ctl(*words, "--help", check=False)
        assert helped.returncode == 0 and "usage:" in helped.stdout, (words, helped)
        wrong = daemon.ctl(*words, "--no_such_flag", "1", check=False)
        assert wrong.returncode == 2 and "whootctl:" in wrong.stderr, (words, wrong)
    assert daemon.ctl("nosuch", check=False).returncode == 2
    assert daemon.ctl(check=False).returncode == 2
    assert daemon.ctl("tenant", "create", "--slug", check=False).returncode == 2
    assert daemon.ctl("token", "join", "--tenant", "demo", "--channel", "lobby",
                      "--member", "alice", "--ttl", "ten", check=False).returncode == 2


def test_errors_exit_one_and_json_output_parses(daemon):
    for args in [("tenant", "list"), ("channel", "list", "--tenant", "demo"),
                 ("member", "list", "--tenant", "demo"), ("recording", "status"),
                 ("recording", "list", "--tenant", "demo"),
                 ("recording", "settings", "--tenant", "demo", "--channel", "lobby"),
                 ("mfa", "status", "--tenant", "demo", "--member", "alice")]:
        done = daemon.ctl("--json", *args)
        json.loads(done.stdout)
    for args in [("channel", "list", "--tenant", "nosuch"),
                 ("member", "remove", "--tenant", "demo", "--member", "nosuch"),
                 ("recording", "delete", "--tenant", "demo", "--recording", "42")]:
        done = daemon.ctl("--json", *args, check=False)
        assert done.returncode == 1 and done.stderr.startswith("whootctl: "), (args, done)
    gone = subprocess.run([daemon.whootctl, "--socket", "/tmp/whoot-break8-nosuch.sock",
                           "tenant", "list"], capture_output=True, text=True, timeout=10)
    assert gone.returncode == 1 and "cannot reach whootd" in gone.stderr, gone


def test_secrets_are_printed_only_where_asked_and_never_logged(daemon):
    token = daemon.ctl("token", "join", "--tenant", "demo", "--channel", "lobby",
                       "--member", "alice").stdout.strip()
    as_json = json.loads(daemon.ctl("--json", "token", "join", "--tenant", "demo",
                                    "--channel", "lobby", "--member", "alice").stdout)
    daemon.ctl("member", "invite", "--tenant", "demo", "--handle", "zoe")
    invitation = daemon.ctl("member", "invitation", "--tenant", "demo",
                            "--member", "zoe").stdout.strip()
    password = "correct horse battery staple 8"
    subprocess.run([daemon.whootctl, "--socket", daemon.admin_socket, "member", "password",
                    "--tenant", "demo", "--member", "zoe"], input=password + "\n",
                   capture_output=True, text=True, timeout=30, check=True)
    bad = subprocess.run([daemon.whootctl, "--socket", daemon.admin_socket, "member",
                          "password", "--tenant", "demo", "--member", "nosuch"],
                         input="hunter2hunter2\n", capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "hunter2" not in bad.stdout + bad.stderr, bad
    listing = daemon.ctl("--json", "member", "list", "--tenant", "demo").stdout
    audit = daemon.ctl("audit", "export", "--tenant", "demo").stdout
    log = daemon.output()
    secrets = [token, invitation, password, "hunter2hunter2"] + \
        [v for v in as_json.values() if isinstance(v, str) and len(v) > 20]
    for secret in secrets:
        assert secret not in log, "a secret is in whootd's log"
        assert secret not in listing and secret not in audit, "a secret is in a listing"

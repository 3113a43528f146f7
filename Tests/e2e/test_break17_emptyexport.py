"""Break-it round 17: an export whose filter selects nothing ends at a signed checkpoint
(round 16). A period before the tenant existed, a period in the future, an actor that never
acted, and from > to; each empty export must pass whootctl's offline verifier and a script
following README's six rules, and each edit of it must fail both."""

import csv
import hashlib
import io

import pytest

from readme_verifier import readme_verify


PERIODS = {
    "before the tenant existed": ["--from", "2001-01-01", "--to", "2001-02-01"],
    "in the future": ["--from", "2098-01-01", "--to", "2099-01-01"],
    "an actor that never acted": ["--actor", "member:9999"],
    "a past period, an actor that never acted": ["--from", "2001-01-01", "--actor",
                                                 "member:9999"],
}


@pytest.fixture
def keyed(daemon, tmp_path):
    daemon.create_channel("demo", "ops")
    pem = tmp_path / "audit.pub.pem"
    daemon.ctl("audit", "public-key", "--out", str(pem))
    return pem


def offline(daemon, export, pem):
    result = daemon.ctl("audit", "verify", "--export", str(export), "--public-key", str(pem),
                        check=False)
    return result.returncode, result.stdout + result.stderr


def edits(text):
    lines = text.split("\r\n")
    body = [line for line in lines[1:] if line]
    yield "checkpoint row removed", "\r\n".join([lines[0], *body[:-1], ""])
    yield "all but the checkpoint removed", "\r\n".join([lines[0], body[-1], ""])
    last = body[-1].split(",")
    last[4] = str(int(last[4]) + 1)
    yield "checkpoint time changed", "\r\n".join([lines[0], *body[:-1], ",".join(last), ""])
    first = body[0].split(",")
    first[11] = ("0" if first[11][0] != "0" else "1") + first[11][1:]
    yield "a link's body_hash changed", "\r\n".join([lines[0], ",".join(first), *body[1:], ""])


@pytest.mark.parametrize("case", sorted(PERIODS))
def test_an_export_selecting_nothing_verifies_and_its_edits_do_not(daemon, keyed, tmp_path,
                                                                   case):
    out = tmp_path / "empty.csv"
    daemon.ctl("audit", "export", "--tenant", "demo", "--out", str(out), *PERIODS[case])
    text = out.read_bytes().decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows and rows[-1]["record"] == "checkpoint", text
    assert not [r for r in rows if r["record"] == "entry"], text
    status, output = offline(daemon, out, keyed)
    assert status == 0, output
    assert readme_verify(text, keyed.read_text()) is None

    for name, edited in edits(text):
        out.write_bytes(edited.encode())
        status, output = offline(daemon, out, keyed)
        script = readme_verify(edited, keyed.read_text())
        if name == "all but the checkpoint removed":
            # The first row's prev_hash is taken as given: a lone checkpoint proves
            # nothing about a span, so neither verifier may call it a verified export.
            assert status != 0 or "0 entries" in output, f"{name}: {output}"
            continue
        assert status != 0, f"{name}: whootctl accepted it: {output}"
        assert script is not None, f"{name}: the README's rules accept it"


def test_from_after_to_is_one_clear_line_and_no_file(daemon, tmp_path):
    out = tmp_path / "e.csv"
    result = daemon.ctl("audit", "export", "--tenant", "demo", "--from", "2030-01-01",
                        "--to", "2020-01-01", "--out", str(out), check=False)
    message = result.stderr.strip()
    assert result.returncode != 0 and len(message.splitlines()) == 1, message
    assert "after" in message, message
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["whootd.log"]

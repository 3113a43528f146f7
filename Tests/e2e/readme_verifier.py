"""The README's "Verifying an export with your own script", rules 1-6, written as an auditor
would from the README alone: it shares no code with whoot."""

import csv
import hashlib
import io

from cryptography.hazmat.primitives.serialization import load_pem_public_key


def readme_verify(text, public_pem):
    """README "Verifying an export with your own script", rules 1-6. Returns a problem or
    None."""
    key = load_pem_public_key(public_pem.encode())
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if not rows:
        return "no rows"
    for row in rows:
        for name, value in row.items():
            if value and value.startswith("'"):
                row[name] = value[1:]
    previous = None
    for number, row in enumerate(rows):
        kind = row["record"]
        if kind in ("entry", "link"):
            if previous is not None:
                if int(row["seq"]) != int(previous["seq"]) + 1:
                    return f"row {number}: seq not consecutive"
                if row["prev_hash"] != previous["entry_hash"]:
                    return f"row {number}: prev_hash"
            if kind == "entry":
                body = b"whoot-audit-entry-v1\n"
                for field in ("tenant", "seq", "at_ms", "actor", "action", "target", "ip",
                              "request_id", "metadata"):
                    data = row[field].encode()
                    body += str(len(data)).encode() + b":" + data + b"\n"
                if hashlib.sha256(body).hexdigest() != row["body_hash"]:
                    return f"row {number}: body_hash"
            chained = hashlib.sha256(b"whoot-audit-chain-v1\n" + bytes.fromhex(
                row["prev_hash"]) + bytes.fromhex(row["body_hash"])).hexdigest()
            if chained != row["entry_hash"]:
                return f"row {number}: entry_hash"
            previous = row
        elif kind == "checkpoint":
            if previous is None or row["entry_hash"] != previous["entry_hash"]:
                return f"row {number}: checkpoint not over the row above"
            message = (f"whoot-audit-checkpoint-v1\n{row['tenant']}\n{row['seq']}\n"
                       f"{row['entry_hash']}\n{row['at_ms']}\n").encode()
            try:
                key.verify(bytes.fromhex(row["signature"]), message)
            except Exception:
                return f"row {number}: signature"
        else:
            return f"row {number}: record {kind!r}"
    if rows[-1]["record"] != "checkpoint":
        return "last row is not a checkpoint"
    return None

"""Hostile traffic for test_floods.py, run as a separate process so that the flood does
not steal the aiortc peers' event loop. Loopback only: every target is 127.0.0.1 and
every source address is in 127.0.0.0/8. Each mode is a bounded loop and prints one line
of JSON with what it did.

    flooder.py udp PORT COUNT RATE          random datagrams, COUNT of them at RATE/s
    flooder.py hellos PORT COUNT            DTLS ClientHellos from COUNT source addresses
    flooder.py slowhttp PORT COUNT SECONDS  COUNT slow TCP clients held for SECONDS
"""

import json
import os
import random
import resource
import socket
import struct
import sys
import time

RELAY_HOST = "127.0.0.1"


def source_address(index: int) -> str:
    """A distinct loopback address per index, avoiding 127.0.0.1 and .0/.255 hosts."""
    return f"127.{10 + index // 250}.{(index // 250) % 250 + 1}.{index % 250 + 2}"


def udp_flood(port: int, count: int, rate: int) -> dict:
    """Random bytes of random length (1..1200), paced in slices of 1 ms."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    pool = [os.urandom(random.randint(1, 1200)) for _ in range(512)]
    sent = 0
    started = time.monotonic()
    per_ms = max(1, rate // 1000)
    while sent < count:
        for _ in range(min(per_ms, count - sent)):
            try:
                sock.sendto(pool[sent % len(pool)], (RELAY_HOST, port))
            except BlockingIOError:
                pass
            sent += 1
        due = started + sent / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    elapsed = time.monotonic() - started
    return {"sent": sent, "seconds": round(elapsed, 3), "per_second": int(sent / elapsed)}


def client_hello() -> bytes:
    """A DTLS 1.2 ClientHello (RFC 6347 4.2.2) offering ECDHE-ECDSA-AES128-GCM and the
    use_srtp extension, as a WebRTC client would send it first."""
    random_bytes = os.urandom(32)
    suites = struct.pack("!HH", 4, 0xC02B) + struct.pack("!H", 0xC02F)
    srtp = struct.pack("!HH", 0x000E, 5) + struct.pack("!HH", 2, 0x0001) + b"\x00"
    groups = struct.pack("!HHH", 0x000A, 4, 2) + struct.pack("!H", 0x0017)
    extensions = srtp + groups
    body = (b"\xfe\xfd" + random_bytes + b"\x00" + b"\x00" + suites + b"\x01\x00"
            + struct.pack("!H", len(extensions)) + extensions)
    handshake = (b"\x01" + len(body).to_bytes(3, "big") + b"\x00\x00"
                 + b"\x00\x00\x00" + len(body).to_bytes(3, "big") + body)
    return (b"\x16\xfe\xff" + b"\x00\x00" + b"\x00" * 6
            + struct.pack("!H", len(handshake)) + handshake)


def hellos(port: int, count: int) -> dict:
    sent = 0
    started = time.monotonic()
    for index in range(count):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((source_address(index), 0))
            sock.sendto(client_hello(), (RELAY_HOST, port))
            sent += 1
    return {"sent": sent, "sources": count, "seconds": round(time.monotonic() - started, 3)}


def slow_http(port: int, count: int, seconds: float) -> dict:
    """COUNT TCP connections, 10 per source address: a third send nothing, a third send a
    TLS record header and stop, a third dribble a ClientHello's bytes one per second."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 256)), hard))
    hello = client_hello()[13:]  # handshake bytes; framed below as TLS
    tls = b"\x16\x03\x01" + struct.pack("!H", len(hello)) + hello
    sockets, refused = [], 0
    for index in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((source_address(index // 10), 0))
        sock.settimeout(2)
        try:
            sock.connect((RELAY_HOST, port))
        except OSError:
            refused += 1
            sock.close()
            continue
        sock.setblocking(False)
        if index % 3 == 1:
            _send(sock, tls[:5])
        sockets.append(sock)
    deadline = time.monotonic() + seconds
    offset = 0
    while time.monotonic() < deadline:
        for index, sock in enumerate(sockets):
            if index % 3 == 2 and offset < len(tls):
                _send(sock, tls[offset:offset + 1])
        offset += 1
        time.sleep(1)
    closed_by_server = sum(1 for sock in sockets if _closed(sock))
    for sock in sockets:
        sock.close()
    return {"opened": len(sockets), "refused_at_connect": refused,
            "closed_by_server": closed_by_server}


def _send(sock, data: bytes) -> None:
    try:
        sock.send(data)
    except OSError:
        pass


def _closed(sock) -> bool:
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "udp":
        result = udp_flood(port, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "hellos":
        result = hellos(port, int(sys.argv[3]))
    elif mode == "slowhttp":
        result = slow_http(port, int(sys.argv[3]), float(sys.argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result), flush=True)

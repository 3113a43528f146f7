"""A raw admin-socket client for the break-it tests: JSON lines over a Unix socket, spoken
by hand so a test can send what whootctl never would. Runs as another uid with
`python3 adminwire.py SOCKET` and JSON request lines on stdin (one answer line each)."""

import json
import socket
import sys


class Wire:
    def __init__(self, path: str, timeout: float = 20.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> bytes:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError(f"closed; had {self.buffer[:200]!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def answer(self) -> dict:
        return json.loads(self.line())

    def call(self, command: str, **args) -> dict:
        self.send_raw(json.dumps({"id": 1, "command": command, "args": args}).encode() + b"\n")
        return self.answer()

    def close(self) -> None:
        self.sock.close()


if __name__ == "__main__":
    wire = Wire(sys.argv[1])
    for request in sys.stdin:
        wire.send_raw(request.strip().encode() + b"\n")
        print(wire.line().decode(), flush=True)

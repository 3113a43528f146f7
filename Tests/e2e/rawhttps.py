"""A hand-written HTTPS/1.1 client for hostile tests: it sends exactly the bytes it is given
(lying Content-Length, doubled headers, bad chunk sizes, dribbled bodies) and reads what
comes back, telling an answer apart from a connection closed or reset without one."""

import socket
import ssl
import time

from peer import insecure_tls

CLOSED = "closed"  # the server closed the connection without (another) answer
RESET = "reset"  # the connection was reset (or the TLS session cut) before an answer
TIMEOUT = "timeout"  # nothing arrived within the read timeout


def connect(port: int, timeout: float = 10.0) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return insecure_tls().wrap_socket(raw, server_hostname="127.0.0.1")


def head(method: str, path: str, headers: list) -> bytes:
    """A request line and header block; `headers` is a list of (name, value) pairs, sent
    in order and as given (repeats allowed)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Reader:
    """Reads responses off one connection, keeping bytes that belong to the next one."""

    def __init__(self, sock: ssl.SSLSocket):
        self.sock = sock
        self.buffer = b""

    def _more(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            raise _Reset()
        if not data:
            return False
        self.buffer += data
        return True

    def response(self, timeout: float = 10.0):
        """(status, headers, body), or CLOSED / RESET / TIMEOUT in place of the status
        with empty headers and body. Interim 1xx answers are returned like any other."""
        self.sock.settimeout(timeout)
        try:
            while b"\r\n\r\n" not in self.buffer:
                if not self._more():
                    return CLOSED, {}, b""
            block, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = block.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = 0 if status < 200 else int(headers.get("content-length", "0"))
            while len(self.buffer) < length:
                if not self._more():
                    break
            body, self.buffer = self.buffer[:length], self.buffer[length:]
            return status, headers, body
        except _Reset:
            return RESET, {}, b""
        except (socket.timeout, TimeoutError):
            return TIMEOUT, {}, b""

    def final(self, timeout: float = 10.0):
        """The first non-1xx answer (or CLOSED / RESET / TIMEOUT)."""
        while True:
            answer = self.response(timeout)
            if not isinstance(answer[0], int) or answer[0] >= 200:
                return answer

    def closed_within(self, seconds: float) -> float:
        """Seconds until the server closed or reset the connection, or None if it was
        still open after `seconds`. Anything the server sends meanwhile is dropped."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            self.sock.settimeout(max(0.05, seconds - (time.monotonic() - start)))
            try:
                if not self._more():
                    return time.monotonic() - start
            except _Reset:
                return time.monotonic() - start
            except (socket.timeout, TimeoutError):
                return None
        return None


class _Reset(Exception):
    pass


def exchange(port: int, data: bytes, timeout: float = 10.0):
    """Sends `data` in one go (ignoring a reset while sending) and returns the first final
    answer, as `Reader.final`."""
    sock = connect(port, timeout)
    try:
        try:
            sock.sendall(data)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            pass
        return Reader(sock).final(timeout)
    finally:
        sock.close()


def chunked(body: bytes, size: int = 16384) -> bytes:
    """`body` in chunked transfer coding, `size` bytes a chunk."""
    out = b""
    for start in range(0, len(body), size):
        piece = body[start:start + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def dribble(sock, data: bytes, gap: float, limit: float):
    """Sends `data` a byte every `gap` s; returns the seconds until the server closed or
    reset the connection, or None if it was still open after `limit` s."""
    start = time.monotonic()
    for byte in data:
        if time.monotonic() - start > limit:
            return None
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return time.monotonic() - start
        sock.settimeout(gap)
        try:
            if not sock.recv(65536):
                return time.monotonic() - start
        except (TimeoutError, socket.timeout, ssl.SSLWantReadError):
            pass
        except OSError:
            return time.monotonic() - start
    return None

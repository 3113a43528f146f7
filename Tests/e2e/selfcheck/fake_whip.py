"""A tiny aiortc WHIP server used only to check the e2e harness itself, never the product.

Bearer token "<channel>:<anything>" joins <channel>. Every participant's decoded audio is
re-encoded towards every other participant of the same channel (nothing when alone).
Serves POST /whip, DELETE and GET /whip/<id>, GET /healthz and GET / (a small test page).
"""

import asyncio
import fractions
import os
import ssl
import subprocess
import uuid

import aioice.ice
from aiortc import MediaStreamTrack, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from peer import new_peer_connection

PAGE = os.path.join(os.path.dirname(__file__), "page.html")


def drop_empty_datagrams() -> None:
    """aiortc 1.16's DTLS transport dies on an empty UDP datagram (IndexError on data[0]),
    which test_bad_input rightly flags. The fake must survive that test to check the rest
    of it, so every aiortc agent in this process skips empty datagrams."""
    original = aioice.ice.Connection.recv
    if getattr(original, "skips_empty", False):
        return

    async def recv(self):
        while True:
            data = await original(self)
            if data:
                return data

    recv.skips_empty = True
    aioice.ice.Connection.recv = recv


drop_empty_datagrams()


class ForwardTrack(MediaStreamTrack):
    """Frames pushed from other participants, re-stamped; blocks (sends nothing) when idle."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self.queue = asyncio.Queue(maxsize=50)
        self.pts = 0

    def push(self, frame) -> None:
        if not self.queue.full():
            self.queue.put_nowait(frame)

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.queue.get()
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, frame.sample_rate)
        self.pts += frame.samples
        return frame


class Session:
    def __init__(self, channel: str):
        self.id = uuid.uuid4().hex
        self.channel = channel
        self.pc = new_peer_connection()
        self.out = ForwardTrack()


class FakeWhip:
    def __init__(self, cert_dir: str):
        self.sessions = {}
        self.cert_dir = cert_dir
        self.server = None
        self.port = None

    async def start(self) -> "FakeWhip":
        cert = os.path.join(self.cert_dir, "cert.pem")
        key = os.path.join(self.cert_dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=30)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=context)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        for session in list(self.sessions.values()):
            await session.pc.close()
        self.server.close()

    async def _serve(self, reader, writer) -> None:
        try:
            status, headers, body = await asyncio.wait_for(self._handle(reader), 20)
        except (asyncio.TimeoutError, ConnectionError, ValueError, ssl.SSLError):
            writer.close()
            return
        head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(head.encode() + b"\r\n" + body)
        try:
            await writer.drain()
            writer.close()
        except (ConnectionError, ssl.SSLError):
            pass

    async def _handle(self, reader):
        request_line = (await reader.readline()).decode().split()
        if len(request_line) < 2:
            raise ValueError("empty request")
        method, path = request_line[0], request_line[1]
        headers = {}
        while True:
            line = (await reader.readline()).decode().strip()
            if not line:
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))

        if path == "/healthz":
            return 200, {}, b"ok"
        if path == "/" and method == "GET":
            with open(PAGE, "rb") as page:
                return 200, {"Content-Type": "text/html"}, page.read()
        if path == "/whip" and method == "POST":
            return await self._join(headers, body.decode())
        if path.startswith("/whip/"):
            if method != "DELETE":
                return 405, {}, b""
            session = self.sessions.pop(path[len("/whip/"):], None)
            if session is None:
                return 404, {}, b""
            await session.pc.close()
            return 204, {}, b""
        return 404, {}, b""

    async def _join(self, headers, offer: str):
        if headers.get("content-type") != "application/sdp":
            return 415, {}, b""
        token = headers.get("authorization", "").removeprefix("Bearer ")
        channel, sep, _ = token.partition(":")
        if not sep:
            return 401, {}, b""

        session = Session(channel)
        session.pc.on("track", lambda track: self._forward_from(session, track))
        await session.pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        session.pc.addTrack(session.out)
        await session.pc.setLocalDescription(await session.pc.createAnswer())
        self.sessions[session.id] = session
        return 201, {"Location": f"/whip/{session.id}", "Content-Type": "application/sdp"}, \
            session.pc.localDescription.sdp.encode()

    def _forward_from(self, source: Session, track) -> None:
        async def pump():
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                for other in list(self.sessions.values()):
                    if other is not source and other.channel == source.channel:
                        other.out.push(frame)

        asyncio.ensure_future(pump())

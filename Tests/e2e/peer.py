"""An aiortc WHIP client that sends a sine tone and measures what it receives.

The peer counts decrypted RTP packets per SSRC at the DTLS transport (before aiortc routes
them to a receiver), so a test can assert that no RTP arrived at all, not only that the
decoded audio is silent. Decoded audio is kept per received track for frequency analysis.
"""

import asyncio
import contextlib
import fractions
import http.client
import ssl
import time
import urllib.parse
from collections import Counter

import aioice.ice
import av
import numpy as np
from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection,
                    RTCSessionDescription)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcicetransport import RTCIceGatherer

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms at 48 kHz
HTTP_TIMEOUT = 10.0  # seconds


def loopback_only() -> None:
    """Keeps every aiortc peer in this process on 127.0.0.1: host candidates on loopback
    only (aioice skips it by default) and no default public STUN server."""
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    RTCIceGatherer.getDefaultIceServers = classmethod(lambda cls: [])


def new_peer_connection() -> RTCPeerConnection:
    loopback_only()
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


class ToneTrack(MediaStreamTrack):
    """A mono 48 kHz sine tone in 20 ms frames, paced in real time."""

    kind = "audio"

    def __init__(self, hz: float, amplitude: float = 0.4):
        super().__init__()
        self.hz = hz
        self.amplitude = amplitude
        self._sent = 0  # samples
        self._start = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._sent / SAMPLE_RATE
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

        n = np.arange(self._sent, self._sent + FRAME_SAMPLES)
        wave = self.amplitude * np.sin(2 * np.pi * self.hz * n / SAMPLE_RATE)
        samples = (wave * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._sent += FRAME_SAMPLES
        return frame


def dominant_frequency_of(samples: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    """The frequency (Hz) of the strongest FFT bin above 50 Hz, Hann-windowed."""
    if samples.size < rate // 10:
        raise AssertionError(f"too little audio to analyse: {samples.size} samples")
    windowed = samples * np.hanning(samples.size)
    spectrum = np.abs(np.fft.rfft(windowed))
    freqs = np.fft.rfftfreq(samples.size, 1.0 / rate)
    spectrum[freqs < 50] = 0
    return float(freqs[int(np.argmax(spectrum))])


def band_share_of(samples: np.ndarray, hz: float, width: float = 15.0,
                  rate: int = SAMPLE_RATE) -> float:
    """Share (0..1) of spectral power above 50 Hz that lies within hz +- width."""
    windowed = samples * np.hanning(samples.size)
    power = np.abs(np.fft.rfft(windowed)) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1.0 / rate)
    audible = freqs >= 50
    total = float(power[audible].sum())
    if total == 0.0:
        return 0.0
    return float(power[audible & (np.abs(freqs - hz) <= width)].sum()) / total


class ReceivedTrack:
    """Decoded audio of one remote track: mono float samples and a frame count."""

    def __init__(self, track):
        self.track = track
        self.chunks = []  # (arrival monotonic seconds, np.ndarray float32 mono)
        self.frames = 0

    def add(self, frame: av.AudioFrame) -> None:
        data = frame.to_ndarray()
        channels = len(frame.layout.channels)
        if frame.format.is_planar:
            mono = data.astype(np.float32).mean(axis=0)
        else:
            mono = data.reshape(-1, channels).astype(np.float32).mean(axis=1)
        if frame.sample_rate != SAMPLE_RATE:
            raise AssertionError(f"decoded audio at {frame.sample_rate} Hz, want 48000")
        self.chunks.append((time.monotonic(), mono / 32768.0))
        self.frames += 1

    def samples(self, since: float = None, skip_seconds: float = 0.5) -> np.ndarray:
        picked = [c for t, c in self.chunks if since is None or t >= since]
        if not picked:
            return np.zeros(0, dtype=np.float32)
        audio = np.concatenate(picked)
        return audio[int(skip_seconds * SAMPLE_RATE):]


class Peer:
    """One WHIP participant.

    `tone_hz` None sends nothing (a sendrecv transceiver without a track). `recv_slots`
    is the number of audio m-lines: one sendrecv plus `recv_slots - 1` recvonly.
    `mangle_offer` may rewrite the SDP offer before it is posted (for hostile tests).
    """

    def __init__(self, base_url: str, token: str, tone_hz: float = None,
                 recv_slots: int = 1, mangle_offer=None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.tone_hz = tone_hz
        self.recv_slots = recv_slots
        self.mangle_offer = mangle_offer
        self.pc = new_peer_connection()
        self.offer_sdp = None
        self.answer_sdp = None
        self.location = None
        self.rejoin_token = None  # Whoot-Rejoin-Token of the 201, for coming back
        self.post_status = None
        self.post_body = b""
        self.received = []  # ReceivedTrack, in arrival order
        self.rtp_by_ssrc = Counter()
        self._tasks = []
        self._hooked = set()
        self._connected = asyncio.Event()
        self._failed = asyncio.Event()
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    # -- set-up ---------------------------------------------------------------------------

    async def connect(self, timeout: float = 15.0) -> "Peer":
        """Posts the offer, applies the answer and waits for the connection to be up."""
        status = await self.join()
        if status != 201:
            raise AssertionError(
                f"WHIP POST answered {status}, want 201: {self.post_body[:300]!r}")
        await self.wait_connected(timeout)
        return self

    async def join(self) -> int:
        """Posts the offer; on 201 applies the answer. Returns the HTTP status."""
        self._add_transceivers()
        await asyncio.wait_for(self.pc.setLocalDescription(await self.pc.createOffer()), 15)
        offer = self.pc.localDescription.sdp
        self.offer_sdp = self.mangle_offer(offer) if self.mangle_offer else offer

        status, headers, body = await http_request(
            self.base_url, "POST", "/whip", self.offer_sdp.encode(),
            {"Content-Type": "application/sdp", "Authorization": f"Bearer {self.token}"})
        self.post_status, self.post_body = status, body
        if status != 201:
            return status

        location = headers.get("location")
        if not location:
            raise AssertionError("WHIP 201 without a Location header")
        self.location = urllib.parse.urljoin(self.base_url + "/", location)
        self.rejoin_token = headers.get("whoot-rejoin-token")
        self.answer_sdp = body.decode()
        await asyncio.wait_for(self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=self.answer_sdp, type="answer")), 15)
        self._hook_transports()
        return status

    def _add_transceivers(self) -> None:
        first = self.pc.addTransceiver("audio", direction="sendrecv")
        if self.tone_hz is not None:
            first.sender.replaceTrack(ToneTrack(self.tone_hz))
        for _ in range(self.recv_slots - 1):
            self.pc.addTransceiver("audio", direction="recvonly")

    def _hook_transports(self) -> None:
        """Counts every decrypted RTP packet per SSRC before aiortc routes it."""
        for transceiver in self.pc.getTransceivers():
            transport = transceiver.receiver.transport
            if transport is None or id(transport) in self._hooked:
                continue
            self._hooked.add(id(transport))
            original = transport._handle_rtp_data

            async def counting(data, arrival_time_ms, _original=original):
                if len(data) >= 12:
                    self.rtp_by_ssrc[int.from_bytes(data[8:12], "big")] += 1
                await _original(data, arrival_time_ms)

            transport._handle_rtp_data = counting

    def _on_track(self, track) -> None:
        received = ReceivedTrack(track)
        self.received.append(received)
        self._tasks.append(asyncio.ensure_future(self._drain(received)))

    async def _drain(self, received: ReceivedTrack) -> None:
        while True:
            try:
                frame = await received.track.recv()
            except (MediaStreamError, asyncio.CancelledError):
                return
            received.add(frame)

    def _on_state(self) -> None:
        state = self.pc.connectionState
        if state == "connected":
            self._connected.set()
        elif state in ("failed", "closed"):
            self._failed.set()

    # -- waiting and measuring ----------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected"

    async def wait_connected(self, timeout: float = 15.0) -> None:
        connected = asyncio.ensure_future(self._connected.wait())
        failed = asyncio.ensure_future(self._failed.wait())
        done, pending = await asyncio.wait({connected, failed}, timeout=timeout,
                                           return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if connected not in done:
            raise AssertionError(
                f"peer not connected after {timeout}s (state {self.pc.connectionState})")

    @property
    def rtp_packets(self) -> int:
        """Decrypted RTP packets received from all SSRCs so far."""
        return sum(self.rtp_by_ssrc.values())

    @property
    def frames_received(self) -> int:
        return sum(r.frames for r in self.received)

    async def wait_frames(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.frames_received < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"only {self.frames_received} of {count} audio frames decoded "
                    f"after {timeout}s ({self.rtp_packets} RTP packets)")
            await asyncio.sleep(0.05)

    def samples(self, since: float = None, skip_seconds: float = 0.5) -> np.ndarray:
        """Decoded audio of every received track, concatenated track by track."""
        parts = [r.samples(since, skip_seconds) for r in self.received]
        parts = [p for p in parts if p.size]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def dominant_frequency(self, since: float = None, skip_seconds: float = 0.5) -> float:
        """Dominant frequency (Hz) of the received audio, first `skip_seconds` skipped."""
        return dominant_frequency_of(self.samples(since, skip_seconds))

    def band_share(self, hz: float, since: float = None, skip_seconds: float = 0.5) -> float:
        samples = self.samples(since, skip_seconds)
        return band_share_of(samples, hz) if samples.size else 0.0

    # -- leaving -------------------------------------------------------------------------------

    async def close(self) -> int:
        """Sends DELETE for the session (if one was created) and closes the connection.

        Returns the DELETE status, or None when there was no session."""
        status = None
        if self.location:
            path = urllib.parse.urlsplit(self.location).path
            try:
                status, _, _ = await http_request(self.base_url, "DELETE", path, b"",
                                                  {"Authorization": f"Bearer {self.token}"})
            except OSError:
                status = None
        for task in self._tasks:
            task.cancel()
        try:
            await asyncio.wait_for(self.pc.close(), 10)
        except asyncio.TimeoutError:
            pass
        return status


def insecure_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def http_request_sync(base_url: str, method: str, path: str, body: bytes = b"",
                      headers: dict = None, timeout: float = HTTP_TIMEOUT):
    """One HTTPS request without certificate checks. Returns (status, headers, body);
    header names are lower-cased."""
    url = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=timeout,
                                       context=insecure_tls())
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


async def http_request(base_url: str, method: str, path: str, body: bytes = b"",
                       headers: dict = None, timeout: float = HTTP_TIMEOUT):
    return await asyncio.wait_for(
        asyncio.to_thread(http_request_sync, base_url, method, path, body, headers, timeout),
        timeout + 2)


@contextlib.asynccontextmanager
async def connected_pair(base_url: str, token_a: str, token_b: str, tones=(440, 660),
                         frames: int = 100, timeout: float = 15):
    """Two peers in a call, each sending its tone, both having decoded `frames` frames.
    Both leave (DELETE) when the block ends."""
    first = Peer(base_url, token_a, tone_hz=tones[0])
    second = Peer(base_url, token_b, tone_hz=tones[1])
    try:
        await first.connect()
        await second.connect()
        await first.wait_frames(frames, timeout=timeout)
        await second.wait_frames(frames, timeout=timeout)
        yield first, second
    finally:
        await first.close()
        await second.close()

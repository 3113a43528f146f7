"""A WHIP peer that also logs each received RTP packet's sequence number and timestamp
per SSRC, in arrival order, so a test can check that a relay slot's stream is continuous
across a change of speaker."""

from collections import defaultdict

from peer import Peer


class SlotPeer(Peer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rtp_log = defaultdict(list)  # ssrc -> [(sequence, timestamp)]
        self._logged = set()

    def _hook_transports(self) -> None:
        super()._hook_transports()
        for transceiver in self.pc.getTransceivers():
            transport = transceiver.receiver.transport
            if transport is None or id(transport) in self._logged:
                continue
            self._logged.add(id(transport))
            original = transport._handle_rtp_data

            async def logging(data, arrival_time_ms, _original=original):
                if len(data) >= 12:
                    ssrc = int.from_bytes(data[8:12], "big")
                    sequence = int.from_bytes(data[2:4], "big")
                    timestamp = int.from_bytes(data[4:8], "big")
                    self.rtp_log[ssrc].append((sequence, timestamp))
                await _original(data, arrival_time_ms)

            transport._handle_rtp_data = logging

    def set_amplitude(self, amplitude: float) -> None:
        """Changes the loudness of the tone this peer sends (0 is digital silence)."""
        self.pc.getTransceivers()[0].sender.track.amplitude = amplitude

    def tones_heard(self, since: float, min_share: float = 0.5) -> set:
        """Dominant frequencies (Hz, rounded) of each received track since `since`,
        counting only tracks whose audio is mostly that one tone."""
        from peer import band_share_of, dominant_frequency_of
        heard = set()
        for track in self.received:
            samples = track.samples(since=since, skip_seconds=0.0)
            if samples.size < 4800 or float(abs(samples).max()) < 1e-4:
                continue
            hz = dominant_frequency_of(samples)
            if band_share_of(samples, hz) >= min_share:
                heard.add(round(hz / 10) * 10)
        return heard

"""Checks the harness (peer.py, stun.py, browser.py) against the fake aiortc WHIP server.

Run: WHOOT_SELFCHECK=1 .venv/bin/pytest -q Tests/e2e/selfcheck
"""

import asyncio
import socket
import urllib.parse

import numpy as np
import stun
from browser import start_chromium, wait_for_state, write_tone_wav
from fake_whip import FakeWhip
from peer import Peer, band_share_of, dominant_frequency_of, http_request


def test_dominant_frequency_finds_the_strongest_tone():
    n = np.arange(48000 * 2)
    mix = np.sin(2 * np.pi * 440 * n / 48000) + 0.3 * np.sin(2 * np.pi * 660 * n / 48000)
    assert abs(dominant_frequency_of(mix) - 440) < 2
    assert band_share_of(mix, 660) < 0.2 < band_share_of(mix, 440)


def test_two_peers_hear_each_other_and_a_lone_peer_gets_no_rtp(tmp_path):
    async def scenario():
        server = await FakeWhip(str(tmp_path)).start()
        a = Peer(server.base_url, "lobby:a", tone_hz=440)
        b = Peer(server.base_url, "lobby:b", tone_hz=660)
        lone = Peer(server.base_url, "other:c")
        try:
            for peer in (a, b, lone):
                await peer.connect()
            await a.wait_frames(150)
            await b.wait_frames(150)
            await asyncio.sleep(1.0)

            assert abs(a.dominant_frequency() - 660) < 10
            assert abs(b.dominant_frequency() - 440) < 10
            assert a.band_share(440) < 0.05 and b.band_share(660) < 0.05
            assert a.rtp_packets > 100 and b.rtp_packets > 100
            assert lone.connected and lone.rtp_packets == 0

            path = urllib.parse.urlsplit(a.location).path
            assert await a.close() == 204
            status, _, _ = await http_request(server.base_url, "DELETE", path)
            assert status == 404
        finally:
            for peer in (b, lone):
                await peer.close()
            await server.stop()

    asyncio.run(scenario())


def test_stun_requests_verify_against_aioice(tmp_path):
    """A Binding request signed with the right ICE password gets a success response from
    aioice; one with a wrong key gets none."""
    async def scenario():
        server = await FakeWhip(str(tmp_path)).start()
        a = Peer(server.base_url, "lobby:a", tone_hz=440)
        try:
            await a.connect()
            host, port = stun.udp_host_candidate(a.pc.localDescription.sdp)
            ufrag = stun.sdp_value(a.pc.localDescription.sdp, "ice-ufrag")
            pwd = stun.sdp_value(a.pc.localDescription.sdp, "ice-pwd")
            user = f"{ufrag}:{stun.sdp_value(a.answer_sdp, 'ice-ufrag')}"
            good = await asyncio.to_thread(
                exchange, (host, port), stun.binding_request(user, pwd, controlling=False))
            bad = await asyncio.to_thread(
                exchange, (host, port), stun.binding_request(user, pwd + "x", controlling=False))
            assert good is not None and stun.parse(good)[0] == stun.BINDING_SUCCESS
            kind, _, attrs = stun.parse(good)
            assert stun.xor_mapped_address(attrs[stun.XOR_MAPPED_ADDRESS])[0] == "127.0.0.1"
            assert bad is not None and stun.parse(bad)[0] == stun.BINDING_ERROR
            assert stun.parse(bad)[2][stun.ERROR_CODE][2:4] == bytes([4, 1])  # 401
        finally:
            await a.close()
            await server.stop()

    asyncio.run(scenario())


def exchange(addr, datagram, timeout=1.0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        s.sendto(datagram, addr)
        try:
            return s.recvfrom(2048)[0]
        except socket.timeout:
            return None


def test_chromium_tone_reaches_an_aiortc_peer(tmp_path):
    async def scenario():
        server = await FakeWhip(str(tmp_path)).start()
        listener = Peer(server.base_url, "lobby:listener")
        driver = None
        try:
            await listener.connect()
            wav = write_tone_wav(tmp_path / "tone523.wav", 523)
            driver = await asyncio.to_thread(start_chromium, wav, tmp_path / "driver.log")
            await asyncio.to_thread(driver.get, f"{server.base_url}/#token=lobby:web&autojoin=1")
            await asyncio.to_thread(wait_for_state, driver, "connected", 30)
            await listener.wait_frames(150, timeout=15)
            await asyncio.sleep(1.0)
            driver.save_screenshot(str(tmp_path / "page.png"))
            assert abs(listener.dominant_frequency() - 523) < 10
        finally:
            if driver:
                await asyncio.to_thread(driver.quit)
            await listener.close()
            await server.stop()

    asyncio.run(scenario())

"""Real WebRTC clients talk through whootd: tones cross one channel and nothing leaks."""

import asyncio

from browser import open_call_page, wait_for_state
from peer import Peer, connected_pair

TOLERANCE_HZ = 10.0
OWN_TONE_MAX_SHARE = 0.05  # of the received spectral power


async def close_all(*peers):
    for peer in peers:
        await peer.close()


def test_two_peers_each_hear_the_other_tone_and_never_their_own(daemon):
    async def scenario():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob"),
                                  frames=150) as (alice, bob):
            await asyncio.sleep(1.0)

            assert abs(alice.dominant_frequency() - 660) < TOLERANCE_HZ
            assert abs(bob.dominant_frequency() - 440) < TOLERANCE_HZ
            assert alice.band_share(440) < OWN_TONE_MAX_SHARE, "alice hears herself"
            assert bob.band_share(660) < OWN_TONE_MAX_SHARE, "bob hears himself"
            assert len(alice.rtp_by_ssrc) == 1 and len(bob.rtp_by_ssrc) == 1

    asyncio.run(scenario())


def test_other_channel_and_other_tenant_receive_no_rtp_from_the_call(daemon):
    daemon.create_channel("demo", "side")
    daemon.add_member("demo", "side", "carol")
    daemon.create_tenant("acme", "Acme")
    daemon.create_channel("acme", "lobby")
    daemon.add_member("acme", "lobby", "dave")

    async def scenario():
        alice = Peer(daemon.base_url, daemon.token("demo", "lobby", "alice"), tone_hz=440)
        bob = Peer(daemon.base_url, daemon.token("demo", "lobby", "bob"), tone_hz=660)
        carol = Peer(daemon.base_url, daemon.token("demo", "side", "carol"))
        dave = Peer(daemon.base_url, daemon.token("acme", "lobby", "dave"))
        try:
            for peer in (carol, dave, alice, bob):
                await peer.connect()
            await alice.wait_frames(150, timeout=15)
            await bob.wait_frames(150, timeout=15)
            await asyncio.sleep(2.0)

            assert alice.rtp_packets > 100 and bob.rtp_packets > 100
            assert carol.connected and dave.connected
            assert carol.rtp_packets == 0, f"other channel got RTP: {dict(carol.rtp_by_ssrc)}"
            assert dave.rtp_packets == 0, f"other tenant got RTP: {dict(dave.rtp_by_ssrc)}"
            assert carol.frames_received == 0 and dave.frames_received == 0
        finally:
            await close_all(alice, bob, carol, dave)

    asyncio.run(scenario())


def test_chromium_joins_through_the_page_and_an_aiortc_peer_hears_its_tone(daemon, tmp_path):
    async def scenario():
        bob = Peer(daemon.base_url, daemon.token("demo", "lobby", "bob"))
        driver = None
        try:
            await bob.connect()
            link = f"{daemon.base_url}/#token={daemon.token('demo', 'lobby', 'alice')}&autojoin=1"
            driver = await open_call_page(tmp_path, link, 523)

            await bob.wait_frames(150, timeout=15)
            await asyncio.sleep(1.0)
            assert abs(bob.dominant_frequency() - 523) < TOLERANCE_HZ
            await asyncio.to_thread(wait_for_state, driver, "connected", 1)
        finally:
            if driver is not None:
                await asyncio.to_thread(driver.quit)
            await bob.close()

    asyncio.run(scenario())

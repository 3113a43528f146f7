"""Fixtures for checking the harness against the fake aiortc WHIP server (not the product)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import asyncio
import threading

import pytest

from fake_whip import FakeWhip


class FakeDaemon:
    """Stands in for the `daemon` fixture: the fake server on its own thread and loop.
    Tokens are "<tenant>/<channel>:<member>"; the fake keeps channels of tenants apart."""

    def __init__(self, cert_dir: str):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = self._call(FakeWhip(cert_dir).start())
        self.base_url = self.server.base_url

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def token(self, tenant, channel, member):
        return f"{tenant}/{channel}:{member}"

    def create_tenant(self, slug, name):
        pass

    def create_channel(self, tenant, name):
        pass

    def add_member(self, tenant, channel, handle):
        pass

    def alive(self):
        return self.thread.is_alive()

    def stop(self):
        self._call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def daemon(tmp_path):
    fake = FakeDaemon(str(tmp_path))
    yield fake
    fake.stop()

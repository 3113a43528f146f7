"""Fixtures for checking the harness against the fake aiortc WHIP server (not the product)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

"""Runs the product's call tests against the fake server, to check the test code itself.

Only tests whose checks the fake can honestly meet are pulled in: the voice tests and the
UDP/DTLS hostility tests (the fake is a full aiortc agent, not ICE-lite, but answers STUN).
"""

from test_bad_input import (  # noqa: F401
    test_dtls_with_a_fingerprint_not_matching_the_offer_fails_and_others_go_on,
    test_hostile_datagrams_and_bad_stun_integrity_do_not_break_a_call)
from test_voice import (  # noqa: F401
    test_chromium_joins_through_the_page_and_an_aiortc_peer_hears_its_tone,
    test_other_channel_and_other_tenant_receive_no_rtp_from_the_call,
    test_two_peers_each_hear_the_other_tone_and_never_their_own)

"""Just enough STUN (RFC 8489) and ICE (RFC 8445) to send hostile binding requests.

Builds Binding requests with USERNAME, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY
(HMAC-SHA1 keyed with the ICE password) and FINGERPRINT (CRC-32 xor 0x5354554E), and parses
the type and attributes of a response.
"""

import binascii
import hashlib
import hmac
import os
import struct

MAGIC_COOKIE = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
BINDING_ERROR = 0x0111

USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
XOR_MAPPED_ADDRESS = 0x0020
PRIORITY = 0x0024
USE_CANDIDATE = 0x0025
FINGERPRINT = 0x8028
ICE_CONTROLLED = 0x8029
ICE_CONTROLLING = 0x802A
FINGERPRINT_XOR = 0x5354554E


def _attribute(kind: int, value: bytes) -> bytes:
    padding = b"\x00" * (-len(value) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def _header(kind: int, body_length: int, transaction_id: bytes) -> bytes:
    return struct.pack("!HHI", kind, body_length, MAGIC_COOKIE) + transaction_id


def binding_request(username: str, password: str, transaction_id: bytes = None,
                    priority: int = 0x6E0001FF, use_candidate: bool = False,
                    controlling: bool = True) -> bytes:
    """A Binding request signed with `password` (the ICE password of the receiver),
    claiming the controlling role unless `controlling` is False."""
    transaction_id = transaction_id or os.urandom(12)
    body = _attribute(USERNAME, username.encode())
    body += _attribute(PRIORITY, struct.pack("!I", priority))
    body += _attribute(ICE_CONTROLLING if controlling else ICE_CONTROLLED, os.urandom(8))
    if use_candidate:
        body += _attribute(USE_CANDIDATE, b"")

    # MESSAGE-INTEGRITY covers the header whose length already counts the MI attribute.
    signed = _header(BINDING_REQUEST, len(body) + 24, transaction_id) + body
    digest = hmac.new(password.encode(), signed, hashlib.sha1).digest()
    body += _attribute(MESSAGE_INTEGRITY, digest)

    # FINGERPRINT covers everything before it, with the length counting FINGERPRINT too.
    covered = _header(BINDING_REQUEST, len(body) + 8, transaction_id) + body
    crc = (binascii.crc32(covered) & 0xFFFFFFFF) ^ FINGERPRINT_XOR
    body += _attribute(FINGERPRINT, struct.pack("!I", crc))
    return _header(BINDING_REQUEST, len(body), transaction_id) + body


def parse(datagram: bytes):
    """Returns (message type, transaction id, {attribute type: value}) or raises
    ValueError when the datagram is not a STUN message."""
    if len(datagram) < 20:
        raise ValueError(f"STUN message too short: {len(datagram)} bytes")
    kind, length, cookie = struct.unpack("!HHI", datagram[:8])
    if cookie != MAGIC_COOKIE or length + 20 > len(datagram):
        raise ValueError("not a STUN message (cookie or length)")
    attributes = {}
    offset = 20
    while offset + 4 <= 20 + length:
        attr, size = struct.unpack("!HH", datagram[offset:offset + 4])
        attributes[attr] = datagram[offset + 4:offset + 4 + size]
        offset += 4 + size + (-size % 4)
    return kind, datagram[8:20], attributes


def xor_mapped_address(value: bytes):
    """(host, port) from an IPv4 XOR-MAPPED-ADDRESS value."""
    family, xport = struct.unpack("!xBH", value[:4])
    if family != 0x01:
        raise ValueError("only IPv4 XOR-MAPPED-ADDRESS is decoded here")
    port = xport ^ (MAGIC_COOKIE >> 16)
    raw = struct.unpack("!I", value[4:8])[0] ^ MAGIC_COOKIE
    return ".".join(str(b) for b in raw.to_bytes(4, "big")), port


def sdp_value(sdp: str, attribute: str) -> str:
    """The first `a=<attribute>:` value in an SDP text."""
    prefix = f"a={attribute}:"
    for line in sdp.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    raise AssertionError(f"SDP has no a={attribute}")


def udp_host_candidate(sdp: str):
    """(host, port) of the first UDP host candidate in an SDP text."""
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            fields = line.split()
            if fields[2].lower() == "udp" and fields[7] == "host":
                return fields[4], int(fields[5])
    raise AssertionError("SDP has no UDP host candidate")

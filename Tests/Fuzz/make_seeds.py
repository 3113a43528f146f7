#!/usr/bin/env python3
"""Writes the seed corpora under Tests/Fuzz/corpus/<Name>/ (run from the repository root).

Seeds are valid or nearly valid inputs so the fuzzers start deep in each parser: the RFC
5769 STUN vectors and ICE checks signed with the fuzz targets' key, RTP and RTCP packets in
the shapes browsers send, the SDP fixtures, a DTLS ClientHello captured from
`openssl s_client -dtls1_2` (corpus/DTLS/clienthello-openssl), admin request lines and WHIP
requests. Re-running it rewrites the same files.
"""
import hashlib, hmac, os, struct, zlib

ROOT = "Tests/Fuzz/corpus"
FIXTURES = "Tests/WireTests/Fixtures"
KEY = b"abcdefghijklmnopqrstuv"  # the ICE password the STUN target verifies with


def write(target, name, data):
    os.makedirs(f"{ROOT}/{target}", exist_ok=True)
    with open(f"{ROOT}/{target}/{name}", "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def hexfile(name):
    with open(f"{FIXTURES}/{name}") as f:
        return bytes.fromhex(" ".join(l for l in f if not l.startswith("#")))


# --- STUN -------------------------------------------------------------------------------
def attr(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def stun(kind, tid, attrs, integrity=True, fingerprint=True):
    body = b"".join(attrs)
    if integrity:
        header = struct.pack("!HHI", kind, len(body) + 24, 0x2112A442) + tid
        mac = hmac.new(KEY, header + body, hashlib.sha1).digest()
        body += attr(0x0008, mac)
    if fingerprint:
        header = struct.pack("!HHI", kind, len(body) + 8, 0x2112A442) + tid
        crc = (zlib.crc32(header + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(0x8028, struct.pack("!I", crc))
    return struct.pack("!HHI", kind, len(body), 0x2112A442) + tid + body


for name in ["rfc5769-request", "rfc5769-response-ipv4", "rfc5769-response-ipv6"]:
    write("STUN", name, hexfile(name + ".hex"))
tid = bytes(range(1, 13))
ice = [attr(0x0006, b"wh00:Ab12"), attr(0x0024, struct.pack("!I", 0x6E0001FF)),
       attr(0x802A, bytes(8)), attr(0x0025, b"")]
write("STUN", "ice-check-signed", stun(0x0001, tid, ice))
write("STUN", "ice-check-unknown-attribute", stun(0x0001, tid, ice + [attr(0x0033, b"x")]))
xor = bytes(a ^ b for a, b in zip([127, 0, 0, 1], [0x21, 0x12, 0xA4, 0x42]))
write("STUN", "binding-success", stun(0x0101, tid, [
    attr(0x0020, b"\0\x01" + struct.pack("!H", 5000 ^ 0x2112) + xor)]))
write("STUN", "error-420", stun(0x0111, tid, [
    attr(0x0009, b"\0\0\x04\x14Unknown Attribute"), attr(0x000A, b"\x00\x33\x00\x34")],
    integrity=False))

# --- RTP --------------------------------------------------------------------------------
def rtp(pt, seq, ts, ssrc, payload, ext=None, profile=0xBEDE, marker=False, pad=0, csrcs=()):
    first = 0x80 | (0x10 if ext is not None else 0) | (0x20 if pad else 0) | len(csrcs)
    out = struct.pack("!BBHII", first, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    out += b"".join(struct.pack("!I", c) for c in csrcs)
    if ext is not None:
        ext += b"\0" * (-len(ext) % 4)
        out += struct.pack("!HH", profile, len(ext) // 4) + ext
    out += payload
    if pad:
        out += b"\0" * (pad - 1) + bytes([pad])
    return out


opus = bytes([0x78]) + bytes(range(40))
write("RTP", "opus-plain", rtp(111, 1, 960, 0x1234, opus))
# One-byte form as Chromium sends it: ssrc-audio-level (id 1, voice, -30 dBov), mid (id 4).
write("RTP", "opus-one-byte-ext", rtp(111, 2, 1920, 0x1234, opus,
                                      ext=bytes([0x10, 0x9E, 0x40, 0x30])))
write("RTP", "opus-two-byte-ext", rtp(111, 3, 2880, 0x1234, opus,
                                      ext=bytes([1, 1, 0x9E, 4, 1, 0x30]), profile=0x1000))
write("RTP", "padded-csrc", rtp(111, 4, 3840, 0x1234, opus, pad=4, csrcs=(7, 8)))

# --- RTCP -------------------------------------------------------------------------------
def rtcp(pt, count, body, pad=0):
    body += b"\0" * pad
    if pad:
        body = body[:-1] + bytes([pad])
    return struct.pack("!BBH", 0x80 | (0x20 if pad else 0) | count, pt, len(body) // 4) + body


block = struct.pack("!IIIIII", 0x1234, 0x0A000005, 70000, 120, 0x12345678, 6553)
sr = rtcp(200, 1, struct.pack("!IQIII", 0x5678, 0xE8A5_0000_8000_0000, 96000, 100, 4000) + block)
rr = rtcp(201, 1, struct.pack("!I", 0x5678) + block)
cname = b"\x01\x10" + b"abcdefghijklmnop"
sdes = rtcp(202, 1, struct.pack("!I", 0x5678) + cname + b"\0" * (4 - (len(cname) % 4)))
bye = rtcp(203, 1, struct.pack("!I", 0x5678) + b"\x03bye")
twcc = rtcp(205, 15, struct.pack("!II", 0x5678, 0x1234) + bytes.fromhex("0001000200000100200100"
                                                                         "00") + b"\0")
pli = rtcp(206, 1, struct.pack("!II", 0x5678, 0x1234))
xr = rtcp(207, 0, struct.pack("!I", 0x5678) + struct.pack("!BBHQ", 4, 0, 2, 1)
          + struct.pack("!BBHIII", 5, 0, 3, 0x1234, 5, 6))
app = rtcp(204, 3, struct.pack("!I", 0x5678) + b"whoo" + b"\x09" * 4)
write("RTCP", "sr-sdes", sr + sdes)
write("RTCP", "rr-sdes-bye", rr + sdes + bye)
write("RTCP", "rr-feedback", rr + pli + twcc[: len(twcc) - len(twcc) % 4])
write("RTCP", "rr-xr-app", rr + xr + app)
write("RTCP", "rr-padded", rr + rtcp(201, 0, struct.pack("!I", 1), pad=4))

# --- SDP --------------------------------------------------------------------------------
for name in os.listdir(FIXTURES):
    if name.endswith(".sdp"):
        with open(f"{FIXTURES}/{name}", "rb") as f:
            offer = f.read()
        write("SDP", name, offer)
        write("WHIP", "post-" + name, b"".join(
            struct.pack("!H", len(p)) + p for p in
            [b"POST", b"/whip", b"application/sdp", b"Bearer wjt_" + b"A" * 43]) + offer)

# --- DTLS -------------------------------------------------------------------------------
def framed(*datagrams):
    return b"".join(struct.pack("!H", len(d)) + d for d in datagrams)


hello_path = f"{ROOT}/DTLS/clienthello-openssl"
if os.path.exists(hello_path):
    with open(hello_path, "rb") as f:
        hello = f.read()
    write("DTLS", "clienthello-framed", framed(hello))
    write("DTLS", "clienthello-twice", framed(hello, hello))
alert = bytes.fromhex("15fefd0000000000000000000202") + b"\x02\x28"
write("DTLS", "alert", framed(alert[:13] + b"\x00\x02" + b"\x02\x28"))
write("DTLS", "epoch1-short", framed(bytes.fromhex("17fefd00010000000000010008") + bytes(8)))

# --- Admin ------------------------------------------------------------------------------
lines = [
    '{"id":1,"command":"tenant.create","args":{"slug":"acme","name":"Acme"}}',
    '{"id":2,"command":"tenant.list"}',
    '{"id":3,"command":"channel.create","args":{"tenant":"acme","name":"ops"}}',
    '{"id":4,"command":"member.invite","args":{"tenant":"acme","handle":"ann","role":"admin"}}',
    '{"id":5,"command":"channel.list","args":{"tenant":"acme"}}',
    '{"id":[1.5e3,null,true],"command":"nope","args":null}',
]
write("Admin", "session", "\n".join(lines) + "\n")
for i, line in enumerate(lines):
    write("Admin", f"line-{i}", line + "\r\n")
write("Admin", "unicode", '{"id":"\\u00e9\\ud83d\\ude00","command":"tenant.create",'
      '"args":{"slug":"x\\u0000y"}}\n')

# --- WHIP -------------------------------------------------------------------------------
write("WHIP", "delete", framed(b"DELETE", b"/whip/abc", b"", b""))
write("WHIP", "healthz", framed(b"HEAD", b"/healthz", b"", b""))

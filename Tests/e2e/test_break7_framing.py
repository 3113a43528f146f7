"""Break round 7: request framing variants (RFC 9112 sections 5.1, 5.2, 6.1, 6.3). Each
request carries a second, complete request behind it: a server that frames it differently
from a strict proxy answers that smuggled request too. A refused request must be answered
400 (or 501 for an unknown coding) and its connection closed."""

import pytest

import rawhttps

SMUGGLED = rawhttps.head("GET", "/healthz?smuggled=1", [])


def answers(port: int, data: bytes, count: int = 3, timeout: float = 3.0) -> list:
    """The statuses (or CLOSED / RESET / TIMEOUT) of up to `count` answers to `data`."""
    with rawhttps.connect(port) as sock:
        sock.sendall(data)
        reader = rawhttps.Reader(sock)
        out = []
        for _ in range(count):
            status, _, _ = reader.final(timeout)
            out.append(status)
            if not isinstance(status, int):
                break
        return out


def post(headers: list, body: bytes) -> bytes:
    return rawhttps.head("POST", "/v1/reviews", headers) + body


def assert_refused(port: int, data: bytes, what: str, allowed=(400,)) -> None:
    got = answers(port, data)
    print(f"{what}: {got}")
    assert got[0] in allowed, f"{what} was answered {got[0]}, want one of {allowed}"
    assert len(got) == 2 and not isinstance(got[1], int), \
        f"{what}: the connection stayed open after the refusal and answered {got[1:]}"


@pytest.mark.parametrize("names", [("Content-Length", "content-LENGTH"),
                                   ("CONTENT-LENGTH", "Content-Length")])
def test_two_content_lengths_in_odd_case_are_refused(daemon, names):
    headers = [(names[0], "5"), (names[1], "5")]
    assert_refused(daemon.https_port, post(headers, b"hello" + SMUGGLED),
                   f"two Content-Lengths spelled {names}")


def test_content_length_in_odd_case_beside_transfer_encoding_is_refused(daemon):
    headers = [("cOnTeNt-LeNgTh", "5"), ("transfer-ENCODING", "chunked")]
    assert_refused(daemon.https_port, post(headers, b"0\r\n\r\n" + SMUGGLED),
                   "odd-case Content-Length beside Transfer-Encoding")


def test_transfer_encoding_chunked_twice_is_refused(daemon):
    """RFC 9112 section 6.1: chunked must not be applied more than once."""
    headers = [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")]
    assert_refused(daemon.https_port, post(headers, b"0\r\n\r\n" + SMUGGLED),
                   "Transfer-Encoding: chunked twice")


def test_transfer_encoding_chunked_chunked_in_one_header_is_refused(daemon):
    headers = [("Transfer-Encoding", "chunked, chunked")]
    assert_refused(daemon.https_port, post(headers, b"0\r\n\r\n" + SMUGGLED),
                   "Transfer-Encoding: chunked, chunked")


def test_transfer_encoding_identity_is_refused(daemon):
    """RFC 9112 section 6.3: a request whose final coding is not chunked cannot be
    framed; 400 and close (or 501 for an unknown coding), never its body as a request."""
    headers = [("Transfer-Encoding", "identity")]
    assert_refused(daemon.https_port, post(headers, SMUGGLED),
                   "Transfer-Encoding: identity", allowed=(400, 501))


def test_transfer_encoding_gzip_then_chunked_is_refused_or_framed_as_chunked(daemon):
    headers = [("Transfer-Encoding", "gzip, chunked")]
    got = answers(daemon.https_port, post(headers, b"0\r\n\r\n" + SMUGGLED))
    print(f"gzip, chunked: {got}")
    assert got[0] in (400, 415, 501), f"an unsupported coding was answered {got[0]}"


def test_whitespace_before_the_colon_of_content_length_is_refused(daemon):
    """RFC 9112 section 5.1: whitespace between a field name and its colon is a 400. A
    proxy that reads it as the body's length forwards SMUGGLED as that body; a server that
    ignores it answers SMUGGLED as a request of its own."""
    field = f"\r\nContent-Length : {len(SMUGGLED)}\r\n\r\n".encode()
    data = rawhttps.head("POST", "/v1/reviews", []).replace(b"\r\n\r\n", field) + SMUGGLED
    assert_refused(daemon.https_port, data, "'Content-Length : <n>'")


def test_an_obs_folded_content_length_is_refused(daemon):
    """RFC 9112 section 5.2: a server either rejects obs-fold (400) or unfolds it; a
    folded framing header is refused here rather than framed differently from a proxy."""
    field = f"\r\nContent-Length:\r\n {len(SMUGGLED)}\r\n\r\n".encode()
    data = rawhttps.head("POST", "/v1/reviews", []).replace(b"\r\n\r\n", field) + SMUGGLED
    assert_refused(daemon.https_port, data, "obs-folded Content-Length")


def test_a_transfer_encoding_folded_into_another_header_does_not_frame_the_body(daemon):
    """RFC 9112 section 5.2 allows either answer to obs-fold. Unfolded, the line is part of
    X-Pad; the body is framed by its Content-Length ("hello"), and the request behind it
    is a pipelined one (401, 200). Refused, it is 400 and the connection closes. whootd
    refuses: libmicrohttpd 0.9.75 unfolds into the field name."""
    data = rawhttps.head("POST", "/v1/reviews", [("Content-Length", "5")]).replace(
        b"\r\n\r\n", b"\r\nX-Pad: x\r\n Transfer-Encoding: chunked\r\n\r\n")
    got = answers(daemon.https_port, data + b"hello" + SMUGGLED)
    print(f"Transfer-Encoding folded into X-Pad: {got}")
    assert got[:2] in ([401, 200], [400, rawhttps.CLOSED]), \
        f"want 401 for the POST and 200 for the next, or 400 and close: {got}"

"""Transport fuzzing: chunking independence and corrupted streams.

For the WebSocket transports (server role; client role on wsproto and on websockets'
protocol) and HTTP/1.1 (client and server role), a valid stream cut anywhere gives the same
events (and, where it is deterministic, the same bytes to send) as the stream fed whole. A
corrupted stream (bit flips, truncation, inserted bytes) gives only the documented events
(``Closed`` with a documented close code and error, or ``ConnectionEnded``/``RequestRejected``
with a documented status), ``Closed`` at most once, and never an exception. Both client
transports report the same events for any valid stream.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transports.base import (
    CloseCode,
    Closed,
    HandshakeRejected,
    InvalidPayload,
    Message,
    MessageTooBig,
    Opened,
    Pong,
    ProtocolViolation,
    UnsupportedData,
)
from transports.http import (
    ConnectionEnded,
    HTTPClientConnection,
    HTTPRequest,
    HTTPServerConnection,
    IncompleteResponse,
    MalformedResponse,
    RequestReceived,
    RequestRejected,
    ResponseReceived,
    ResponseTooLarge,
    UpgradeRequested,
)
from transports.websocket import RTM_PATH, WebSocketClient, WebSocketServer
from transports.websocket_fast import FastWebSocketClient

LIMIT = 4096
MASK = b"\x01\x02\x03\x04"
KEY = base64.b64encode(b"0123456789abcdef").decode()
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# -- WebSocket ----------------------------------------------------------------------------------


def frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = False) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if masked else 0
    size = len(payload)
    if size < 126:
        head += bytes([bit | size])
    elif size < 1 << 16:
        head += bytes([bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", size)
    if masked:
        payload = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
        head += MASK
    return head + payload


UPGRADE = (
    f"GET {RTM_PATH}?license_id=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
).encode()


def accept_for(handshake: bytes) -> bytes:
    match = re.search(rb"(?i)sec-websocket-key: *([^\r]+)", handshake)
    assert match is not None
    digest = hashlib.sha1(match.group(1) + GUID.encode()).digest()
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + base64.b64encode(digest) + b"\r\n\r\n"
    )


TEXTS = st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass"))
TEXTS = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40) | st.sampled_from(
    ["é" * 100, "x" * 200, "€" * 1000]
)

PART = st.one_of(
    st.tuples(st.just("text"), TEXTS, st.integers(1, 3)),
    st.tuples(st.just("ping"), st.binary(max_size=10), st.just(1)),
    st.tuples(st.just("pong"), st.binary(max_size=10), st.just(1)),
)
END = st.sampled_from(["close", "close_nocode", "eof", "none"])


def ws_frames(parts: list[tuple[str, Any, int]], end: str, masked: bool) -> bytes:
    """A valid frame sequence: fragmented texts (with a ping inside), pings, pongs, an end."""
    out = b""
    for kind, body, pieces in parts:
        if kind == "text":
            data = body.encode("utf-8")
            cuts = [len(data) * i // pieces for i in range(pieces + 1)]
            for i in range(pieces):
                opcode = 1 if i == 0 else 0
                out += frame(
                    opcode, data[cuts[i] : cuts[i + 1]], fin=i == pieces - 1, masked=masked
                )
                if i == 0 and pieces > 1:
                    out += frame(9, b"in", masked=masked)
        else:
            out += frame(9 if kind == "ping" else 10, body, masked=masked)
    if end == "close":
        out += frame(8, struct.pack("!H", 1000) + b"bye", masked=masked)
    elif end == "close_nocode":
        out += frame(8, b"", masked=masked)
    return out


def cut(data: bytes, points: list[int]) -> list[bytes]:
    points = sorted({p % (len(data) + 1) for p in points} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points) if a < b]


def norm(event: Any) -> Any:
    if isinstance(event, Opened):
        return ("opened", event.target)  # client-role headers carry the random key's accept
    return event


def run_ws(transport: Any, chunks: list[bytes], eof: bool) -> tuple[list[Any], bytes]:
    """Feed ``chunks`` (then EOF); the events and the bytes written; checks Closed-once."""
    events: list[Any] = []
    sent = b""
    for chunk in [*chunks, *([b""] if eof else [])]:
        transport.receive_data(chunk)
        events.extend(transport.events())
        sent += transport.data_to_send()
    closed = [e for e in events if isinstance(e, Closed)]
    assert len(closed) <= 1, events
    if closed:
        assert events[-1] is closed[0], "an event after Closed"
    if eof:
        assert len(closed) == 1, "end of stream without Closed"
    return [norm(e) for e in events], sent


CLIENTS: dict[str, Any] = {"client": WebSocketClient, "fast-client": FastWebSocketClient}
ROLES = st.sampled_from(["client", "fast-client", "server"])


def new_ws_client(role: str = "client") -> tuple[WebSocketClient | FastWebSocketClient, bytes]:
    client = CLIENTS[role](host="x", license_id=7, bh="", max_message_size=LIMIT)
    return client, accept_for(client.data_to_send())


@given(
    parts=st.lists(PART, max_size=6),
    end=END,
    role=ROLES,
    points=st.lists(st.integers(0, 10**6), max_size=12),
)
def test_websocket_chunking_independence(
    parts: list[Any], end: str, role: str, points: list[int]
) -> None:
    results = []
    for chunked in (False, True):
        if role == "server":
            transport: Any = WebSocketServer(max_message_size=LIMIT)
            stream = UPGRADE + ws_frames(parts, end, masked=True)
        else:
            transport, head = new_ws_client(role)
            stream = head + ws_frames(parts, end, masked=False)
        chunks = cut(stream, points) if chunked else [stream]
        events, sent = run_ws(transport, chunks, eof=end != "none")
        results.append((events, sent if role == "server" else b""))
    assert results[0] == results[1]
    events = results[0][0]
    assert events[0][0] == "opened"
    texts = [p[1].encode() for p in parts if p[0] == "text"]
    assert [e.data for e in events if isinstance(e, Message)] == texts


CORRUPTION = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete"]),
        st.integers(0, 10**6),
        st.binary(min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=4,
)


def corrupt(data: bytes, edits: list[tuple[str, int, bytes]], truncate: int | None) -> bytes:
    buf = bytearray(data)
    for op, where, blob in edits:
        i = where % (len(buf) + 1)
        if op == "flip" and i < len(buf):
            buf[i] ^= blob[0] or 1
        elif op == "insert":
            buf[i:i] = blob
        elif op == "delete":
            del buf[i : i + len(blob)]
    if truncate is not None:
        del buf[truncate % (len(buf) + 1) :]
    return bytes(buf)


WS_ERRORS = {
    ProtocolViolation: CloseCode.PROTOCOL_ERROR,
    UnsupportedData: CloseCode.UNSUPPORTED_DATA,
    InvalidPayload: CloseCode.INVALID_PAYLOAD,
    MessageTooBig: CloseCode.MESSAGE_TOO_BIG,
    HandshakeRejected: CloseCode.ABNORMAL,
}


def check_closed(closed: Closed) -> None:
    if closed.error is not None:
        assert type(closed.error) in WS_ERRORS, closed
        assert closed.code == WS_ERRORS[type(closed.error)] == closed.error.close_code, closed
    else:
        peer_codes = 1000 <= closed.code <= 1014 and closed.code not in (1004, 1015)
        assert peer_codes or 3000 <= closed.code <= 4999, closed


DAMAGE = st.tuples(
    CORRUPTION,
    st.none() | st.integers(0, 10**6),
    st.lists(st.integers(0, 10**6), max_size=6),
    st.booleans(),
)


@given(
    parts=st.lists(PART, max_size=5),
    end=END,
    role=ROLES,
    damage=DAMAGE,
)
def test_websocket_corrupted_streams(parts: list[Any], end: str, role: str, damage: Any) -> None:
    edits, truncate, points, eof = damage
    if role == "server":
        transport: Any = WebSocketServer(max_message_size=LIMIT)
        stream = UPGRADE + ws_frames(parts, end, masked=True)
    else:
        transport, head = new_ws_client(role)
        stream = head + ws_frames(parts, end, masked=False)
    events, _ = run_ws(transport, cut(corrupt(stream, edits, truncate), points), eof=eof)
    for event in events:
        assert isinstance(event, tuple | Message | Pong | Closed), event
        if isinstance(event, Closed):
            check_closed(event)
    # Sending after whatever happened never raises once open (a no-op after Closed).
    if events and isinstance(events[0], tuple):
        transport.send_message(b"late")
        transport.send_ping()
        transport.close()
        transport.data_to_send()


def _outline(event: Any) -> Any:
    """What both client transports must agree on: no error texts (each library has its own)."""
    if isinstance(event, Closed):
        return ("closed", event.code, type(event.error))
    return event


@given(
    parts=st.lists(PART, max_size=6), end=END, points=st.lists(st.integers(0, 10**6), max_size=12)
)
def test_websocket_clients_agree(parts: list[Any], end: str, points: list[int]) -> None:
    """The wsproto and the websockets client report the same events for any valid stream."""
    results = []
    for role in CLIENTS:
        transport, head = new_ws_client(role)
        stream = head + ws_frames(parts, end, masked=False)
        events, _ = run_ws(transport, cut(stream, points), eof=end != "none")
        results.append([_outline(event) for event in events])
    assert results[0] == results[1]


@pytest.mark.parametrize("role", list(CLIENTS))
def test_websocket_client_handshake_with_a_non_ascii_header(role: str) -> None:
    """Regression (found by the campaign): a byte >= 0x80 in the 101 response's Connection
    header made wsproto raise UnicodeDecodeError out of ``receive_data``."""
    client, head = new_ws_client(role)
    head = head.replace(b"Connection: Upgrade", b"Connection: \xa0pgrade")
    client.receive_data(head)
    (closed,) = client.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.code == CloseCode.ABNORMAL


# -- HTTP -----------------------------------------------------------------------------------------


def response_bytes(kind: str, body: bytes) -> bytes:
    if kind == "length":
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-A: b\r\n\r\n%s" % (len(body), body)
    if kind == "chunked":
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:3], body[3:]) if p)
        return b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    if kind == "continue":
        return b"HTTP/1.1 100 Continue\r\n\r\n" + response_bytes("length", body)
    return b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body  # read to EOF


REQUEST = HTTPRequest(
    method="POST", target="/a", headers=(("Host", "x"), ("Content-Length", "2")), body=b"{}"
)


def run_http_client(responses: list[tuple[str, bytes]], chunks_of: Any) -> list[Any]:
    """Send one request per response on one connection; feed each response in chunks."""
    client = HTTPClientConnection(max_response_size=LIMIT)
    events: list[Any] = []
    for kind, body in responses:
        if not client.can_send_request:
            break
        client.send_request(REQUEST)
        client.data_to_send()
        for chunk in chunks_of(response_bytes(kind, body)):
            client.receive_data(chunk)
            events.extend(client.events())
        if kind == "eof":
            client.receive_data(b"")
            events.extend(client.events())
    return events


HTTP_RESPONSES = st.lists(
    st.tuples(st.sampled_from(["length", "chunked", "continue", "eof"]), st.binary(max_size=30)),
    min_size=1,
    max_size=3,
)


@given(responses=HTTP_RESPONSES, points=st.lists(st.integers(0, 10**4), max_size=8))
def test_http_client_chunking_independence(responses: list[Any], points: list[int]) -> None:
    whole = run_http_client(responses, lambda data: [data])
    chunked = run_http_client(responses, lambda data: cut(data, points))
    assert whole == chunked
    got = [e.body for e in whole if isinstance(e, ResponseReceived)]
    assert got == [body for _, body in responses][: len(got)]


@given(responses=HTTP_RESPONSES, damage=DAMAGE)
def test_http_client_corrupted_responses(responses: list[Any], damage: Any) -> None:
    edits, truncate, points, _ = damage
    client = HTTPClientConnection(max_response_size=LIMIT)
    client.send_request(REQUEST)
    stream = b"".join(response_bytes(kind, body) for kind, body in responses)
    events: list[Any] = []
    for chunk in [*cut(corrupt(stream, edits, truncate), points), b""]:
        client.receive_data(chunk)
        events.extend(client.events())
        if client.can_send_request:
            client.send_request(REQUEST)
    for event in events:
        assert isinstance(event, ResponseReceived | ConnectionEnded), event
        if isinstance(event, ConnectionEnded) and event.error is not None:
            assert type(event.error) in (MalformedResponse, IncompleteResponse, ResponseTooLarge)
    assert isinstance(events[-1], ConnectionEnded), "end of stream without ConnectionEnded"
    assert sum(isinstance(e, ConnectionEnded) for e in events) == 1


def request_bytes(kind: str, body: bytes) -> bytes:
    if kind == "length":
        return b"POST /p?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (
            len(body),
            body,
        )
    if kind == "chunked":
        chunk = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
        return (
            b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk
            + b"0\r\n\r\n"
        )
    if kind == "get":
        return b"GET /g HTTP/1.1\r\nHost: x\r\n\r\n"
    return UPGRADE  # the WebSocket upgrade ends the HTTP connection


def run_http_server(stream: bytes, chunks: list[bytes], eof: bool) -> tuple[list[Any], bytes]:
    server = HTTPServerConnection(max_body_size=LIMIT)
    events: list[Any] = []
    sent = b""
    chunks = [*chunks, *([b""] if eof else [])]
    for index, chunk in enumerate(chunks):
        server.receive_data(chunk)
        while True:
            new = list(server.events())
            if not new:
                break
            events.extend(new)
            if isinstance(new[-1], RequestReceived):
                server.send_json(200, {"n": len(events)})
        sent += server.data_to_send()
        last = events[-1] if events else None
        if isinstance(last, UpgradeRequested):
            # What followed the request belongs to the WebSocket, in whichever chunk it came.
            rest = last.trailing_data + b"".join(chunks[index + 1 :])
            events[-1] = ("upgrade", last.target, last.headers, rest)
            break
    return events, sent


HTTP_REQUESTS = st.lists(
    st.tuples(st.sampled_from(["length", "chunked", "get", "upgrade"]), st.binary(max_size=30)),
    min_size=1,
    max_size=3,
)


@given(requests=HTTP_REQUESTS, points=st.lists(st.integers(0, 10**4), max_size=8))
def test_http_server_chunking_independence(requests: list[Any], points: list[int]) -> None:
    stream = b"".join(request_bytes(kind, body) for kind, body in requests)
    whole = run_http_server(stream, [stream], eof=False)
    chunked = run_http_server(stream, cut(stream, points), eof=False)
    assert whole == chunked
    expected = 0
    for kind, _ in requests:
        expected += 1
        if kind == "upgrade":
            break
    assert len(whole[0]) == expected


@given(requests=HTTP_REQUESTS, damage=DAMAGE)
def test_http_server_corrupted_requests(requests: list[Any], damage: Any) -> None:
    edits, truncate, points, eof = damage
    stream = b"".join(request_bytes(kind, body) for kind, body in requests)
    events, _ = run_http_server(stream, cut(corrupt(stream, edits, truncate), points), eof=eof)
    for event in events:
        assert isinstance(event, RequestReceived | tuple | RequestRejected | ConnectionEnded), event
        if isinstance(event, RequestRejected):
            # 501: h11's answer to a transfer coding it does not support.
            assert event.status_code in (400, 413, 431, 501), (event.status_code, event)
    ends = [e for e in events if isinstance(e, RequestRejected | ConnectionEnded)]
    assert len(ends) <= 1, events

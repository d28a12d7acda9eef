"""The WebSocket transports without I/O: chunking invariance, both roles, every bad input.

Every client-role test runs against both client transports: ``WebSocketClient`` (wsproto) and
``FastWebSocketClient`` (websockets' sans-IO protocol). They differ only in the texts of
framing errors (each library's own); codes, error types and frames sent are the same.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transports.base import (
    ByteTransport,
    Closed,
    HandshakeRejected,
    InvalidPayload,
    Message,
    MessageTooBig,
    Opened,
    Pong,
    ProtocolViolation,
    TransportEvent,
    UnsupportedData,
)
from transports.websocket import (
    RTM_PATH,
    NotOpenError,
    WebSocketClient,
    WebSocketServer,
    WebSocketState,
    make_bh,
    rtm_target,
)
from transports.websocket_fast import FastWebSocketClient

TEXT, BINARY, CLOSE, PING, PONG, CONT = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0
KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MASK = b"\x37\xfa\x21\x3d"
LIMIT = 64


# -- helpers ----------------------------------------------------------------------------------


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    masked: bool = True,
    rsv: int = 0,
    length: int | None = None,
) -> bytes:
    """One raw frame; ``length`` overrides the announced payload length."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return struct.pack("!H", code) + reason


def parse_frames(data: bytes) -> list[tuple[int, bytes]]:
    """Decode complete frames (masked or not) into ``(opcode, payload)``; FIN must be set."""
    frames = []
    while data:
        assert data[0] & 0x80, "fragmented frame sent"
        opcode, masked, n = data[0] & 0x0F, data[1] & 0x80, data[1] & 0x7F
        pos = 2
        if n == 126:
            (n,) = struct.unpack("!H", data[2:4])
            pos = 4
        elif n == 127:
            (n,) = struct.unpack("!Q", data[2:10])
            pos = 10
        key = data[pos : pos + 4] if masked else b"\0\0\0\0"
        pos += 4 if masked else 0
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(data[pos : pos + n]))
        assert len(payload) == n, "truncated frame"
        frames.append((opcode, payload))
        data = data[pos + n :]
    return frames


def close_code_sent(data: bytes) -> int:
    frames = parse_frames(data)
    assert frames[-1][0] == CLOSE
    (code,) = struct.unpack("!H", frames[-1][1][:2])
    return int(code)


def upgrade_request(target: str = f"{RTM_PATH}?license_id=123", **headers: str) -> bytes:
    fields = {
        "Host": "example.com",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": KEY.decode(),
        "Sec-WebSocket-Version": "13",
    }
    for name, value in headers.items():
        name = name.replace("_", "-")
        if value:
            fields[name] = value
        else:
            fields.pop(name, None)
    lines = [f"GET {target} HTTP/1.1", *(f"{k}: {v}" for k, v in fields.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def accept_response(request: bytes, *, status: str = "101 Switching Protocols") -> bytes:
    key = next(
        line.split(b":", 1)[1].strip()
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    return (
        f"HTTP/1.1 {status}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept.decode()}\r\nX-Server: test\r\n\r\n"
    ).encode()


Client = WebSocketClient | FastWebSocketClient
CLIENTS: dict[str, type[Client]] = {"wsproto": WebSocketClient, "websockets": FastWebSocketClient}

# The framing errors' texts of websockets' protocol, for those of wsproto the scenarios name.
FAST_TEXTS = {
    "Reserved bit set unexpectedly": "reserved bits must be 0",
    "unexpected CONTINUATION": "unexpected continuation frame",
    "Invalid opcode 0x3": "invalid opcode",
    "Control frame with payload len > 125": "control frame too long",
    "CLOSE with invalid code": "invalid status code",
    "client received unexpected masked frame": "incorrect masking",
}


@pytest.fixture(params=list(CLIENTS))
def client_cls(request: pytest.FixtureRequest) -> type[Client]:
    return CLIENTS[request.param]


def texts_for(cls: type[Client], events: list[TransportEvent]) -> list[TransportEvent]:
    """``events`` with the framing errors' texts ``cls`` reports."""
    if cls is WebSocketClient:
        return events
    out: list[TransportEvent] = []
    for event in events:
        if isinstance(event, Closed) and event.reason in FAST_TEXTS:
            text = FAST_TEXTS[event.reason]
            event = Closed(code=event.code, reason=text, error=ProtocolViolation(text))
        out.append(event)
    return out


def sent_for(cls: type[Client], sent: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """``sent`` with the close reason ``cls`` sends."""
    if cls is WebSocketClient:
        return sent
    out = []
    for opcode, payload in sent:
        reason = payload[2:].decode()
        if opcode == CLOSE and reason in FAST_TEXTS:
            payload = payload[:2] + FAST_TEXTS[reason].encode()
        out.append((opcode, payload))
    return out


def new_client(cls: type[Client] = WebSocketClient, **kwargs: object) -> Client:
    options: dict[str, object] = {"host": "example.com", "license_id": 123, "bh": "abc"}
    options.update(kwargs)
    return cls(**options)  # type: ignore[arg-type]


def open_pair(
    max_message_size: int = LIMIT, cls: type[Client] = WebSocketClient
) -> tuple[Client, WebSocketServer]:
    client = new_client(cls, max_message_size=max_message_size)
    server = WebSocketServer(max_message_size=max_message_size)
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    assert [type(e) for e in client.events()] == [Opened]
    assert [type(e) for e in server.events()] == [Opened]
    return client, server


def open_server(max_message_size: int = LIMIT) -> WebSocketServer:
    server = WebSocketServer(max_message_size=max_message_size)
    server.receive_data(upgrade_request())
    assert [type(e) for e in server.events()] == [Opened]
    assert server.data_to_send().startswith(b"HTTP/1.1 101 ")
    return server


def open_client(max_message_size: int = LIMIT, cls: type[Client] = WebSocketClient) -> Client:
    client = new_client(cls, max_message_size=max_message_size)
    client.receive_data(accept_response(client.data_to_send()))
    assert [type(e) for e in client.events()] == [Opened]
    return client


def feed(
    transport: ByteTransport, data: bytes, how: str
) -> tuple[list[TransportEvent], list[tuple[int, bytes]]]:
    """Feed ``data`` whole, byte by byte, or followed by a partial frame; collect the output."""
    if how == "bytewise":
        for i in range(len(data)):
            transport.receive_data(data[i : i + 1])
    elif how == "trailing":
        # A partial frame header; also valid (masked or not) if read as payload bytes.
        transport.receive_data(data + b"\x01")
    else:
        transport.receive_data(data)
    return list(transport.events()), parse_frames(transport.data_to_send())


# -- scenarios fed to an open connection ------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    frames: Callable[[bool], bytes]  # masked -> wire bytes
    events: list[TransportEvent]
    sent: list[tuple[int, bytes]]


def _close(code: int, reason: str, error: object = None) -> Closed:
    return Closed(code=code, reason=reason, error=error)  # type: ignore[arg-type]


def _too_big() -> Closed:
    message = f"message over {LIMIT} bytes"
    return _close(1009, message, MessageTooBig(message))


def _violation(message: str) -> Closed:
    return _close(1002, message, ProtocolViolation(message))


def _sent_close(closed: Closed) -> list[tuple[int, bytes]]:
    return [(CLOSE, close_payload(closed.code, closed.reason.encode()))]


SCENARIOS = [
    Scenario(
        "one message",
        lambda m: frame(TEXT, b'{"a":1}', masked=m),
        [Message(data=b'{"a":1}')],
        [],
    ),
    Scenario("empty message", lambda m: frame(TEXT, b"", masked=m), [Message(data=b"")], []),
    Scenario(
        "two messages",
        lambda m: frame(TEXT, b"one", masked=m) + frame(TEXT, "dwa \u0119".encode(), masked=m),
        [Message(data=b"one"), Message(data="dwa \u0119".encode())],
        [],
    ),
    Scenario(
        "fragmented message, code point split across frames",
        lambda m: (
            frame(TEXT, b"ab\xc4", fin=False, masked=m)
            + frame(CONT, b"\x99c", fin=False, masked=m)
            + frame(CONT, b"d", masked=m)
        ),
        [Message(data="ab\u0119cd".encode())],
        [],
    ),
    Scenario(
        "ping inside a fragmented message",
        lambda m: (
            frame(TEXT, b"ab", fin=False, masked=m)
            + frame(PING, b"hb", masked=m)
            + frame(CONT, b"cd", masked=m)
        ),
        [Message(data=b"abcd")],
        [(PONG, b"hb")],
    ),
    Scenario(
        "unsolicited pong",
        lambda m: frame(PONG, b"p", masked=m),
        [Pong(payload=b"p")],
        [],
    ),
    Scenario(
        "message then close",
        lambda m: (
            frame(TEXT, b"last", masked=m) + frame(CLOSE, close_payload(1001, b"bye"), masked=m)
        ),
        [Message(data=b"last"), Closed(code=1001, reason="bye")],
        [(CLOSE, close_payload(1001, b"bye"))],
    ),
    Scenario(
        "close without status",
        lambda m: frame(CLOSE, b"", masked=m),
        [Closed(code=1005, reason="")],
        [(CLOSE, b"")],
    ),
    Scenario(
        "close in the middle of a fragmented message",
        lambda m: (
            frame(TEXT, b"part", fin=False, masked=m) + frame(CLOSE, close_payload(1000), masked=m)
        ),
        [Closed(code=1000, reason="")],
        [(CLOSE, close_payload(1000))],
    ),
    Scenario(
        "message exactly at the limit",
        lambda m: frame(TEXT, b"x" * LIMIT, masked=m),
        [Message(data=b"x" * LIMIT)],
        [],
    ),
    Scenario(
        "oversize single frame",
        lambda m: frame(TEXT, b"x" * (LIMIT + 1), masked=m),
        [_too_big()],
        _sent_close(_too_big()),
    ),
    Scenario(
        "oversize fragmented message",
        lambda m: b"".join(
            frame(TEXT if i == 0 else CONT, b"y" * 20, fin=i == 3, masked=m) for i in range(4)
        ),
        [_too_big()],
        _sent_close(_too_big()),
    ),
    Scenario(
        "header claiming 2**62 bytes",
        lambda m: frame(TEXT, b"zz", length=2**62, masked=m),
        [_too_big()],
        _sent_close(_too_big()),
    ),
    Scenario(
        "messages before an oversize one are delivered",
        lambda m: frame(TEXT, b"ok", masked=m) + frame(TEXT, b"", length=LIMIT + 1, masked=m),
        [Message(data=b"ok"), _too_big()],
        _sent_close(_too_big()),
    ),
    Scenario(
        "binary frame",
        lambda m: frame(BINARY, b"\x00\x01", masked=m),
        [
            _close(
                1003,
                "binary messages are not supported",
                UnsupportedData("binary messages are not supported"),
            )
        ],
        [(CLOSE, close_payload(1003, b"binary messages are not supported"))],
    ),
    Scenario(
        "huge binary frame header",
        lambda m: frame(BINARY, b"", length=2**40, masked=m),
        [
            _close(
                1003,
                "binary messages are not supported",
                UnsupportedData("binary messages are not supported"),
            )
        ],
        [(CLOSE, close_payload(1003, b"binary messages are not supported"))],
    ),
    Scenario(
        "reserved bit",
        lambda m: frame(TEXT, b"x", rsv=0x40, masked=m),
        [_violation("Reserved bit set unexpectedly")],
        _sent_close(_violation("Reserved bit set unexpectedly")),
    ),
    Scenario(
        "continuation without a message",
        lambda m: frame(CONT, b"x", masked=m),
        [_violation("unexpected CONTINUATION")],
        _sent_close(_violation("unexpected CONTINUATION")),
    ),
    Scenario(
        "unknown opcode",
        lambda m: frame(0x3, b"x", masked=m),
        [_violation("Invalid opcode 0x3")],
        _sent_close(_violation("Invalid opcode 0x3")),
    ),
    Scenario(
        "ping longer than 125 bytes",
        lambda m: frame(PING, b"p" * 126, masked=m),
        [_violation("Control frame with payload len > 125")],
        _sent_close(_violation("Control frame with payload len > 125")),
    ),
    Scenario(
        "close with an invalid code",
        lambda m: frame(CLOSE, close_payload(999), masked=m),
        [_violation("CLOSE with invalid code")],
        _sent_close(_violation("CLOSE with invalid code")),
    ),
]


def _invalid_utf8(masked: bool) -> bytes:
    return frame(TEXT, b"ok", masked=masked) + frame(TEXT, b"bad \xff here", masked=masked)


@pytest.mark.parametrize("how", ["whole", "bytewise", "trailing"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
@pytest.mark.parametrize("role", ["server", "wsproto", "websockets"])
def test_scenario_is_independent_of_chunking(scenario: Scenario, role: str, how: str) -> None:
    cls = CLIENTS.get(role, WebSocketClient)
    transport: ByteTransport = open_server() if role == "server" else open_client(cls=cls)
    events, sent = feed(transport, scenario.frames(role == "server"), how)
    assert events == texts_for(cls, scenario.events)
    assert sent == sent_for(cls, scenario.sent)
    if any(isinstance(e, Closed) for e in events):
        # Anything after Closed is harmless and ignored.
        transport.receive_data(frame(TEXT, b"late", masked=role == "server"))
        transport.receive_data(b"")
        assert list(transport.events()) == []
        assert transport.data_to_send() == b""


@pytest.mark.parametrize("how", ["whole", "bytewise", "trailing"])
@pytest.mark.parametrize("role", ["server", "wsproto", "websockets"])
def test_invalid_utf8_closes_with_1007(role: str, how: str) -> None:
    cls = CLIENTS.get(role, WebSocketClient)
    transport: ByteTransport = open_server() if role == "server" else open_client(cls=cls)
    events, sent = feed(transport, _invalid_utf8(role == "server"), how)
    assert events[0] == Message(data=b"ok")
    closed = events[1]
    assert isinstance(closed, Closed) and len(events) == 2
    assert closed.code == 1007 and isinstance(closed.error, InvalidPayload)
    assert closed.error.close_code == 1007
    assert sent[0][0] == CLOSE and sent[0][1][:2] == close_payload(1007)


@pytest.mark.parametrize("how", ["whole", "bytewise", "trailing"])
def test_unmasked_frame_to_server_is_a_protocol_violation(how: str) -> None:
    events, sent = feed(open_server(), frame(TEXT, b"hi", masked=False), how)
    message = "server received unexpected unmasked frame"
    assert events == [_violation(message)]
    assert sent == _sent_close(_violation(message))


@pytest.mark.parametrize("how", ["whole", "bytewise", "trailing"])
def test_masked_frame_to_client_is_a_protocol_violation(how: str, client_cls: type[Client]) -> None:
    events, sent = feed(open_client(cls=client_cls), frame(TEXT, b"hi", masked=True), how)
    message = "client received unexpected masked frame"
    assert events == texts_for(client_cls, [_violation(message)])
    assert sent == sent_for(client_cls, _sent_close(_violation(message)))


@given(data=st.data())
def test_any_split_gives_the_same_events(data: st.DataObject) -> None:
    scenario = data.draw(st.sampled_from(SCENARIOS))
    wire = upgrade_request() + scenario.frames(True)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=8)))
    server = WebSocketServer(max_message_size=LIMIT)
    for start, end in zip([0, *cuts], [*cuts, len(wire)], strict=True):
        if start < end:  # an empty slice would be the end of the stream
            server.receive_data(wire[start:end])
    events = list(server.events())
    assert isinstance(events[0], Opened)
    assert events[1:] == scenario.events


# -- opening handshake: server role -----------------------------------------------------------


@pytest.mark.parametrize("how", ["whole", "bytewise", "trailing"])
def test_server_handshake_then_frames_in_one_chunk(how: str) -> None:
    server = WebSocketServer()
    data = upgrade_request() + frame(TEXT, b"first")
    if how == "bytewise":
        for i in range(len(data)):
            server.receive_data(data[i : i + 1])
    else:
        server.receive_data(data + (b"\x01" if how == "trailing" else b""))
    events = list(server.events())
    assert events == [
        Opened(
            target=f"{RTM_PATH}?license_id=123",
            headers=(
                ("host", "example.com"),
                ("upgrade", "websocket"),
                ("connection", "Upgrade"),
                ("sec-websocket-key", KEY.decode()),
                ("sec-websocket-version", "13"),
            ),
        ),
        Message(data=b"first"),
    ]
    assert server.state is WebSocketState.OPEN


def test_server_accept_response() -> None:
    server = WebSocketServer()
    server.receive_data(upgrade_request())
    response = server.data_to_send()
    assert response.startswith(b"HTTP/1.1 101 ")
    assert b"\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response


def _rejection(data: bytes) -> tuple[int, bytes, Closed]:
    server = WebSocketServer()
    server.receive_data(data)
    events = list(server.events())
    assert len(events) == 1 and isinstance(events[0], Closed)
    response = server.data_to_send()
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    assert f"Content-Length: {len(body)}".encode() in head
    assert server.state is WebSocketState.CLOSED
    server.receive_data(upgrade_request())  # harmless
    assert list(server.events()) == [] and server.data_to_send() == b""
    return status, head, events[0]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (upgrade_request("/"), 404),
        (upgrade_request("/customer/v0.3/rtm/wss?license_id=1"), 404),
        (upgrade_request(f"{RTM_PATH}/?license_id=1"), 404),
        (upgrade_request(RTM_PATH), 400),
        (upgrade_request(f"{RTM_PATH}?license_id="), 400),
        (upgrade_request(f"{RTM_PATH}?license_id=0"), 400),
        (upgrade_request(f"{RTM_PATH}?license_id=-5"), 400),
        (upgrade_request(f"{RTM_PATH}?license_id=abc"), 400),
        (upgrade_request(f"{RTM_PATH}?license_id=1&license_id=2"), 400),
        (upgrade_request(Upgrade="", Connection="", Sec_WebSocket_Key=""), 426),
        (upgrade_request(Upgrade="h2c"), 426),
        (upgrade_request(Connection="keep-alive"), 400),
        (upgrade_request(Sec_WebSocket_Version=""), 400),
        (upgrade_request(Sec_WebSocket_Version="8"), 426),
        (upgrade_request(Sec_WebSocket_Key=""), 400),
        (upgrade_request(Sec_WebSocket_Key="not-base64!"), 400),
        (upgrade_request(Sec_WebSocket_Key="c2hvcnQ="), 400),
        (upgrade_request().replace(b"GET", b"POST", 1), 405),
        (b"NOT AN HTTP REQUEST\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000, 431),
    ],
)
def test_server_rejects_bad_requests(request_bytes: bytes, status: int) -> None:
    got, head, closed = _rejection(request_bytes)
    assert got == status
    assert closed.code == 1006
    assert isinstance(closed.error, HandshakeRejected)
    assert closed.error.status_code == status
    if status == 426:
        assert b"Sec-WebSocket-Version: 13" in head
    if status == 405:
        assert b"Allow: GET" in head


def test_server_eof_during_handshake() -> None:
    server = WebSocketServer()
    server.receive_data(upgrade_request()[:20])
    server.receive_data(b"")
    (closed,) = server.events()
    assert isinstance(closed, Closed) and closed.code == 1006
    assert closed.error == HandshakeRejected(closed.reason)
    assert isinstance(closed.error, HandshakeRejected) and closed.error.status_code == 0
    assert server.data_to_send() == b""


def test_from_upgrade_request_accepts_with_trailing_data() -> None:
    headers: list[tuple[bytes | str, bytes | str]] = [
        ("Host", "example.com"),
        (b"Upgrade", b"websocket"),
        ("Connection", "keep-alive, Upgrade"),
        ("Sec-WebSocket-Key", KEY.decode()),
        ("Sec-WebSocket-Version", "13"),
    ]
    trailing = frame(TEXT, b"early") + frame(PING, b"x")
    server = WebSocketServer.from_upgrade_request(
        f"{RTM_PATH}?license_id=7&bh=zz", headers, trailing, max_message_size=100
    )
    opened, message = server.events()
    assert opened == Opened(
        target=f"{RTM_PATH}?license_id=7&bh=zz",
        headers=(
            ("host", "example.com"),
            ("upgrade", "websocket"),
            ("connection", "keep-alive, Upgrade"),
            ("sec-websocket-key", KEY.decode()),
            ("sec-websocket-version", "13"),
        ),
    )
    assert message == Message(data=b"early")
    head, _, frames = server.data_to_send().partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    assert parse_frames(frames) == [(PONG, b"x")]
    assert server.max_message_size == 100


def test_from_upgrade_request_rejects() -> None:
    server = WebSocketServer.from_upgrade_request(b"/elsewhere", [(b"host", b"x")])
    (closed,) = server.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.error.status_code == 404
    assert server.data_to_send().startswith(b"HTTP/1.1 404 Not Found\r\n")
    server = WebSocketServer.from_upgrade_request(
        f"{RTM_PATH}?license_id=1", [(b"Upgrade", b"websocket")], method="POST"
    )
    (closed,) = server.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.error.status_code == 405


def test_from_upgrade_request_without_host_is_rejected() -> None:
    request = upgrade_request(Host="")
    headers = [tuple(line.split(b": ", 1)) for line in request.split(b"\r\n")[1:] if line]
    server = WebSocketServer.from_upgrade_request(f"{RTM_PATH}?license_id=1", headers)  # type: ignore[arg-type]
    (closed,) = server.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.error.status_code == 400


# -- opening handshake: client role -----------------------------------------------------------


def test_client_request(client_cls: type[Client]) -> None:
    client = new_client(
        client_cls,
        host="127.0.0.1:8080",
        license_id=42,
        bh="k3j5",
        origin="https://example.com",
        extra_headers=[("User-Agent", "test/1")],
        path_prefix="/api/",
    )
    request = client.data_to_send()
    assert request.startswith(
        b"GET /api/customer/v0.3/rtm/ws?license_id=42&bh=k3j5 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
    )
    assert b"\r\nOrigin: https://example.com\r\n" in request
    assert b"\r\nUser-Agent: test/1\r\n" in request
    assert client.target == "/api/customer/v0.3/rtm/ws?license_id=42&bh=k3j5"
    assert client.state is WebSocketState.CONNECTING
    assert client.data_to_send() == b""


@pytest.mark.parametrize("how", ["whole", "bytewise", "trailing"])
def test_client_accepted_with_frames_in_the_same_chunk(how: str, client_cls: type[Client]) -> None:
    client = new_client(client_cls)
    response = accept_response(client.data_to_send())
    events, sent = feed(client, response + frame(TEXT, b"hello", masked=False), how)
    assert events == [
        Opened(target=client.target, headers=(("x-server", "test"),)),
        Message(data=b"hello"),
    ]
    assert sent == []


@pytest.mark.parametrize("how", ["whole", "bytewise", "trailing"])
def test_client_rejected(how: str, client_cls: type[Client]) -> None:
    client = new_client(client_cls)
    client.data_to_send()
    response = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope"
    events, _ = feed(client, response, how)
    assert len(events) == 1 and isinstance(events[0], Closed)
    assert events[0].code == 1006
    assert events[0].error == HandshakeRejected("the server answered HTTP 403 instead of 101")
    assert isinstance(events[0].error, HandshakeRejected) and events[0].error.status_code == 403
    assert client.state is WebSocketState.CLOSED


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: wrong\r\n\r\n",
        b"garbage\r\n\r\n",
    ],
)
def test_client_invalid_response(response: bytes, client_cls: type[Client]) -> None:
    client = new_client(client_cls)
    client.data_to_send()
    client.receive_data(response)
    (closed,) = client.events()
    assert isinstance(closed, Closed) and closed.code == 1006
    assert isinstance(closed.error, HandshakeRejected) and closed.error.status_code == 0


def test_client_eof_before_response(client_cls: type[Client]) -> None:
    client = new_client(client_cls)
    client.receive_data(b"HTTP/1.1 10")
    client.receive_data(b"")
    (closed,) = client.events()
    assert isinstance(closed, Closed) and closed.code == 1006
    assert isinstance(closed.error, HandshakeRejected) and closed.error.status_code == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"license_id": 0},
        {"license_id": -1},
        {"license_id": True},
        {"bh": "ABC"},
        {"bh": "a&b"},
        {"path_prefix": "api"},
        {"max_message_size": 0},
        {"extra_headers": [("X", "bad\r\nvalue")]},
    ],
)
def test_client_invalid_arguments(kwargs: dict[str, object], client_cls: type[Client]) -> None:
    with pytest.raises(ValueError):
        new_client(client_cls, **kwargs)


def test_make_bh_and_rtm_target() -> None:
    assert make_bh(lambda: 0.0) == "0000000000"
    assert make_bh(lambda: 0.5) == "i000000000"
    assert len(make_bh(lambda: 0.999999999)) == 10
    with pytest.raises(ValueError):
        make_bh(lambda: 1.0)
    assert rtm_target(license_id=1) == f"{RTM_PATH}?license_id=1"
    assert rtm_target(license_id=1, bh="z9", path_prefix="/p") == f"/p{RTM_PATH}?license_id=1&bh=z9"


# -- client <-> server in memory --------------------------------------------------------------


def test_messages_both_ways_and_ping(client_cls: type[Client]) -> None:
    client, server = open_pair(cls=client_cls)
    client.send_message('{"action":"login","x":"\u0119"}'.encode())
    client.send_ping(b"k1")
    server.receive_data(client.data_to_send())
    assert list(server.events()) == [Message(data='{"action":"login","x":"\u0119"}'.encode())]
    server.send_message(b'{"type":"response"}')
    server.send_ping()
    client.receive_data(server.data_to_send())  # the pong to k1, a message, a ping
    assert list(client.events()) == [Pong(payload=b"k1"), Message(data=b'{"type":"response"}')]
    server.receive_data(client.data_to_send())  # the pong to the server's ping
    assert list(server.events()) == [Pong(payload=b"")]


def test_fragmented_message_from_client_to_server() -> None:
    _, server = open_pair()
    server.receive_data(frame(TEXT, b"[1,", fin=False) + frame(CONT, b"2]"))
    assert list(server.events()) == [Message(data=b"[1,2]")]


@pytest.mark.parametrize("initiator", ["client", "server"])
def test_close_handshake(initiator: str, client_cls: type[Client]) -> None:
    client, server = open_pair(cls=client_cls)
    first, second = (client, server) if initiator == "client" else (server, client)
    first.close(4000, "done")
    first.close(1000, "again")  # idempotent
    assert first.state is WebSocketState.CLOSING
    assert list(first.events()) == []
    first.send_message(b"dropped")  # no-op while closing
    second.receive_data(first.data_to_send())
    assert list(second.events()) == [Closed(code=4000, reason="done")]
    assert second.state is WebSocketState.CLOSED
    first.receive_data(second.data_to_send())
    assert list(first.events()) == [Closed(code=4000, reason="done")]
    first.receive_data(b"")  # EOF after a clean close: nothing more
    second.receive_data(b"")
    assert list(first.events()) == list(second.events()) == []
    first.send_message(b"x")
    first.send_ping()
    first.close()
    assert first.data_to_send() == second.data_to_send() == b""


def test_messages_still_arrive_while_closing(client_cls: type[Client]) -> None:
    client, server = open_pair(cls=client_cls)
    client.close()
    server.send_message(b"in flight")
    client.receive_data(server.data_to_send())
    assert list(client.events()) == [Message(data=b"in flight")]
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    assert list(client.events()) == [Closed(code=1000)]


@pytest.mark.parametrize("state", ["open", "closing", "mid-message"])
def test_eof_without_closing_handshake(state: str) -> None:
    _, server = open_pair()
    if state == "closing":
        server.close()
    if state == "mid-message":
        server.receive_data(frame(TEXT, b"par", fin=False))
    server.receive_data(b"")
    assert list(server.events()) == [Closed(code=1006)]
    assert server.state is WebSocketState.CLOSED


def test_error_on_a_closing_connection_sends_no_second_close() -> None:
    server = open_server()
    server.close(1001)
    assert close_code_sent(server.data_to_send()) == 1001
    server.receive_data(frame(BINARY, b"x"))
    (closed,) = server.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, UnsupportedData)
    assert closed.code == 1003
    assert server.data_to_send() == b""


def test_close_code_sent_for_each_error() -> None:
    for data, code in [
        (frame(TEXT, b"x" * (LIMIT + 1)), 1009),
        (frame(TEXT, b"\xc3\x28"), 1007),
        (frame(BINARY, b"b"), 1003),
        (frame(TEXT, b"x", rsv=0x10), 1002),
    ]:
        server = open_server()
        server.receive_data(data)
        assert close_code_sent(server.data_to_send()) == code
        (closed,) = server.events()
        assert isinstance(closed, Closed) and closed.error is not None
        assert closed.code == closed.error.close_code == code


def test_large_input_in_one_call(client_cls: type[Client]) -> None:
    limit = 200_000
    client, server = open_pair(max_message_size=limit, cls=client_cls)
    payloads = [bytes([65 + i]) * limit for i in range(3)]
    for payload in payloads:
        client.send_message(payload)
    server.receive_data(client.data_to_send())
    assert list(server.events()) == [Message(data=p) for p in payloads]
    client.send_message(b"z" * (limit + 1))
    server.receive_data(client.data_to_send())
    (closed,) = server.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, MessageTooBig)


def test_oversize_frame_fed_in_one_huge_call_fails_before_the_end() -> None:
    server = open_server(max_message_size=1000)
    server.receive_data(frame(TEXT, b"q" * 300_000))
    (closed,) = server.events()
    assert isinstance(closed, Closed) and closed.code == 1009


def test_api_misuse(client_cls: type[Client]) -> None:
    client = new_client(client_cls)
    with pytest.raises(NotOpenError):
        client.send_message(b"too early")
    with pytest.raises(NotOpenError):
        client.send_ping()
    with pytest.raises(ValueError):
        client.close(1006)
    client.close(1000, "never mind")  # before the handshake: abandoned
    assert list(client.events()) == [Closed(code=1006, reason="never mind")]
    client, _ = open_pair(cls=client_cls)
    with pytest.raises(ValueError):
        client.send_ping(b"x" * 126)
    with pytest.raises(ValueError):
        client.send_message(b"\xff")
    with pytest.raises(ValueError):
        client.close(999)
    with pytest.raises(ValueError):
        client.close(5000)


def test_transports_satisfy_the_protocol(client_cls: type[Client]) -> None:
    assert isinstance(new_client(client_cls), ByteTransport)
    assert isinstance(WebSocketServer(), ByteTransport)


@pytest.mark.parametrize(
    ("target", "host"),
    [
        (f"{RTM_PATH}?license_id=1&n=caf\u00e9".encode(), b"example.com"),
        (b"http://[::1/customer/v0.3/rtm/ws?license_id=1", b"example.com"),
        (f"{RTM_PATH}?license_id=1".encode(), b"xn--zz.com"),
    ],
    ids=["non-ascii target", "invalid url", "invalid host"],
)
def test_from_upgrade_request_rejects_odd_requests(target: bytes, host: bytes) -> None:
    headers: list[tuple[bytes | str, bytes | str]] = [
        (b"host", host),
        (b"upgrade", b"websocket"),
        (b"connection", b"upgrade"),
        (b"sec-websocket-key", KEY),
        (b"sec-websocket-version", b"13"),
    ]
    server = WebSocketServer.from_upgrade_request(target, headers)
    (closed,) = server.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.error.status_code == 400
    assert server.data_to_send().startswith(b"HTTP/1.1 400 Bad Request\r\n")


# Announced lengths in every encoding (7-bit, 16-bit, 64-bit); a ping of LIMIT + 1 bytes is
# valid (the websockets client fails it under a 125-byte limit, see its module docstring).
OVERSIZED = [
    (opcode, code, announced)
    for opcode, code in [(TEXT, 1009), (BINARY, 1003), (PING, 1002)]
    for announced in [LIMIT + 1, 126, 1000, 70_000, 2**40]
    if not (opcode == PING and announced <= 125)
]


@pytest.mark.parametrize("how", ["whole", "bytewise", "trailing"])
@pytest.mark.parametrize(("opcode", "code", "announced"), OVERSIZED)
def test_an_oversized_header_names_the_problem(
    client_cls: type[Client], how: str, announced: int, opcode: int, code: int
) -> None:
    """The header alone (any length encoding) decides: too big, binary or a bad control."""
    client = open_client(cls=client_cls)
    client.receive_data(frame(TEXT, b"ok", masked=False))
    assert list(client.events()) == [Message(data=b"ok")]
    events, sent = feed(client, frame(opcode, b"", length=announced, masked=False), how)
    assert len(events) == 1 and isinstance(events[0], Closed)
    assert events[0].code == code
    assert sent == [(CLOSE, close_payload(code, events[0].reason.encode()))]


def test_both_clients_open_the_v3_endpoint(client_cls: type[Client]) -> None:
    client = client_cls(host="example.com", api="3.6", organization_id="org-1", bh="abc")
    assert client.target == "/v3.6/customer/rtm/ws?organization_id=org-1"  # no bh in v3
    assert client.data_to_send().startswith(
        b"GET /v3.6/customer/rtm/ws?organization_id=org-1 HTTP/1.1\r\nHost: example.com\r\n"
    )
    with pytest.raises(ValueError):
        client_cls(host="example.com", api="3.6")  # v3 needs an organization_id

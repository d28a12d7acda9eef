"""transports.http: both roles fed whole, byte by byte and with trailing bytes; errors; misuse."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from customer_protocol.errors import InvalidArgumentsError, LocalProtocolError
from transports.http import (
    BadRequest,
    ConnectionEnded,
    HTTPClientConnection,
    HTTPRequest,
    HTTPServerConnection,
    HTTPServerEvent,
    IncompleteResponse,
    MalformedResponse,
    RequestReceived,
    RequestRejected,
    RequestTooLarge,
    ResponseReceived,
    ResponseTooLarge,
    UpgradeRequested,
    header_value,
)

pytestmark = pytest.mark.timeout(10)

Responder = Callable[[HTTPServerConnection, RequestReceived], None]


def whole(data: bytes) -> list[bytes]:
    return [data]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def halves(data: bytes) -> list[bytes]:
    return [data[: len(data) // 2], data[len(data) // 2 :]]


SPLITS = [whole, bytewise, halves]


def echo(server: HTTPServerConnection, request: RequestReceived) -> None:
    server.send_response(
        200, (("Content-Type", "text/plain"),), request.method.encode() + b" " + request.body
    )


def run_server(
    chunks: list[bytes], respond: Responder = echo, **limits: int
) -> tuple[list[HTTPServerEvent], bytes, bytes, bool]:
    """Feed chunks, answer each request; return (events, output, bytes after upgrade, closed)."""
    server = HTTPServerConnection(**limits)
    events: list[HTTPServerEvent] = []
    out = bytearray()
    after_upgrade = bytearray()
    upgraded = False
    for chunk in chunks:
        if upgraded:
            after_upgrade += chunk
            continue
        server.receive_data(chunk)
        pending = list(server.events())
        while pending:
            event = pending.pop(0)
            events.append(event)
            if isinstance(event, RequestReceived):
                respond(server, event)
                pending += list(server.events())
            elif isinstance(event, UpgradeRequested):
                upgraded = True
        out += server.data_to_send()
    return events, bytes(out), bytes(after_upgrade), server.must_close


# -- server role ----------------------------------------------------------------------------------

POST_CL = b"POST /a?x=1&x=2&y= HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
POST_CHUNKED = (
    b"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n"
)
GET = b"GET /c HTTP/1.1\r\nHost: h\r\n\r\n"


@pytest.mark.parametrize("split", SPLITS)
def test_server_content_length_and_chunked_and_pipelined(split: Callable[..., list[bytes]]) -> None:
    data = POST_CL + POST_CHUNKED + GET
    events, out, _, closed = run_server(split(data))
    assert [type(e) for e in events] == [RequestReceived] * 3
    first, second, third = events
    assert isinstance(first, RequestReceived)
    assert (first.method, first.path, first.query, first.body) == (
        "POST",
        "/a",
        {"x": "1", "y": ""},
        b"hello",
    )
    assert first.header("HOST") == "h"
    assert isinstance(second, RequestReceived) and second.body == b"abcdefg"
    assert isinstance(third, RequestReceived) and (third.method, third.body) == ("GET", b"")
    assert out.count(b"HTTP/1.1 200 OK\r\n") == 3
    assert out.endswith(b"GET ")
    assert b"POST hello" in out and b"POST abcdefg" in out
    assert not closed
    # The same outputs whatever the split, and with the start of a fourth request trailing.
    assert run_server(split(data + b"GET /d HTT")) == (events, out, b"", False)
    assert run_server(whole(data)) == (events, out, b"", False)


def test_server_answers_pipelined_requests_in_order_only_after_each_response() -> None:
    server = HTTPServerConnection()
    server.receive_data(GET + GET.replace(b"/c", b"/d"))
    first = list(server.events())
    assert [e.path for e in first if isinstance(e, RequestReceived)] == ["/c"]
    assert server.awaiting_response
    server.send_response(204)
    second = list(server.events())
    assert [e.path for e in second if isinstance(e, RequestReceived)] == ["/d"]


UPGRADE = (
    b"GET /customer/v0.3/rtm/ws?license_id=7 HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)


@pytest.mark.parametrize("split", SPLITS)
def test_server_websocket_upgrade_hands_over_trailing_bytes(
    split: Callable[..., list[bytes]],
) -> None:
    frame = b"\x81\x85\x00\x00\x00\x00hello"
    events, out, after, closed = run_server(split(GET + UPGRADE + frame))
    assert isinstance(events[0], RequestReceived)
    upgrade = events[1]
    assert isinstance(upgrade, UpgradeRequested)
    assert upgrade.path == "/customer/v0.3/rtm/ws" and upgrade.query == {"license_id": "7"}
    assert header_value(upgrade.headers, "sec-websocket-key") == "dGhlIHNhbXBsZSBub25jZQ=="
    assert upgrade.trailing_data + after == frame
    assert out.count(b"HTTP/1.1") == 1  # only the GET was answered; the 101 is the WebSocket's
    assert not closed


def test_server_refuses_input_after_upgrade() -> None:
    server = HTTPServerConnection()
    server.receive_data(UPGRADE)
    assert [type(e) for e in server.events()] == [UpgradeRequested]
    with pytest.raises(LocalProtocolError):
        server.receive_data(b"more")


def test_server_answers_a_non_websocket_upgrade_like_any_request() -> None:
    request = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
    events, out, _, closed = run_server([request + GET])
    assert [type(e) for e in events] == [RequestReceived, RequestReceived]
    assert out.count(b"200 OK") == 2 and not closed


def rejected(events: list[HTTPServerEvent]) -> RequestRejected:
    assert len(events) == 1 and isinstance(events[0], RequestRejected), events
    return events[0]


@pytest.mark.parametrize("split", SPLITS)
def test_server_413_on_content_length_over_the_limit(split: Callable[..., list[bytes]]) -> None:
    data = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
    events, out, _, closed = run_server(split(data), max_body_size=10)
    event = rejected(events)
    assert event.status_code == 413 and isinstance(event.error, RequestTooLarge)
    assert out.startswith((b"HTTP/1.1 413 Content Too Large\r\n", b"HTTP/1.1 413 Request Entity"))
    assert b"Connection: close" in out and b'"type":"validation"' in out
    assert closed


@pytest.mark.parametrize("split", SPLITS)
def test_server_413_on_chunked_body_over_the_limit(split: Callable[..., list[bytes]]) -> None:
    data = b"POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n"
    data += b"6\r\nghijkl\r\n0\r\n\r\n"
    events, out, _, closed = run_server(split(data), max_body_size=10)
    assert rejected(events).status_code == 413
    assert out.startswith(b"HTTP/1.1 413 ") and closed


def test_server_multipart_bodies_get_the_upload_limit() -> None:
    head = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=b\r\n"
    data = head + b"Content-Length: 20\r\n\r\n" + b"x" * 20
    events, _, _, _ = run_server([data], max_body_size=10, max_upload_size=30)
    assert isinstance(events[0], RequestReceived)
    events, _, _, _ = run_server([data], max_body_size=10, max_upload_size=19)
    assert rejected(events).status_code == 413


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host
        (b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431),
    ],
)
def test_server_malformed_requests_get_a_4xx_and_close(data: bytes, status: int) -> None:
    for split in SPLITS:
        events, out, _, closed = run_server(split(data))
        event = rejected(events)
        assert isinstance(event.error, BadRequest)
        assert event.status_code == status
        assert out.startswith(f"HTTP/1.1 {status} ".encode()) and closed


def test_server_eof_mid_request_and_between_requests() -> None:
    events, out, _, closed = run_server([POST_CL[:-2], b""])
    assert events == [ConnectionEnded(error=BadRequest("the client closed mid-request"))]
    assert out == b"" and closed
    events, out, _, closed = run_server([GET, b""])
    assert [type(e) for e in events] == [RequestReceived, ConnectionEnded]
    assert events[1] == ConnectionEnded()
    assert closed
    assert run_server([b""]) == ([ConnectionEnded()], b"", b"", True)


def test_server_closes_after_connection_close_and_http10() -> None:
    for request in (
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
    ):
        events, out, _, closed = run_server([request + GET])
        assert [type(e) for e in events] == [RequestReceived]
        assert b"connection: close" in out.lower() and closed


def test_server_sends_100_continue() -> None:
    request = b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    server = HTTPServerConnection()
    server.receive_data(request)
    assert server.data_to_send() == b"HTTP/1.1 100 \r\n\r\n"
    server.receive_data(b"ok")
    (event,) = server.events()
    assert isinstance(event, RequestReceived) and event.body == b"ok"


def test_server_misuse_raises_local_protocol_error() -> None:
    server = HTTPServerConnection()
    with pytest.raises(LocalProtocolError):
        server.send_response(200)
    server.receive_data(GET)
    list(server.events())
    server.send_json(200, {"ok": True})
    with pytest.raises(LocalProtocolError):
        server.send_json(200, {})
    with pytest.raises(InvalidArgumentsError):
        HTTPServerConnection(max_body_size=0)


def test_server_ignores_input_once_closed() -> None:
    events, _, _, closed = run_server([b"BAD\r\n\r\n", GET, b""])
    assert len(events) == 1 and closed


# -- client role ----------------------------------------------------------------------------------

REQUEST = HTTPRequest(
    method="POST",
    target="/x",
    headers=(("Host", "h"), ("Content-Length", "2")),
    body=b"hi",
)
RESPONSE_CL = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
RESPONSE_CL += b'{"a":[1,2]}'
RESPONSE_CHUNKED = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
RESPONSE_CHUNKED += b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
RESPONSE_EOF = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"


def run_client(
    responses: list[list[bytes]], **limits: int
) -> tuple[list[object], list[bytes], HTTPClientConnection]:
    """Send one request per item of ``responses`` and feed its chunks; return what happened."""
    client = HTTPClientConnection(**limits)
    events: list[object] = []
    sent: list[bytes] = []
    for chunks in responses:
        if not client.can_send_request:
            break
        client.send_request(REQUEST)
        sent.append(client.data_to_send())
        for chunk in chunks:
            client.receive_data(chunk)
            events += list(client.events())
    return events, sent, client


@pytest.mark.parametrize("split", SPLITS)
def test_client_reads_content_length_chunked_and_eof_bodies(
    split: Callable[..., list[bytes]],
) -> None:
    events, sent, client = run_client([split(RESPONSE_CL), split(RESPONSE_CHUNKED)])
    assert sent == [b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"] * 2
    assert events == [
        ResponseReceived(
            status=200,
            reason="OK",
            headers=(("content-type", "application/json"), ("content-length", "11")),
            body=b'{"a":[1,2]}',
        ),
        ResponseReceived(
            status=201,
            reason="Created",
            headers=(("transfer-encoding", "chunked"),),
            body=b"hello world",
        ),
    ]
    assert client.can_send_request  # one connection, reused
    trailing = [*split(RESPONSE_CL), b"HTTP/1.1 2"]
    assert run_client([trailing])[0] == events[:1]

    events, _, client = run_client([[*split(RESPONSE_EOF), b""]])
    assert [e.body for e in events if isinstance(e, ResponseReceived)] == [b"until the end"]
    assert events[-1] == ConnectionEnded()
    assert not client.can_send_request and client.ended


def test_client_connection_close_response_is_not_reusable() -> None:
    response = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    events, _, client = run_client([[response]])
    assert [type(e) for e in events] == [ResponseReceived]
    assert not client.can_send_request
    with pytest.raises(LocalProtocolError):
        client.send_request(REQUEST)


def test_client_skips_100_continue() -> None:
    events, _, _ = run_client([[b"HTTP/1.1 100 Continue\r\n\r\n" + RESPONSE_CL]])
    assert [e.status for e in events if isinstance(e, ResponseReceived)] == [200]


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("cut", [0, 10, len(RESPONSE_CL) - 1])
def test_client_server_closing_mid_response(split: Callable[..., list[bytes]], cut: int) -> None:
    data = RESPONSE_CL[:cut]
    events, _, client = run_client([[*split(data), b""]] if data else [[b""]])
    assert events == [
        ConnectionEnded(error=IncompleteResponse("the server closed the connection mid-response"))
    ]
    assert client.ended and not client.can_send_request
    client.receive_data(b"ignored")
    assert list(client.events()) == []


def test_client_eof_while_idle_is_a_clean_end() -> None:
    client = HTTPClientConnection()
    client.receive_data(b"")
    assert list(client.events()) == [ConnectionEnded()]


@pytest.mark.parametrize("split", SPLITS)
def test_client_oversized_response_bodies(split: Callable[..., list[bytes]]) -> None:
    big_cl = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"
    big_chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n"
    big_chunked += b"5\r\nworld\r\n0\r\n\r\n"
    big_eof = b"HTTP/1.0 200 OK\r\n\r\nhello world"
    for data in (big_cl, big_chunked, big_eof):
        events, _, client = run_client([split(data)], max_response_size=10)
        assert events == [
            ConnectionEnded(
                error=ResponseTooLarge("the response body is over the limit of 10 bytes")
            )
        ]
        assert client.ended
    events, _, _ = run_client([split(big_cl)], max_response_size=11)
    assert [type(e) for e in events] == [ResponseReceived]


@pytest.mark.parametrize(
    "data", [b"NOT HTTP\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n"]
)
def test_client_malformed_response(data: bytes) -> None:
    for split in SPLITS:
        events, _, _ = run_client([split(data)])
        assert events == [
            ConnectionEnded(error=MalformedResponse("the server sent malformed HTTP"))
        ]


def test_client_unsolicited_response_is_malformed() -> None:
    client = HTTPClientConnection()
    client.receive_data(RESPONSE_CL)
    (event,) = client.events()
    assert isinstance(event, ConnectionEnded) and isinstance(event.error, MalformedResponse)
    events, _, _ = run_client([[RESPONSE_CL + RESPONSE_CL]])
    assert [type(e) for e in events] == [ResponseReceived, ConnectionEnded]


def test_client_streamed_body_and_misuse() -> None:
    client = HTTPClientConnection()
    with pytest.raises(LocalProtocolError):
        client.send_body(b"x")
    with pytest.raises(LocalProtocolError):
        client.end_request()
    with pytest.raises(LocalProtocolError):
        client.send_request(
            HTTPRequest(method="POST", target="/", headers=(("Host", "h"),), body=None)
        )
    streamed = HTTPRequest(
        method="POST", target="/", headers=(("Host", "h"), ("Content-Length", "4")), body=None
    )
    client.start_request(streamed)
    with pytest.raises(LocalProtocolError):
        client.start_request(streamed)
    client.send_body(b"ab")
    client.send_body(b"")
    client.send_body(b"cd")
    client.end_request()
    assert client.data_to_send().endswith(b"\r\n\r\nabcd")
    client.receive_data(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert [e.status for e in client.events() if isinstance(e, ResponseReceived)] == [204]
    client.start_request(streamed)
    with pytest.raises(LocalProtocolError):  # too short for its Content-Length
        client.end_request()
    assert not client.can_send_request  # h11 broke the connection: close it
    with pytest.raises(InvalidArgumentsError):
        HTTPClientConnection(max_response_size=0)


def test_client_early_response_during_upload() -> None:
    client = HTTPClientConnection()
    streamed = HTTPRequest(
        method="POST", target="/", headers=(("Host", "h"), ("Content-Length", "4")), body=None
    )
    client.start_request(streamed)
    client.send_body(b"ab")
    client.receive_data(b"HTTP/1.1 413 Too Big\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    client.receive_data(b"")
    events = list(client.events())
    assert [type(e) for e in events] == [ResponseReceived, ConnectionEnded]
    client.send_body(b"cd")  # ignored: the connection is over
    client.end_request()
    assert not client.can_send_request


# -- both roles together --------------------------------------------------------------------------


def test_client_and_server_in_memory_keep_alive() -> None:
    client, server = HTTPClientConnection(), HTTPServerConnection()
    for i in range(3):
        body = f"n={i}".encode()
        client.send_request(
            HTTPRequest(
                method="POST",
                target=f"/r{i}",
                headers=(("Host", "h"), ("Content-Length", str(len(body)))),
                body=body,
            )
        )
        server.receive_data(client.data_to_send())
        (request,) = server.events()
        assert isinstance(request, RequestReceived) and request.body == body
        server.send_json(200, {"i": i})
        client.receive_data(server.data_to_send())
        (response,) = client.events()
        assert isinstance(response, ResponseReceived) and response.body == f'{{"i":{i}}}'.encode()
        assert client.can_send_request and not server.must_close


def test_reprs_hide_authorization_and_bodies() -> None:
    secret = "s3cr3t-token"
    request = HTTPRequest(
        method="POST",
        target="/",
        headers=(("Host", "h"), ("Authorization", f"Bearer {secret}")),
        body=secret.encode(),
    )
    assert secret not in repr(request)
    received = RequestReceived(
        method="POST", target="/", path="/", query={}, headers=request.headers, body=b"x"
    )
    assert secret not in repr(received)
    response = ResponseReceived(status=200, reason="OK", headers=request.headers, body=b"s")
    assert secret not in repr(response)
    upgrade = UpgradeRequested(
        target="/", path="/", query={}, headers=request.headers, trailing_data=b""
    )
    assert secret not in repr(upgrade)


@pytest.mark.parametrize("split", SPLITS)
def test_client_response_head_over_the_limit(split: Callable[..., list[bytes]]) -> None:
    data = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 3000 + b"\r\nContent-Length: 0\r\n\r\n"
    events, _, _ = run_client([split(data)], max_header_size=1024)
    assert events == [ConnectionEnded(error=MalformedResponse("the message head is too large"))]


@pytest.mark.parametrize(
    "module",
    ["transports.http", "transports.webapi", "transports.multipart", "transports.accounts"],
)
def test_exports_match_the_public_names(module: str) -> None:
    import importlib

    mod = importlib.import_module(module)
    public = {
        name
        for name, value in vars(mod).items()
        if not name.startswith("_") and callable(value) and value.__module__ == module
    }
    assert set(mod.__all__) <= set(vars(mod))
    assert public <= set(mod.__all__)

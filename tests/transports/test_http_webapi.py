"""transports.webapi: client role <-> server role in memory for every action; every bad input."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol.errors import (
    AuthenticationError,
    InvalidArgumentsError,
    RemoteProtocolError,
    RequestFailedError,
)
from transports.http import (
    BadRequest,
    HTTPClientConnection,
    HTTPRequest,
    HTTPRequestError,
    HTTPServerConnection,
    MethodNotAllowed,
    NotFound,
    RequestReceived,
    RequestTooLarge,
    ResponseReceived,
    Unauthorized,
    UnsupportedMediaType,
)
from transports.multipart import FilePart, build_send_file_body, make_boundary
from transports.webapi import (
    WEB_API_ACTIONS,
    Endpoint,
    WebAPICall,
    build_send_file_request,
    build_web_api_request,
    decode_web_api_response,
    endpoint_of,
    parse_web_api_request,
    web_api_error,
    web_api_success,
    web_api_target,
)

pytestmark = pytest.mark.timeout(10)

TOKEN = "tok-9f8e7d6c5b4a"
PAYLOADS: dict[str, dict[str, Any]] = {
    "start_chat": {"routing_scope": {"type": "license"}, "events": [], "properties": {}},
    "send_event": {"chat_id": "C1", "event": {"type": "message", "text": "hi", "custom_id": "x"}},
    "send_sneak_peek": {"chat_id": "C1", "sneak_peek_text": "typ"},
    "close_thread": {"chat_id": "C1"},
    "update_chat_scopes": {"chat_id": "C1", "add_scopes": {"groups": [1]}},
    "update_customer": {"customer": {"name": "Ann", "fields": {"k": "v"}}},
    "update_chat_properties": {"chat_id": "C1", "properties": {"ns": {"p": 1}}},
    "update_chat_thread_properties": {
        "chat_id": "C1",
        "thread_id": "T1",
        "properties": {"rating": {"score": 1}},
    },
}


def exchange(
    client: HTTPClientConnection, server: HTTPServerConnection, *, bytewise: bool = False
) -> RequestReceived:
    data = client.data_to_send()
    chunks = [data[i : i + 1] for i in range(len(data))] if bytewise else [data]
    events = []
    for chunk in chunks:
        server.receive_data(chunk)
        events += list(server.events())
    (event,) = events
    assert isinstance(event, RequestReceived)
    return event


def reply(client: HTTPClientConnection, server: HTTPServerConnection) -> ResponseReceived:
    client.receive_data(server.data_to_send())
    (event,) = client.events()
    assert isinstance(event, ResponseReceived)
    return event


def test_every_json_action_round_trips_on_one_connection() -> None:
    assert set(PAYLOADS) | {"send_file"} == WEB_API_ACTIONS
    client, server = HTTPClientConnection(), HTTPServerConnection()
    for i, (action, payload) in enumerate(sorted(PAYLOADS.items())):
        request = build_web_api_request(
            host="api.example:8080",
            access_token=TOKEN,
            license_id=123,
            action=action,
            payload=payload,
            prefix="/v" if i % 2 else "",
        )
        assert request.method == "POST"
        assert request.target.endswith(f"/customer/v0.3/action/{action}?license_id=123")
        client.send_request(request)
        received = exchange(client, server, bytewise=i == 0)
        assert received.header("authorization") == f"Bearer {TOKEN}"
        assert received.header("content-type") == "application/json"
        assert received.header("host") == "api.example:8080"
        call = parse_web_api_request(received, prefix="/v" if i % 2 else "")
        assert call == WebAPICall(
            action=action, license_id=123, access_token=TOKEN, payload=payload
        )
        server.send_json(200, web_api_success({"n": i, "action": action}))
        assert decode_web_api_response(reply(client, server)) == {"n": i, "action": action}
        assert client.can_send_request and not server.must_close


@pytest.mark.parametrize("chunk_size", [1000, 65536])
def test_send_file_streams_multipart_with_progress(chunk_size: int) -> None:
    data = bytes(range(256)) * 1200  # 307,200 bytes
    body = build_send_file_body(
        chat_id="C1",
        custom_id="cid-1",
        file=FilePart(filename="pic é.png", content_type="image/png", data=data),
        boundary=make_boundary(iter([0.1, 0.5, 0.99] * 10).__next__, length=30),
        chunk_size=chunk_size,
    )
    head = build_send_file_request(host="h", access_token=TOKEN, license_id=5, body=body)
    assert head.body is None
    assert ("Content-Length", str(body.bytes_total)) in head.headers
    client, server = HTTPClientConnection(), HTTPServerConnection()
    client.start_request(head)
    wire = bytearray(client.data_to_send())
    progress = []
    for chunk in body:
        assert len(chunk) <= chunk_size
        client.send_body(chunk)
        wire += client.data_to_send()
        progress.append((body.bytes_sent, body.bytes_total))
    client.end_request()
    wire += client.data_to_send()
    assert progress[-1] == (body.bytes_total, body.bytes_total)
    assert [sent for sent, _ in progress] == sorted({sent for sent, _ in progress})
    assert len(progress) == -(-body.bytes_total // chunk_size)
    server.receive_data(bytes(wire))
    (received,) = server.events()
    assert isinstance(received, RequestReceived)
    call = parse_web_api_request(received)
    assert call.action == "send_file" and call.license_id == 5
    assert call.payload == {"chat_id": "C1", "custom_id": "cid-1"}
    assert call.file == FilePart(filename="pic é.png", content_type="image/png", data=data)
    server.send_json(200, web_api_success({"url": "https://cdn/x.png"}))
    assert decode_web_api_response(reply(client, server)) == {"url": "https://cdn/x.png"}


def test_send_file_limit_is_checked_before_anything_is_sent() -> None:
    big = FilePart(filename="big", data=b"\0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(
        InvalidArgumentsError, match=r"The file is too big \(max size is 10.00 MB\)"
    ):
        build_send_file_body(chat_id="C1", file=big, boundary="b")
    exact = FilePart(filename="ok", data=b"\0" * (10 * 1024 * 1024))
    assert build_send_file_body(chat_id="C1", file=exact, boundary="bnd").bytes_total > 10 << 20


def test_client_rejects_bad_arguments_without_leaking_the_token() -> None:
    with pytest.raises(InvalidArgumentsError, match="not a Web API action"):
        build_web_api_request(
            host="h", access_token=TOKEN, license_id=1, action="login", payload={}
        )
    with pytest.raises(InvalidArgumentsError, match="multipart"):
        build_web_api_request(
            host="h", access_token=TOKEN, license_id=1, action="send_file", payload={}
        )
    for license_id in (0, -1, True, "1"):
        with pytest.raises(InvalidArgumentsError, match="license_id"):
            web_api_target("close_thread", license_id)  # type: ignore[arg-type]
    for bad in ("", "a b", "a\r\nX: y"):
        with pytest.raises(InvalidArgumentsError) as info:
            build_web_api_request(
                host="h", access_token=bad, license_id=1, action="close_thread", payload={}
            )
        assert bad not in str(info.value) or not bad
    with pytest.raises(InvalidArgumentsError, match="host"):
        build_web_api_request(
            host="h/x", access_token=TOKEN, license_id=1, action="close_thread", payload={}
        )
    with pytest.raises(InvalidArgumentsError, match="prefix"):
        web_api_target("close_thread", 1, prefix="api/")
    request = build_web_api_request(
        host="h", access_token=TOKEN, license_id=1, action="close_thread", payload={}
    )
    assert TOKEN not in repr(request)


def response(status: int, body: bytes, reason: str = "") -> ResponseReceived:
    return ResponseReceived(status=status, reason=reason, headers=(), body=body)


def test_decode_success_bodies() -> None:
    assert decode_web_api_response(response(200, b'{"payload":{"a":1}}')) == {"a": 1}
    assert decode_web_api_response(response(200, b'{"a":1}')) == {"a": 1}  # bare payload
    assert decode_web_api_response(response(204, b"")) == {}
    assert decode_web_api_response(response(200, b'{"payload":{}}')) == {}
    for bad in (b"[1]", b"{", b'{"payload":[1]}', b'{"a":NaN}', b"\xff"):
        with pytest.raises(RemoteProtocolError):
            decode_web_api_response(response(200, bad))
    with pytest.raises(RemoteProtocolError, match="status 302"):
        decode_web_api_response(response(302, b""))


def test_decode_error_bodies() -> None:
    body = b'{"error":{"type":"validation","message":"chat_id missing","data":{"f":1}}}'
    with pytest.raises(RequestFailedError) as failed:
        decode_web_api_response(response(400, body))
    assert (failed.value.type, failed.value.message, failed.value.data) == (
        "validation",
        "chat_id missing",
        {"f": 1},
    )
    auth = b'{"error":{"type":"authentication","message":"Invalid access token"}}'
    with pytest.raises(AuthenticationError) as denied:
        decode_web_api_response(response(403, auth))
    assert denied.value.type == "authentication"
    with pytest.raises(AuthenticationError):
        decode_web_api_response(response(401, b"<html>nope</html>", "Unauthorized"))
    with pytest.raises(RequestFailedError) as gateway:
        decode_web_api_response(response(502, b"<html>", "Bad Gateway"))
    assert (gateway.value.type, gateway.value.message) == ("internal", "HTTP 502 Bad Gateway")


def test_server_error_answers_decode_to_the_sdk_errors() -> None:
    client, server = HTTPClientConnection(), HTTPServerConnection()
    for error, expected in (
        (Unauthorized("bad token"), AuthenticationError),
        (BadRequest("bad json"), RequestFailedError),
    ):
        client.send_request(
            build_web_api_request(
                host="h", access_token=TOKEN, license_id=1, action="close_thread", payload={}
            )
        )
        exchange(client, server)
        server.send_error(error)
        answer = reply(client, server)
        assert answer.status == error.status_code
        with pytest.raises(expected) as info:
            decode_web_api_response(answer)
        assert info.value.message == error.message
    client.send_request(
        build_web_api_request(
            host="h", access_token=TOKEN, license_id=1, action="close_thread", payload={}
        )
    )
    exchange(client, server)
    server.send_json(403, web_api_error("authorization", "not yours", {"chat_id": "C1"}))
    with pytest.raises(RequestFailedError) as info:
        decode_web_api_response(reply(client, server))
    assert (info.value.type, info.value.data) == ("authorization", {"chat_id": "C1"})


def request(
    target: str,
    body: bytes = b"{}",
    *,
    method: str = "POST",
    headers: tuple[tuple[str, str], ...] = (
        ("authorization", f"Bearer {TOKEN}"),
        ("content-type", "application/json"),
    ),
) -> RequestReceived:
    """Parse a request through the real server connection."""
    server = HTTPServerConnection(max_body_size=1 << 20)
    head = f"{method} {target} HTTP/1.1\r\nHost: h\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers)
    server.receive_data(head.encode() + b"\r\n" + body)
    (event,) = server.events()
    assert isinstance(event, RequestReceived)
    return event


ACTION = "/customer/v0.3/action/close_thread?license_id=9"


@pytest.mark.parametrize(
    ("received", "error", "status"),
    [
        (request("/customer/v0.3/action/close_thread"), BadRequest, 400),
        (request("/customer/v0.3/action/close_thread?license_id=0"), BadRequest, 400),
        (request("/customer/v0.3/action/close_thread?license_id=x"), BadRequest, 400),
        (request(ACTION, b"{bad json"), BadRequest, 400),
        (request(ACTION, b"[1,2]"), BadRequest, 400),
        (request(ACTION, b'{"a":NaN}'), BadRequest, 400),
        (request("/customer/v0.3/action/login?license_id=9"), NotFound, 404),
        (request("/customer/v0.3/action/?license_id=9"), NotFound, 404),
        (request("/nowhere?license_id=9"), NotFound, 404),
        (request(ACTION, b"", method="GET"), MethodNotAllowed, 405),
        (request(ACTION, headers=(("content-type", "application/json"),)), Unauthorized, 401),
        (
            request(ACTION, headers=(("authorization", "Basic abc"),)),
            Unauthorized,
            401,
        ),
        (
            request(
                ACTION,
                headers=(("authorization", f"Bearer {TOKEN}"), ("content-type", "text/plain")),
            ),
            UnsupportedMediaType,
            415,
        ),
        (
            request("/customer/v0.3/action/send_file?license_id=9"),
            UnsupportedMediaType,
            415,
        ),
    ],
)
def test_server_rejects_bad_web_api_requests(
    received: RequestReceived, error: type[HTTPRequestError], status: int
) -> None:
    with pytest.raises(error) as info:
        parse_web_api_request(received)
    assert type(info.value) is error and info.value.status_code == status
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    server = HTTPServerConnection()
    server.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    list(server.events())
    server.send_error(info.value)
    answer = server.data_to_send()
    assert answer.startswith(f"HTTP/1.1 {status} ".encode())
    if status == 405:
        assert b"Allow: POST" in answer


def multipart_request(body: bytes, boundary: str = "bnd") -> RequestReceived:
    return request(
        "/customer/v0.3/action/send_file?license_id=9",
        body,
        headers=(
            ("authorization", f"Bearer {TOKEN}"),
            ("content-type", f"multipart/form-data; boundary={boundary}"),
        ),
    )


def test_server_send_file_errors() -> None:
    ok = build_send_file_body(chat_id="C", file=FilePart(filename="f", data=b"abc"), boundary="bnd")
    encoded = b"".join(ok)
    call = parse_web_api_request(multipart_request(encoded))
    assert call.file is not None and call.file.data == b"abc"
    with pytest.raises(RequestTooLarge) as info:
        parse_web_api_request(multipart_request(encoded), max_file_size=2)
    assert info.value.status_code == 413
    with pytest.raises(BadRequest, match="malformed multipart"):
        parse_web_api_request(multipart_request(encoded[:-10]))
    no_file = (
        b'--bnd\r\nContent-Disposition: form-data; name="payload.chat_id"\r\n\r\nC\r\n--bnd--\r\n'
    )
    with pytest.raises(BadRequest, match=r"missing payload\.file"):
        parse_web_api_request(multipart_request(no_file))


def test_server_accepts_empty_json_body_and_missing_content_type() -> None:
    call = parse_web_api_request(
        request(ACTION, b"", headers=(("authorization", f"Bearer {TOKEN}"),))
    )
    assert call.payload == {} and TOKEN not in repr(call)


def test_endpoint_routing() -> None:
    assert endpoint_of("/customer/v0.3/rtm/ws") is Endpoint.RTM
    assert endpoint_of("/customer/v0.3/action/x") is Endpoint.WEB_API
    assert endpoint_of("/customer/") is Endpoint.CUSTOMER_CODE
    assert endpoint_of("/customer/token") is Endpoint.CUSTOMER_TOKEN
    assert endpoint_of("/p/customer/token", prefix="/p") is Endpoint.CUSTOMER_TOKEN
    assert endpoint_of("/customer/token", prefix="/p") is None
    assert endpoint_of("/") is None


def test_http_request_repr_hides_the_bearer_token() -> None:
    body = build_send_file_body(chat_id="C", file=FilePart(filename="f"), boundary="b")
    head = build_send_file_request(host="h", access_token=TOKEN, license_id=1, body=body)
    assert TOKEN not in repr(head) and "streamed" in repr(head)
    assert isinstance(head, HTTPRequest)

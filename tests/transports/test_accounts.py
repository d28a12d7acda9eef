"""transports.accounts: both steps through client and server roles in memory; errors; secrets."""

from __future__ import annotations

import pytest

from customer_protocol.errors import (
    AuthenticationError,
    InvalidArgumentsError,
    RemoteProtocolError,
    RequestFailedError,
)
from transports.accounts import (
    CustomerCode,
    CustomerCodeRequest,
    CustomerToken,
    CustomerTokenRequest,
    build_customer_code_request,
    build_customer_token_request,
    decode_customer_code_response,
    decode_customer_token_response,
    parse_customer_code_request,
    parse_customer_token_request,
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
    ResponseReceived,
    Unauthorized,
    UnsupportedMediaType,
)

pytestmark = pytest.mark.timeout(10)

APP_TOKEN = "app-token-5ecret"
CUSTOMER_KEY = "ckey-5ecret"
CODE = "code-5ecret"
CLIENT_SECRET = "client-5ecret"
ACCESS_TOKEN = "access-5ecret"
SECRETS = (APP_TOKEN, CUSTOMER_KEY, CODE, CLIENT_SECRET, ACCESS_TOKEN)


def roundtrip(
    client: HTTPClientConnection, server: HTTPServerConnection, request: HTTPRequest
) -> RequestReceived:
    client.send_request(request)
    wire = client.data_to_send()
    for i in range(len(wire)):  # byte by byte
        server.receive_data(wire[i : i + 1])
    (event,) = server.events()
    assert isinstance(event, RequestReceived)
    return event


def answer(client: HTTPClientConnection, server: HTTPServerConnection) -> ResponseReceived:
    client.receive_data(server.data_to_send())
    (event,) = client.events()
    assert isinstance(event, ResponseReceived)
    return event


def test_both_steps_in_memory_on_one_connection() -> None:
    client, server = HTTPClientConnection(), HTTPServerConnection()
    step1 = build_customer_code_request(
        host="accounts.example",
        app_access_token=APP_TOKEN,
        client_id="cid",
        redirect_uri="https://app.example/cb",
        customer_id="cust-1",
        customer_key=CUSTOMER_KEY,
        prefix="/acc",
    )
    assert step1.target == "/acc/customer/"
    received = roundtrip(client, server, step1)
    assert received.header("authorization") == f"Bearer {APP_TOKEN}"
    parsed = parse_customer_code_request(received, prefix="/acc")
    assert parsed == CustomerCodeRequest(
        app_access_token=APP_TOKEN,
        client_id="cid",
        redirect_uri="https://app.example/cb",
        customer_id="cust-1",
        customer_key=CUSTOMER_KEY,
    )
    code = CustomerCode(code=CODE, customer_id="cust-1", customer_key=CUSTOMER_KEY, state="s")
    server.send_json(200, code.to_json())
    assert decode_customer_code_response(answer(client, server)) == code

    step2 = build_customer_token_request(
        host="accounts.example",
        code=CODE,
        client_id="cid",
        client_secret=CLIENT_SECRET,
        redirect_uri="https://app.example/cb",
        prefix="/acc",
    )
    received = roundtrip(client, server, step2)
    assert received.header("authorization") is None
    assert parse_customer_token_request(received, prefix="/acc") == CustomerTokenRequest(
        code=CODE,
        client_id="cid",
        client_secret=CLIENT_SECRET,
        redirect_uri="https://app.example/cb",
    )
    token = CustomerToken(access_token=ACCESS_TOKEN, expires_in=3600)
    server.send_json(200, token.to_json())
    assert decode_customer_token_response(answer(client, server)) == token
    for value in (step1, step2, parsed, code, token, received):
        for secret in SECRETS:
            assert secret not in repr(value)


def test_new_identity_sends_no_customer_fields() -> None:
    request = build_customer_code_request(
        host="h", app_access_token=APP_TOKEN, client_id="c", redirect_uri="r"
    )
    assert request.body == b"client_id=c&response_type=code&redirect_uri=r"
    with pytest.raises(InvalidArgumentsError, match="both"):
        build_customer_code_request(
            host="h", app_access_token=APP_TOKEN, client_id="c", redirect_uri="r", customer_id="x"
        )
    with pytest.raises(InvalidArgumentsError) as info:
        build_customer_token_request(
            host="h", code=CODE, client_id="c", client_secret="", redirect_uri="r"
        )
    assert "client_secret" in str(info.value)
    with pytest.raises(InvalidArgumentsError, match="prefix"):
        build_customer_token_request(
            host="h", code=CODE, client_id="c", client_secret="s", redirect_uri="r", prefix="x"
        )
    with pytest.raises(InvalidArgumentsError) as info:
        build_customer_code_request(
            host="h", app_access_token=f"{APP_TOKEN}\r\n", client_id="c", redirect_uri="r"
        )
    assert APP_TOKEN not in str(info.value)


def response(status: int, body: bytes) -> ResponseReceived:
    return ResponseReceived(status=status, reason="R", headers=(), body=body)


def test_decode_errors() -> None:
    oauth = b'{"error":"invalid_grant","error_description":"code expired"}'
    with pytest.raises(AuthenticationError) as info:
        decode_customer_token_response(response(400, oauth))
    assert (info.value.type, info.value.message) == ("invalid_grant", "code expired")
    nested = b'{"error":{"type":"authentication","message":"bad app token"}}'
    with pytest.raises(AuthenticationError, match="bad app token"):
        decode_customer_code_response(response(401, nested))
    with pytest.raises(AuthenticationError, match="HTTP 403 R"):
        decode_customer_code_response(response(403, b"<html>"))
    with pytest.raises(RequestFailedError, match="HTTP 500 R"):
        decode_customer_code_response(response(500, b"[]"))
    with pytest.raises(RemoteProtocolError, match="status 302"):
        decode_customer_code_response(response(302, b""))
    leaky = f'{{"access_token":"{ACCESS_TOKEN}","expires_in":"soon"}}'.encode()
    for body in (leaky, f'{{"access_token":"{ACCESS_TOKEN}"'.encode(), b"[1]"):
        with pytest.raises(RemoteProtocolError) as failed:
            decode_customer_token_response(response(200, body))
        assert failed.value.raw is None
        assert ACCESS_TOKEN not in str(failed.value) and ACCESS_TOKEN not in repr(failed.value)
    with pytest.raises(RemoteProtocolError, match="'code'"):
        decode_customer_code_response(response(200, b'{"customer_id":"c","customer_key":"k"}'))
    ok = decode_customer_code_response(
        response(200, b'{"code":"x","customer_id":"c","customer_key":"k"}')
    )
    assert ok.state == ""
    token = decode_customer_token_response(response(200, b'{"access_token":"a","expires_in":0}'))
    assert token.token_type == "Bearer"


def received(
    target: str,
    body: bytes,
    *,
    method: str = "POST",
    content_type: str = "application/x-www-form-urlencoded",
    authorization: str | None = f"Bearer {APP_TOKEN}",
) -> RequestReceived:
    server = HTTPServerConnection()
    head = f"{method} {target} HTTP/1.1\r\nHost: h\r\nContent-Length: {len(body)}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    if authorization:
        head += f"Authorization: {authorization}\r\n"
    server.receive_data(head.encode() + b"\r\n" + body)
    (event,) = server.events()
    assert isinstance(event, RequestReceived)
    return event


STEP1 = b"client_id=c&response_type=code&redirect_uri=r"
STEP2 = b"grant_type=authorization_code&code=x&client_id=c&client_secret=s&redirect_uri=r"


@pytest.mark.parametrize(
    ("request_", "error", "status"),
    [
        (received("/customer/x", STEP1), NotFound, 404),
        (received("/customer/", STEP1, method="PUT"), MethodNotAllowed, 405),
        (received("/customer/", STEP1, authorization=None), Unauthorized, 401),
        (received("/customer/", STEP1, content_type="application/json"), UnsupportedMediaType, 415),
        (received("/customer/", b"client_id=c&redirect_uri=r"), BadRequest, 400),
        (received("/customer/", b"response_type=code&redirect_uri=r"), BadRequest, 400),
        (received("/customer/", STEP1 + b"&customer_id=only"), BadRequest, 400),
        (received("/customer/", b"\xff\xfe"), BadRequest, 400),
    ],
)
def test_step1_server_errors(
    request_: RequestReceived, error: type[HTTPRequestError], status: int
) -> None:
    with pytest.raises(error) as info:
        parse_customer_code_request(request_)
    assert type(info.value) is error and info.value.status_code == status
    assert APP_TOKEN not in str(info.value)


@pytest.mark.parametrize(
    ("request_", "error", "status"),
    [
        (received("/customer/token/", STEP2), NotFound, 404),
        (received("/customer/token", STEP2, method="GET"), MethodNotAllowed, 405),
        (received("/customer/token", STEP2, content_type=""), UnsupportedMediaType, 415),
        (received("/customer/token", STEP2.replace(b"authorization_code", b"x")), BadRequest, 400),
        (received("/customer/token", STEP2.replace(b"&client_secret=s", b"")), BadRequest, 400),
    ],
)
def test_step2_server_errors(
    request_: RequestReceived, error: type[HTTPRequestError], status: int
) -> None:
    with pytest.raises(error) as info:
        parse_customer_token_request(request_)
    assert type(info.value) is error and info.value.status_code == status
    assert "client_secret=s" not in str(info.value)


def test_step1_server_accepts_an_empty_optional_identity() -> None:
    parsed = parse_customer_code_request(received("/customer/", STEP1))
    assert parsed.customer_id is None and parsed.customer_key is None

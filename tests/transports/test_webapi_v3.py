"""transports.webapi and transports.accounts: the LiveChat v3 paths in both roles.

``v3.md`` section 1 (Web API ``/v<ver>/customer/action/<action>?organization_id=``, bare
payload answers, multipart ``upload_file`` with field ``file``) and section 7
(``POST /v2/customer/token``, JSON or form).
"""

from __future__ import annotations

import json

import pytest

from customer_protocol.errors import AuthenticationError, InvalidArgumentsError
from transports.accounts import (
    CustomerTokenV2,
    build_customer_token_v2_request,
    decode_customer_token_v2_response,
    parse_customer_token_v2_request,
)
from transports.http import (
    BadRequest,
    HTTPClientConnection,
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
from transports.multipart import FilePart, build_upload_file_body
from transports.webapi import (
    UPLOAD_FILE,
    Endpoint,
    WebAPICall,
    build_upload_file_request,
    build_web_api_request,
    decode_web_api_response,
    endpoint_of,
    parse_web_api_request,
    web_api_success,
    web_api_target,
)

pytestmark = pytest.mark.timeout(10)

TOKEN = "tok-3f9a8b7c"
ORG = "org-1234"


def feed_server(data: bytes, *, bytewise: bool) -> RequestReceived:
    server = HTTPServerConnection()
    chunks = [data[i : i + 1] for i in range(len(data))] if bytewise else [data]
    events = []
    for chunk in chunks:
        server.receive_data(chunk)
        events += list(server.events())
    (event,) = events
    assert isinstance(event, RequestReceived)
    return event


def raw(target: str, body: bytes = b"{}", *, method: str = "POST", **headers: str) -> bytes:
    fields = {"Host": "h", "Content-Length": str(len(body))}
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return head.encode() + b"\r\n" + body


JSON_AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


# -- Web API, client role --------------------------------------------------------------------


@pytest.mark.parametrize("api", ["3.4", "3.5", "3.6"])
def test_web_api_target_v3(api: str) -> None:
    assert web_api_target("list_chats", api=api, organization_id=ORG) == (
        f"/v{api}/customer/action/list_chats?organization_id={ORG}"
    )
    assert web_api_target("get_url_info", prefix="/p", api=api, organization_id="a b") == (
        f"/p/v{api}/customer/action/get_url_info?organization_id=a+b"
    )
    # The v0.3 form is unchanged.
    assert web_api_target("close_thread", 9) == "/customer/v0.3/action/close_thread?license_id=9"


@pytest.mark.parametrize(
    ("action", "kwargs"),
    [
        ("list_chats", {"api": "3.6"}),
        ("list_chats", {"api": "3.6", "organization_id": ORG, "license_id": 1}),
        ("list_chats", {"api": "3.7", "organization_id": ORG}),
        ("List", {"api": "3.6", "organization_id": ORG}),
        ("list_chats", {"license_id": 1}),  # not a v0.3 Web API action
        ("close_thread", {"license_id": 1, "organization_id": ORG}),
    ],
)
def test_web_api_target_rejects(action: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgumentsError):
        web_api_target(action, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("api", ["3.4", "3.5", "3.6"])
@pytest.mark.parametrize("bytewise", [False, True])
def test_v3_json_action_round_trip(api: str, bytewise: bool) -> None:
    payload = {"chat_id": "C1", "event": {"type": "message", "text": "hi"}}
    request = build_web_api_request(
        host="h:1",
        access_token=TOKEN,
        action="send_event",
        payload=payload,
        api=api,
        organization_id=ORG,
    )
    client = HTTPClientConnection()
    client.send_request(request)
    received = feed_server(client.data_to_send(), bytewise=bytewise)
    assert received.header("authorization") == f"Bearer {TOKEN}"
    call = parse_web_api_request(received)
    assert call == WebAPICall(
        action="send_event", access_token=TOKEN, payload=payload, api=api, organization_id=ORG
    )
    assert call.license_id is None and TOKEN not in repr(call)
    # v3 answers carry the bare payload; the client reads both shapes.
    assert web_api_success({"event_id": "E1"}, api=api) == {"event_id": "E1"}
    answer = ResponseReceived(status=200, reason="OK", headers=(), body=b'{"event_id":"E1"}')
    assert decode_web_api_response(answer) == {"event_id": "E1"}


def test_v3_multipart_actions_need_their_builders() -> None:
    with pytest.raises(InvalidArgumentsError, match="build_upload_file_request"):
        build_web_api_request(
            host="h",
            access_token=TOKEN,
            action=UPLOAD_FILE,
            payload={},
            api="3.6",
            organization_id=ORG,
        )
    body = build_upload_file_body(file=FilePart(filename="a", data=b"x"), boundary="b")
    with pytest.raises(InvalidArgumentsError, match="v3 action"):
        build_upload_file_request(
            host="h", access_token=TOKEN, organization_id=ORG, body=body, api="0.3"
        )
    with pytest.raises(InvalidArgumentsError):
        build_upload_file_body(
            file=FilePart(filename="a", data=b"xyz"), boundary="b", max_file_size=2
        )


@pytest.mark.parametrize("bytewise", [False, True])
def test_upload_file_streams_and_parses(bytewise: bool) -> None:
    data = bytes(range(256)) * 40
    body = build_upload_file_body(
        file=FilePart(filename="photo é.png", content_type="image/png", data=data),
        boundary="xyzBOUNDARY",
        chunk_size=1000,
    )
    head = build_upload_file_request(host="h", access_token=TOKEN, organization_id=ORG, body=body)
    assert head.target == f"/v3.6/customer/action/upload_file?organization_id={ORG}"
    client = HTTPClientConnection()
    client.start_request(head)
    wire = bytearray(client.data_to_send())
    for chunk in body:
        client.send_body(chunk)
        wire += client.data_to_send()
    client.end_request()
    wire += client.data_to_send()
    call = parse_web_api_request(feed_server(bytes(wire), bytewise=bytewise))
    assert (call.action, call.api, call.organization_id, call.payload) == (
        "upload_file",
        "3.6",
        ORG,
        {},
    )
    assert call.file == FilePart(filename="photo é.png", content_type="image/png", data=data)


# -- Web API, server role --------------------------------------------------------------------

V3 = f"/v3.6/customer/action/list_chats?organization_id={ORG}"
UPLOAD = f"/v3.6/customer/action/upload_file?organization_id={ORG}"


def test_v3_server_accepts_any_action_name_and_pretty_json() -> None:
    pretty = json.dumps({"limit": 10}, indent=4).encode()
    call = parse_web_api_request(feed_server(raw(V3, pretty, **JSON_AUTH), bytewise=False))
    assert (call.action, call.payload) == ("list_chats", {"limit": 10})
    unknown = f"/v3.5/customer/action/no_such_action?organization_id={ORG}"
    call = parse_web_api_request(feed_server(raw(unknown, **JSON_AUTH), bytewise=False))
    assert call.action == "no_such_action" and call.api == "3.5"  # the core answers it


@pytest.mark.parametrize(
    ("data", "error", "status"),
    [
        (raw("/v3.6/customer/action/list_chats", **JSON_AUTH), BadRequest, 400),
        (raw(V3.replace(ORG, ""), **JSON_AUTH), BadRequest, 400),
        (raw(V3.replace(f"organization_id={ORG}", "license_id=x"), **JSON_AUTH), BadRequest, 400),
        (raw(V3.replace("v3.6", "v3.7"), **JSON_AUTH), NotFound, 404),
        (raw("/v3.6/customer/action/?organization_id=o", **JSON_AUTH), NotFound, 404),
        (raw("/v3.6/customer/action/Bad?organization_id=o", **JSON_AUTH), NotFound, 404),
        (raw(V3, b"", method="PUT", **JSON_AUTH), MethodNotAllowed, 405),
        (raw(V3, Content_Type="application/json"), Unauthorized, 401),
        (raw(V3, b"[1]", **JSON_AUTH), BadRequest, 400),
        (raw(V3, b"{", **JSON_AUTH), BadRequest, 400),
        (
            raw(V3, Authorization=f"Bearer {TOKEN}", Content_Type="text/plain"),
            UnsupportedMediaType,
            415,
        ),
        (raw(UPLOAD, **JSON_AUTH), UnsupportedMediaType, 415),
    ],
)
def test_v3_server_rejects(data: bytes, error: type[HTTPRequestError], status: int) -> None:
    with pytest.raises(error) as info:
        parse_web_api_request(feed_server(data, bytewise=False))
    assert info.value.status_code == status and TOKEN not in str(info.value)


def test_v3_get_takes_the_query_as_payload() -> None:
    target = f"/v3.4/customer/action/list_license_properties?namespace=ns&organization_id={ORG}"
    data = raw(target, b"", method="GET", Authorization=f"Bearer {TOKEN}")
    call = parse_web_api_request(feed_server(data, bytewise=True))
    assert (call.action, call.api, call.organization_id) == ("list_license_properties", "3.4", ORG)
    assert call.payload == {"namespace": "ns"}
    legacy = raw("/customer/v0.3/action/close_thread?license_id=1", b"", method="GET")
    with pytest.raises(MethodNotAllowed):
        parse_web_api_request(feed_server(legacy, bytewise=False))


def test_v3_upload_errors() -> None:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": "multipart/form-data; boundary=bnd",
    }
    good = b"".join(
        build_upload_file_body(file=FilePart(filename="f", data=b"abc"), boundary="bnd")
    )
    with pytest.raises(RequestTooLarge):
        parse_web_api_request(
            feed_server(raw(UPLOAD, good, **headers), bytewise=False), max_file_size=2
        )
    old_field = good.replace(b'name="file"', b'name="payload.file"')
    with pytest.raises(BadRequest, match="missing file"):
        parse_web_api_request(feed_server(raw(UPLOAD, old_field, **headers), bytewise=False))
    with pytest.raises(BadRequest, match="malformed multipart"):
        parse_web_api_request(feed_server(raw(UPLOAD, good[:-9], **headers), bytewise=False))


def test_endpoint_of_knows_both_dialects() -> None:
    assert endpoint_of("/v3.6/customer/rtm/ws") is Endpoint.RTM
    assert endpoint_of("/v3.4/customer/action/get_form") is Endpoint.WEB_API
    assert endpoint_of("/v2/customer/token") is Endpoint.CUSTOMER_TOKEN_V2
    assert endpoint_of("/v3.9/customer/rtm/ws") is None


# -- accounts v2 -------------------------------------------------------------------------------


@pytest.mark.parametrize("bytewise", [False, True])
def test_agent_token_grant_round_trip(bytewise: bool) -> None:
    request = build_customer_token_v2_request(
        host="accounts.h",
        agent_token="agent-secret",
        client_id="cid",
        organization_id=ORG,
        entity_id="cust-1",
    )
    assert request.target == "/v2/customer/token"
    client = HTTPClientConnection()
    client.send_request(request)
    parsed = parse_customer_token_v2_request(feed_server(client.data_to_send(), bytewise=bytewise))
    assert (parsed.grant_type, parsed.client_id, parsed.response_type) == (
        "agent_token",
        "cid",
        "token",
    )
    assert (parsed.organization_id, parsed.entity_id) == (ORG, "cust-1")
    assert parsed.authorization == "Bearer agent-secret"
    assert "agent-secret" not in repr(parsed)
    token = CustomerTokenV2(
        access_token="acc-secret",
        client_id="cid",
        entity_id="cust-1",
        expires_in=3600,
        organization_id=ORG,
    )
    body = json.dumps(token.to_json()).encode()
    decoded = decode_customer_token_v2_response(
        ResponseReceived(status=200, reason="OK", headers=(), body=body)
    )
    assert decoded == token and "acc-secret" not in repr(decoded)


def test_token_v2_form_body_cookie_grant_and_origin() -> None:
    form = b"grant_type=cookie&client_id=cid&response_type=token&organization_id=o"
    data = raw(
        "/v2/customer/token",
        form,
        Content_Type="application/x-www-form-urlencoded",
        Origin="https://shop.example",
        Cookie="__lc_cid=abc",
    )
    parsed = parse_customer_token_v2_request(feed_server(data, bytewise=False))
    assert (parsed.grant_type, parsed.organization_id) == ("cookie", "o")
    assert parsed.redirect_uri == parsed.origin == "https://shop.example"
    assert parsed.cookie == "__lc_cid=abc" and "abc" not in repr(parsed)
    # Without a Content-Type, a JSON-looking body is JSON and anything else a form.
    for body in (b'{"grant_type":"cookie","client_id":"c"}', b"grant_type=cookie&client_id=c"):
        parsed = parse_customer_token_v2_request(
            feed_server(raw("/v2/customer/token", body), bytewise=False)
        )
        assert (parsed.grant_type, parsed.client_id, parsed.response_type) == (
            "cookie",
            "c",
            "token",
        )


@pytest.mark.parametrize(
    ("data", "error", "status"),
    [
        (raw("/v2/customer/tokens"), NotFound, 404),
        (raw("/v2/customer/token", method="PUT"), MethodNotAllowed, 405),
        (raw("/v2/customer/token", b"x", Content_Type="text/plain"), UnsupportedMediaType, 415),
        (raw("/v2/customer/token", b"{", Content_Type="application/json"), BadRequest, 400),
        (raw("/v2/customer/token", b"[]", Content_Type="application/json"), BadRequest, 400),
        (
            raw(
                "/v2/customer/token",
                b'{"grant_type":"password","client_id":"c"}',
                Content_Type="application/json",
            ),
            BadRequest,
            400,
        ),
        (
            raw("/v2/customer/token", b'{"grant_type":"cookie"}', Content_Type="application/json"),
            BadRequest,
            400,
        ),
        (
            raw(
                "/v2/customer/token",
                b'{"grant_type":"cookie","client_id":1}',
                Content_Type="application/json",
            ),
            BadRequest,
            400,
        ),
        (
            raw(
                "/v2/customer/token",
                b'{"grant_type":"cookie","client_id":"c","response_type":"code"}',
                Content_Type="application/json",
            ),
            BadRequest,
            400,
        ),
    ],
)
def test_token_v2_rejects(data: bytes, error: type[HTTPRequestError], status: int) -> None:
    with pytest.raises(error) as info:
        parse_customer_token_v2_request(feed_server(data, bytewise=False))
    assert info.value.status_code == status


def test_token_v2_client_errors() -> None:
    with pytest.raises(InvalidArgumentsError):
        build_customer_token_v2_request(host="h", agent_token="a b", client_id="c")
    with pytest.raises(InvalidArgumentsError):
        build_customer_token_v2_request(host="h", agent_token="a", client_id="c", entity_id="")
    with pytest.raises(AuthenticationError):
        decode_customer_token_v2_response(
            ResponseReceived(status=401, reason="", headers=(), body=b'{"error":"invalid"}')
        )


def test_other_v3_versions_are_parsed_when_asked() -> None:
    data = raw(V3.replace("v3.6", "v3.7"), **JSON_AUTH)
    with pytest.raises(NotFound):
        parse_web_api_request(feed_server(data, bytewise=False))
    call = parse_web_api_request(feed_server(data, bytewise=False), other_v3=True)
    assert (call.api, call.action, call.organization_id) == ("3.7", "list_chats", ORG)

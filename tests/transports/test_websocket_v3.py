"""transports.websocket: the LiveChat v3 RTM paths in both roles (``v3.md`` section 1)."""

from __future__ import annotations

import pytest

from customer_protocol.endpoints import Address
from tests.transports.test_websocket import TEXT, frame, upgrade_request
from transports.base import Closed, HandshakeRejected, Message, Opened
from transports.websocket import (
    RTM_PATH,
    WebSocketClient,
    WebSocketServer,
    WebSocketState,
    rtm_target,
)

ORG = "0d6c7e4a-2b1f-4c3e-9a8d-5f6e7d8c9b0a"


@pytest.mark.parametrize("api", ["3.4", "3.5", "3.6"])
def test_rtm_target_v3(api: str) -> None:
    expected = f"/v{api}/customer/rtm/ws?organization_id={ORG}"
    assert rtm_target(api=api, organization_id=ORG) == expected
    assert rtm_target(api=api, organization_id=ORG, bh="zz", path_prefix="/p/") == "/p" + expected
    assert rtm_target(api=api, organization_id="a&b") == (
        f"/v{api}/customer/rtm/ws?organization_id=a%26b"
    )


def test_rtm_target_v03_is_unchanged() -> None:
    assert rtm_target(license_id=5, bh="q") == f"{RTM_PATH}?license_id=5&bh=q"
    assert rtm_target(api="0.3", license_id=5) == f"{RTM_PATH}?license_id=5"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api": "3.6"},
        {"api": "3.6", "organization_id": ""},
        {"api": "3.6", "organization_id": ORG, "license_id": 1},
        {"api": "3.7", "organization_id": ORG},
        {"api": "0.3", "organization_id": ORG},
        {},
    ],
)
def test_rtm_target_rejects(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        rtm_target(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WebSocketClient(host="h", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("api", ["3.4", "3.5", "3.6"])
@pytest.mark.parametrize("how", ["whole", "bytewise"])
def test_v3_client_and_server_meet(api: str, how: str) -> None:
    client = WebSocketClient(
        host="127.0.0.1:9", api=api, organization_id=ORG, origin="https://www.example.com"
    )
    request = client.data_to_send()
    assert request.startswith(f"GET /v{api}/customer/rtm/ws?organization_id={ORG} ".encode())
    server = WebSocketServer()
    assert server.address is None
    chunks = [request[i : i + 1] for i in range(len(request))] if how == "bytewise" else [request]
    for chunk in chunks:
        server.receive_data(chunk)
    (opened,) = server.events()
    assert isinstance(opened, Opened) and opened.target == client.target
    assert ("origin", "https://www.example.com") in opened.headers
    assert server.address == Address(api=api, organization_id=ORG)
    response = server.data_to_send()
    for chunk in (
        [response[i : i + 1] for i in range(len(response))] if how == "bytewise" else [response]
    ):
        client.receive_data(chunk)
    assert [type(event) for event in client.events()] == [Opened]
    client.send_message(b'{"action":"ping","payload":{}}')
    server.receive_data(client.data_to_send())
    assert list(server.events()) == [Message(data=b'{"action":"ping","payload":{}}')]


def test_v03_server_address() -> None:
    server = WebSocketServer()
    server.receive_data(upgrade_request(f"{RTM_PATH}?license_id=42&bh=abc"))
    assert [type(event) for event in server.events()] == [Opened]
    assert server.address == Address(api="0.3", license_id=42)


def test_v3_upgrade_with_frames_in_the_same_chunk() -> None:
    server = WebSocketServer.from_upgrade_request(
        f"/v3.6/customer/rtm/ws?organization_id={ORG}",
        [
            ("Host", "h"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ],
        frame(TEXT, b"{}", masked=True),
    )
    opened, message = server.events()
    assert isinstance(opened, Opened) and message == Message(data=b"{}")
    assert server.address == Address(api="3.6", organization_id=ORG)


@pytest.mark.parametrize(
    ("target", "status", "message"),
    [
        ("/v3.6/customer/rtm/ws", 400, "missing organization_id"),
        ("/v3.6/customer/rtm/ws?organization_id=", 400, "empty"),
        ("/v3.6/customer/rtm/ws?organization_id=a&organization_id=b", 400, "once"),
        ("/v3.6/customer/rtm/ws?license_id=0", 400, "license_id"),
        ("/customer/v0.3/rtm/ws?organization_id=o", 400, "missing license_id"),
        ("/v3.7/customer/rtm/ws?organization_id=o", 404, "no such endpoint"),
        ("/v3.3/customer/rtm/ws?organization_id=o", 404, "no such endpoint"),
        ("/v3.6/customer/action/login?organization_id=o", 404, "no such endpoint"),
        ("/v2/customer/token", 404, "no such endpoint"),
        ("/v3.6/agent/rtm/ws?organization_id=o", 404, "no such endpoint"),
    ],
)
def test_v3_server_rejects(target: str, status: int, message: str) -> None:
    server = WebSocketServer()
    server.receive_data(upgrade_request(target))
    (closed,) = server.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.error.status_code == status and message in closed.error.message
    assert server.data_to_send().startswith(f"HTTP/1.1 {status} ".encode())
    assert server.address is None and server.state is WebSocketState.CLOSED


def test_client_sees_a_v3_rejection() -> None:
    client = WebSocketClient(host="h", api="3.6", organization_id=ORG)
    server = WebSocketServer()
    server.receive_data(client.data_to_send().replace(b"/v3.6/", b"/v3.9/"))
    client.receive_data(server.data_to_send())
    (closed,) = client.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.error.status_code == 404


def test_other_v3_versions_are_accepted_when_asked() -> None:
    request = upgrade_request("/v3.7/customer/rtm/ws?organization_id=o")
    strict = WebSocketServer()
    strict.receive_data(request)
    (closed,) = strict.events()
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.error.status_code == 404
    liberal = WebSocketServer(other_v3=True)
    liberal.receive_data(request)
    assert [type(event) for event in liberal.events()] == [Opened]
    assert liberal.address == Address(api="3.7", organization_id="o")

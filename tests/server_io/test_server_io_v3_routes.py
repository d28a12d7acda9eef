"""One port, both dialects: the reference server routes RTM, Web API and accounts by path."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import anyio
import pytest

from adapters.server import serve
from customer_protocol.server import ServerConfig
from tests.server_io.server_io_helpers import ClosedError, RawWS, ahttp
from transports.websocket import WebSocketClient

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]

ORG = "org-under-test"
CONFIG = ServerConfig(organization_id=ORG, agent=None)


async def _v3_token(http_url: str, config: ServerConfig = CONFIG) -> dict[str, str]:
    body = json.dumps(
        {"grant_type": "agent_token", "client_id": config.client_id, "response_type": "token"},
        indent=2,
    ).encode()
    status, _, raw = await ahttp(
        http_url,
        "POST",
        "/v2/customer/token",
        body,
        {"Authorization": f"Bearer {config.agent_token}", "Content-Type": "application/json"},
    )
    assert status == 200, raw
    token = json.loads(raw)
    assert token["organization_id"] == ORG and token["token_type"] == "Bearer"
    return token  # type: ignore[no-any-return]


async def test_v03_and_v3_customers_share_one_port_and_one_store() -> None:
    async with serve(config=CONFIG) as server:
        token = await _v3_token(server.http_url)
        v3 = await RawWS.connect(
            server.url, api="3.6", organization_id=ORG, origin="https://shop.example"
        )
        login = await v3.login(token["access_token"])
        assert login["customer"]["id"] == token["entity_id"]
        started, before = await v3.request(
            "start_chat", {"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}
        )
        assert started["success"] and started["payload"]["chat_id"]
        pushed = [m for m in before if m.get("action") == "incoming_chat"]
        if not pushed:
            pushed = [await v3.wait_for("incoming_chat")]
        assert pushed[0]["version"] == "3.6"
        pong, _ = await v3.request("ping", {})
        assert pong["success"] and pong["action"] == "ping"
        # The same customer over v0.3 (the same access token) sees the chat.
        v03 = await RawWS.connect(server.url)
        await v03.login(token["access_token"])
        summary, _ = await v03.request("get_chats_summary", {"offset": 0, "limit": 10})
        assert summary["success"]
        ids = [chat["id"] for chat in summary["payload"]["chats_summary"]]
        assert ids == [started["payload"]["chat_id"]]
        # And over the v3.5 Web API, the bare payload of list_chats.
        status, headers, raw = await ahttp(
            server.http_url,
            "POST",
            f"/v3.5/customer/action/list_chats?organization_id={ORG}",
            b"{}",
            {"Authorization": f"Bearer {token['access_token']}", "Origin": "https://x.example"},
        )
        assert status == 200 and headers["Content-Type"] == "application/json"
        assert [c["id"] for c in json.loads(raw)["chats_summary"]] == ids
        await v3.aclose()
        await v03.aclose()


async def test_v3_upload_file_is_served_back() -> None:
    async with serve(config=CONFIG) as server:
        token = (await _v3_token(server.http_url))["access_token"]
        body = (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nhello\r\n--b--\r\n"
        )
        status, _, raw = await ahttp(
            server.http_url,
            "POST",
            f"/v3.6/customer/action/upload_file?organization_id={ORG}",
            body,
            {"Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data; boundary=b"},
        )
        assert status == 200, raw
        url = json.loads(raw)["url"]
        assert url.startswith(server.http_url)
        status, headers, data = await ahttp(server.http_url, "GET", url[len(server.http_url) :])
        assert (status, data, headers["Content-Type"]) == (200, b"hello", "text/plain")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/v2.9/customer/action/list_chats?organization_id=o", 404),
        ("POST", "/v3.6/customer/action/list_chats", 400),
        ("POST", "/v3.6/customer/action/no_such_action?organization_id=o", 404),
        ("GET", "/v3.6/customer/rtm/ws?organization_id=o", 426),
        ("POST", "/v2/customer/token", 400),
        ("GET", "/v2/customer/token", 405),
        ("POST", "/v3.6/customer/token", 404),
    ],
)
async def test_bad_v3_requests(method: str, path: str, status: int) -> None:
    async with serve(config=CONFIG) as server:
        headers = {"Content-Type": "application/json", "Authorization": "Bearer not-a-token"}
        got, headers, raw = await ahttp(server.http_url, method, path, b"{}", headers)
        assert got == status, raw
        assert headers["Content-Type"] == "application/json"
        assert isinstance(json.loads(raw)["error"]["type"], str)


async def test_bad_v3_upgrades_are_refused_with_a_status() -> None:
    async with serve(config=CONFIG) as server:
        with pytest.raises(ClosedError) as info:
            await RawWS.connect(server.url, api="3.6", organization_id=" ")
        assert info.value.closed.error is not None
        assert getattr(info.value.closed.error, "status_code", None) == 400
        # An unknown organization connects and is told at login (the core's rule).
        wrong = await RawWS.connect(server.url, api="3.4", organization_id="not-ours")
        token = (await _v3_token(server.http_url))["access_token"]
        await wrong.send(
            {"request_id": "1", "action": "login", "payload": {"token": f"Bearer {token}"}}
        )
        messages = []
        with pytest.raises(ClosedError):
            while True:
                messages.append(await wrong.recv())
        assert any(
            m.get("payload", {}).get("reason") == "license_not_found"
            or m.get("payload", {}).get("error", {}).get("type") == "license_not_found"
            for m in messages
        ), messages
        await wrong.aclose()


def _post_form(http_url: str, form: bytes, cookie: str | None) -> tuple[int, list[str], bytes]:
    parts = urlsplit(http_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": "https://shop.example",
    }
    if cookie is not None:
        headers["Cookie"] = cookie
    try:
        conn.request("POST", "/v2/customer/token", body=form, headers=headers)
        response = conn.getresponse()
        return response.status, response.msg.get_all("Set-Cookie") or [], response.read()
    finally:
        conn.close()


async def test_cookie_grant_with_a_form_body_and_origin() -> None:
    async with serve(config=CONFIG) as server:
        form = f"grant_type=cookie&client_id={CONFIG.client_id}&organization_id={ORG}".encode()
        status, cookies, raw = await anyio.to_thread.run_sync(
            _post_form, server.http_url, form, None
        )
        assert status == 200, raw
        assert cookies, "the cookie grant sets the identity cookies"
        first = json.loads(raw)
        jar = "; ".join(cookie.split(";", 1)[0] for cookie in cookies)
        status, _, raw = await anyio.to_thread.run_sync(_post_form, server.http_url, form, jar)
        assert status == 200, raw
        assert json.loads(raw)["entity_id"] == first["entity_id"]


async def test_another_v3_version_is_told_unsupported_version() -> None:
    async with serve(config=CONFIG) as server:
        newer = await _connect_raw(server.url, "3.7")
        push = await newer.recv()
        assert push == {
            "version": "3.7",
            "action": "customer_disconnected",
            "type": "push",
            "payload": {"reason": "unsupported_version"},
        }
        closed = await newer.wait_closed()
        assert closed.code == 1008
        await newer.aclose()
        token = (await _v3_token(server.http_url))["access_token"]
        status, _, raw = await ahttp(
            server.http_url,
            "POST",
            f"/v3.7/customer/action/list_chats?organization_id={ORG}",
            b"{}",
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert status >= 400 and json.loads(raw)["error"]["type"] == "unsupported_version"


async def _connect_raw(url: str, version: str) -> RawWS:
    """A v3 client of an API version our client does not build (its handshake rewritten)."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    stream = await anyio.connect_tcp(parts.hostname, parts.port)
    ws = WebSocketClient(host=parts.netloc, api="3.6", organization_id=ORG)
    handshake = ws.data_to_send().replace(b"/v3.6/", f"/v{version}/".encode(), 1)
    client = RawWS(stream, ws)
    await stream.send(handshake)
    while not client.opened:
        await client._read()
    return client


async def test_a_v3_client_may_name_the_license_instead() -> None:
    async with serve(config=CONFIG) as server:
        token = (await _v3_token(server.http_url))["access_token"]
        # The docs' get_dynamic_configuration sample sends license_id on v3.
        for license_id, ok in ((CONFIG.license_id, True), (CONFIG.license_id + 1, False)):
            status, _, raw = await ahttp(
                server.http_url,
                "GET",
                f"/v3.6/customer/action/get_dynamic_configuration?license_id={license_id}"
                "&group_id=0",
                b"",
                {"Authorization": f"Bearer {token}"},
            )
            body = json.loads(raw)
            if ok:
                assert status == 200 and body["organization_id"] == ORG, body
            else:
                assert status >= 400 and body["error"]["type"] == "license_not_found", body
        named = await _connect_target(server.url, f"license_id={CONFIG.license_id}")
        assert (await named.login(token))["customer"]["id"]
        await named.aclose()
        wrong = await _connect_target(server.url, f"license_id={CONFIG.license_id + 1}")
        login = {"request_id": "1", "action": "login", "payload": {"token": f"Bearer {token}"}}
        await wrong.send(login)
        messages = []
        with pytest.raises(ClosedError):
            while True:
                messages.append(await wrong.recv())
        assert "license_not_found" in json.dumps(messages), messages
        await wrong.aclose()


async def _connect_target(url: str, query: str) -> RawWS:
    """A v3.6 client whose handshake carries ``query`` instead of the organization_id."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    stream = await anyio.connect_tcp(parts.hostname, parts.port)
    ws = WebSocketClient(host=parts.netloc, api="3.6", organization_id=ORG)
    handshake = ws.data_to_send().replace(f"organization_id={ORG}".encode(), query.encode(), 1)
    client = RawWS(stream, ws)
    await stream.send(handshake)
    while not client.opened:
        await client._read()
    return client


async def test_cors_for_browser_clients() -> None:
    async with serve(config=CONFIG) as server:
        origin = "https://shop.example"
        status, headers, raw = await ahttp(
            server.http_url,
            "OPTIONS",
            f"/v3.6/customer/action/list_chats?organization_id={ORG}",
            b"",
            {
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, x-region",
            },
        )
        assert (status, raw) == (200, b"")
        assert headers["Access-Control-Allow-Origin"] == origin
        assert headers["Access-Control-Allow-Credentials"] == "true"
        assert "POST" in headers["Access-Control-Allow-Methods"]
        assert headers["Access-Control-Allow-Headers"] == "authorization, content-type, x-region"
        token = (await _v3_token(server.http_url))["access_token"]
        for path, expected in (
            (f"/v3.6/customer/action/list_chats?organization_id={ORG}", 200),
            ("/v3.6/customer/action/list_chats", 400),
        ):
            status, headers, _ = await ahttp(
                server.http_url,
                "POST",
                path,
                b"{}",
                {"Origin": origin, "Authorization": f"Bearer {token}"},
            )
            assert status == expected
            assert headers["Access-Control-Allow-Origin"] == origin
        status, headers, _ = await ahttp(server.http_url, "OPTIONS", "/nowhere", b"")
        assert status == 404 and "Access-Control-Allow-Origin" not in headers

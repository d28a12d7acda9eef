"""The reference server over real sockets: several connections, Web API, files, HTTP routing."""

from __future__ import annotations

import json
import uuid

import anyio
import pytest
from server_io_helpers import RawWS, ahttp, fast_config, get_token, web_api

from adapters.server import serve
from customer_protocol.server import ServerConfig

pytestmark = pytest.mark.anyio


async def test_request_id_only_on_the_requesters_connection() -> None:
    with anyio.fail_after(10):
        async with serve(config=ServerConfig(agent=None)) as server:
            _, _, token = await get_token(server.http_url)
            first = await RawWS.connect(server.url)
            second = await RawWS.connect(server.url)
            await first.login(token)
            await second.login(token)
            response, pushes = await first.request("start_chat", {}, rid="r-start")
            assert response["success"] and response["request_id"] == "r-start"
            assert pushes[0]["action"] == "incoming_chat_thread"
            assert pushes[0]["request_id"] == "r-start"
            other = await second.wait_for("incoming_chat_thread")
            assert "request_id" not in other
            chat_id = response["payload"]["chat"]["id"]
            event = {"type": "message", "text": "from the second socket"}
            response, pushes = await second.request(
                "send_event", {"chat_id": chat_id, "event": event}, rid="r-send"
            )
            assert response["success"]
            assert [p.get("request_id") for p in pushes] == ["r-send"]
            other = await first.wait_for("incoming_event")
            assert "request_id" not in other
            assert other["payload"]["event"]["text"] == "from the second socket"
            await first.aclose()
            await second.aclose()


async def test_web_api_actions_send_file_and_get_the_file() -> None:
    with anyio.fail_after(10):
        async with serve(config=fast_config(agent=None)) as server:
            _, _, token = await get_token(server.http_url)
            rtm = await RawWS.connect(server.url)
            await rtm.login(token)
            status, body = await web_api(server.http_url, token, "start_chat", {})
            assert status == 200, body
            chat_id = body["payload"]["chat"]["id"]
            push = await rtm.wait_for("incoming_chat_thread")
            assert "request_id" not in push
            status, body = await web_api(
                server.http_url,
                token,
                "send_event",
                {"chat_id": chat_id, "event": {"type": "message", "text": "via http"}},
            )
            assert status == 200 and body["payload"]["event"]["text"] == "via http"
            assert (await rtm.wait_for("incoming_event"))["payload"]["event"]["text"] == "via http"
            status, body = await web_api(
                server.http_url,
                token,
                "update_chat_properties",
                {"chat_id": chat_id, "properties": {"ns": {"k": 1}}},
            )
            assert status == 200, body
            # send_file: multipart
            boundary = uuid.uuid4().hex
            content = bytes(range(256)) * 40
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="payload.chat_id"\r\n\r\n'
                f"{chat_id}\r\n".encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="payload.file"; '
                f'filename="a b.bin"\r\nContent-Type: application/x-test\r\n\r\n'.encode()
                + content
                + b"\r\n",
                f"--{boundary}--\r\n".encode(),
            ]
            status, _, raw = await ahttp(
                server.http_url,
                "POST",
                "/customer/v0.3/action/send_file?license_id=1",
                b"".join(parts),
                {
                    "Authorization": f"Bearer {token}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
            )
            assert status == 200, raw
            url = json.loads(raw)["payload"]["url"]
            assert url.startswith(server.http_url + "/files/")
            pushed = (await rtm.wait_for("incoming_event"))["payload"]["event"]
            assert pushed["type"] == "file" and pushed["url"] == url
            assert pushed["size"] == len(content)
            status, headers, data = await ahttp(server.http_url, "GET", url[len(server.http_url) :])
            assert status == 200 and data == content
            assert headers["Content-Type"] == "application/x-test"
            # errors
            status, body = await web_api(server.http_url, "wrong", "start_chat", {})
            assert status == 401 and body["error"]["type"] == "authentication"
            status, body = await web_api(server.http_url, token, "send_event", {"chat_id": 1})
            assert status == 400 and body["error"]["type"] == "validation"
            status, body = await web_api(server.http_url, token, "start_chat", {}, license_id=7)
            assert status == 404
            await rtm.aclose()


async def test_http_routing_and_accounts_errors() -> None:
    with anyio.fail_after(10):
        async with serve(config=ServerConfig(agent=None)) as server:
            base = server.http_url
            status, _, _ = await ahttp(base, "GET", "/nowhere")
            assert status == 404
            status, _, _ = await ahttp(base, "GET", "/files/nope/x")
            assert status == 404
            status, headers, _ = await ahttp(base, "GET", "/customer/v0.3/rtm/ws?license_id=1")
            assert status == 426 and headers["Upgrade"] == "websocket"
            status, _, _ = await ahttp(base, "GET", "/customer/")
            assert status == 405
            status, _, body = await ahttp(
                base,
                "POST",
                "/customer/",
                b"client_id=demo-client&response_type=code&redirect_uri=x",
                {
                    "Authorization": "Bearer wrong-app-token",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            assert status in (400, 401) and "error" in json.loads(body)
            status, _, _ = await ahttp(base, "POST", "/customer/token", b"{}")
            assert status == 415
            # a second login of the same identity gives the same customer
            customer_id, key, _ = await get_token(base)
            again, _, _ = await get_token(base, identity=(customer_id, key))
            assert again == customer_id


async def test_rtm_validation_and_wrong_license() -> None:
    with anyio.fail_after(10):
        async with serve(config=ServerConfig(agent=None)) as server:
            client = await RawWS.connect(server.url)
            response, _ = await client.request("get_chats_summary")
            assert not response["success"]
            assert response["payload"]["error"]["type"] == "validation"
            await client.send(b"{not json")
            error = await client.recv()
            assert error["success"] is False and "request_id" not in error
            response, _ = await client.request("login", {"token": "Bearer nope"})
            assert response["payload"]["error"]["type"] == "authentication"
            await client.aclose()
            stranger = await RawWS.connect(server.url, license_id=42)
            push = await stranger.recv()
            assert push["action"] == "customer_disconnected"
            assert push["payload"]["reason"] == "license_not_found"
            assert (await stranger.wait_closed()).code == 1000
            await stranger.aclose()


async def test_ban_and_disconnect_from_python() -> None:
    with anyio.fail_after(10):
        async with serve(config=ServerConfig(agent=None)) as server:
            customer_id, token = server.create_customer()
            client = await RawWS.connect(server.url)
            await client.login(token)
            server.ban_customer(customer_id)
            push = await client.recv()
            assert push["payload"]["reason"] == "customer_banned"
            await client.wait_closed()
            await client.aclose()
            client = await RawWS.connect(server.url)
            response, _ = await client.request("login", {"token": f"Bearer {token}"})
            assert response["payload"]["error"]["type"] == "customer_banned"
            await client.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_websockets_library_client(anyio_backend: str) -> None:
    from websockets.asyncio.client import connect

    with anyio.fail_after(10):
        async with serve(config=fast_config()) as server:
            _, _, token = await get_token(server.http_url)
            async with connect(server.rtm_url, ping_interval=None) as ws:
                await ws.send(
                    json.dumps(
                        {
                            "request_id": "1",
                            "action": "login",
                            "payload": {"token": f"Bearer {token}"},
                        }
                    )
                )
                assert json.loads(await ws.recv())["success"] is True
                pong = await ws.ping()
                await pong
                await ws.send(json.dumps({"action": "ping"}))
                await ws.send(json.dumps({"request_id": "2", "action": "get_chats_summary"}))
                answer = json.loads(await ws.recv())
                assert answer["request_id"] == "2" and answer["payload"]["total_chats"] == 0

"""Fault switches implemented by the I/O layer, and the ones the core applies, on real sockets."""

from __future__ import annotations

import json

import anyio
import pytest
from server_io_helpers import ClosedError, RawWS, get_token, web_api

from adapters.server import QUEUE_OVERFLOW_CODE, serve
from customer_protocol.server import MALFORMED_FRAME, FaultKind, FaultRule, ServerConfig
from transports.base import Message

pytestmark = pytest.mark.anyio
CONFIG = ServerConfig(agent=None)


async def _logged_in(server_url: str, http_url: str) -> tuple[RawWS, str]:
    _, _, token = await get_token(http_url)
    client = await RawWS.connect(server_url)
    await client.login(token)
    return client, token


async def test_binary_frames_reach_our_client_as_1003() -> None:
    with anyio.fail_after(10):
        async with serve(config=CONFIG) as server:
            client, _ = await _logged_in(server.url, server.http_url)
            server.faults.binary_frames = True
            await client.send({"request_id": "x", "action": "get_chats_summary"})
            closed = await client.wait_closed()
            assert closed.code == 1003
            await client.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_binary_frames_with_the_websockets_library(anyio_backend: str) -> None:
    from websockets.asyncio.client import connect

    with anyio.fail_after(10):
        async with (
            serve(config=CONFIG) as server,
            connect(server.rtm_url, ping_interval=None) as ws,
        ):
            server.faults.binary_frames = True
            await ws.send(json.dumps({"request_id": "1", "action": "get_chats_summary"}))
            data = await ws.recv()
            assert isinstance(data, bytes)
            assert json.loads(data)["request_id"] == "1"


async def test_oversize_frames() -> None:
    with anyio.fail_after(10):
        async with serve(config=CONFIG, oversize_frame_size=70_000) as server:
            client = await RawWS.connect(server.url, max_message_size=65_536)
            server.faults.oversize_frames = True
            await client.send({"request_id": "x", "action": "get_chats_summary"})
            assert (await client.wait_closed()).code == 1009
            await client.aclose()
            big = await RawWS.connect(server.url)  # a client with a larger limit reads it
            await big.send({"request_id": "y", "action": "get_chats_summary"})
            event = await big.recv_event()
            assert isinstance(event, Message) and len(event.data) == 70_000
            assert json.loads(event.data)["request_id"] == "y"
            await big.aclose()


async def test_ignore_pings() -> None:
    with anyio.fail_after(10):
        async with serve(config=CONFIG) as server:
            client = await RawWS.connect(server.url)
            await client.ping()
            await client.request("ping_probe")  # any answer: by then the pong was read
            assert client.pongs == 1
            server.faults.ignore_pings = True
            await client.ping()
            await client.request("ping_probe")
            with anyio.move_on_after(0.3):
                await client.recv_event()
            assert client.pongs == 1
            server.faults.ignore_pings = False
            await client.ping()
            await client.request("ping_probe")
            assert client.pongs == 2
            await client.aclose()


async def test_drop_after_n_messages() -> None:
    with anyio.fail_after(10):
        async with serve(config=CONFIG) as server:
            server.faults.drop_after_messages = 3
            client = await RawWS.connect(server.url)
            for n in range(2):
                await client.request("get_chats_summary", rid=f"r{n}")
            await client.send({"request_id": "r3", "action": "get_chats_summary"})
            answer = await client.recv()  # the third answer is written, then TCP is dropped
            assert answer["request_id"] == "r3"
            assert (await client.wait_closed()).code == 1006
            await client.aclose()


async def test_malformed_json_and_core_rules() -> None:
    with anyio.fail_after(10):
        async with serve(config=CONFIG) as server:
            client, _ = await _logged_in(server.url, server.http_url)
            server.faults.add(FaultRule(kind=FaultKind.MALFORMED_JSON, action="get_chats_summary"))
            await client.send({"request_id": "m", "action": "get_chats_summary"})
            event = await client.recv_event()
            assert getattr(event, "data", None) == MALFORMED_FRAME
            assert (await client.recv())["request_id"] == "m"
            server.faults.add(FaultRule(kind=FaultKind.DELAY, delay=0.2))
            server.faults.add(FaultRule(kind=FaultKind.ERROR, action="start_chat"))
            started = anyio.current_time()
            response, _ = await client.request("get_chats_summary")
            assert anyio.current_time() - started >= 0.15 and response["success"]
            response, _ = await client.request("start_chat")
            assert response["payload"]["error"]["type"] == "internal"
            await client.aclose()


async def test_slow_client_is_closed_when_its_queue_overflows() -> None:
    limit = 64 * 1024
    with anyio.fail_after(10):
        async with serve(config=CONFIG, send_queue_limit=limit, close_timeout=0.5) as server:
            fast, token = await _logged_in(server.url, server.http_url)
            response, _ = await fast.request("start_chat")
            chat_id = response["payload"]["chat"]["id"]
            # a slow client: it never reads after its login
            slow = await RawWS.connect(server.url)
            await slow.login(token)
            text = "x" * 60_000
            sent = 0
            while server.connection_count == 2 and sent < 400:
                status, _ = await web_api(
                    server.http_url,
                    token,
                    "send_event",
                    {"chat_id": chat_id, "event": {"type": "message", "text": text}},
                )
                assert status == 200
                sent += 1
                await fast.wait_for("incoming_event")
            assert server.connection_count == 1, sent
            print(f"slow client closed after {sent} pushes of 60 kB")
            with pytest.raises(ClosedError) as info:
                while True:
                    await slow.recv()
            assert info.value.closed.code in (QUEUE_OVERFLOW_CODE, 1006)
            await slow.aclose()
            await fast.aclose()


async def test_graceful_shutdown_sends_1001() -> None:
    with anyio.fail_after(10):
        async with serve(config=CONFIG, close_timeout=0.3) as server:
            client, _ = await _logged_in(server.url, server.http_url)
            idle = await RawWS.connect(server.url)
        assert server.connection_count == 0
        assert (await client.wait_closed()).code == 1001
        assert (await idle.wait_closed()).code == 1001
        await client.aclose()
        await idle.aclose()

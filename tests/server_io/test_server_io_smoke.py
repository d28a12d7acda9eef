"""End to end over real sockets: accounts, login, chat with the agent, history."""

from __future__ import annotations

import anyio
import pytest
from server_io_helpers import RawWS, fast_config, get_token

from adapters.server import serve

pytestmark = pytest.mark.anyio


async def test_accounts_login_chat_with_agent_and_history() -> None:
    config = fast_config()
    with anyio.fail_after(10):
        async with serve(config=config) as server:
            customer_id, _key, token = await get_token(server.http_url, config)
            client = await RawWS.connect(server.url)
            login = await client.login(token)
            assert login["customer_id"] == customer_id
            response, pushes = await client.request(
                "start_chat", {"events": [{"type": "message", "text": "hello"}]}
            )
            assert response["success"], response
            chat_id = response["payload"]["chat"]["id"]
            assert [p["action"] for p in pushes] == ["incoming_chat_thread"]
            reply = None
            while reply is None:
                push = await client.recv()
                if (
                    push["action"] == "incoming_event"
                    and push["payload"]["event"].get("author_id") != customer_id
                ):
                    reply = push["payload"]["event"]
            assert "hello" in reply["text"]
            response, _ = await client.request("get_chat_threads_summary", {"chat_id": chat_id})
            thread_id = response["payload"]["threads_summary"][0]["id"]
            response, _ = await client.request(
                "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
            )
            texts = [e.get("text") for e in response["payload"]["chat"]["threads"][0]["events"]]
            assert "hello" in texts
            await client.aclose()

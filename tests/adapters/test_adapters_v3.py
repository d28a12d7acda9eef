"""The three adapters end to end in LiveChat v3.6 against the reference server (v3.md 4-9).

``connect(api="3.6", organization_id=...)`` is the only change from a v0.3 client: the seed's
methods keep their names and results.
"""

from __future__ import annotations

from typing import Any

import pytest
from adapters_helpers import FAST, WAIT, Client

import adapters.asyncio
import adapters.sync
import adapters.trio
from adapters.server import ReferenceServer
from adapters.tokens import AgentTokenGrant
from customer_protocol import Chat, MessageEvent, NotSupportedError, ThreadsSummary

pytestmark = pytest.mark.anyio

_MODULES: dict[str, Any] = {
    "asyncio": adapters.asyncio,
    "trio": adapters.trio,
    "sync": adapters.sync,
}


def v3_client(kind: str, server: ReferenceServer, api: str = "3.6") -> tuple[str, Client]:
    customer_id, token = server.create_customer()
    raw = _MODULES[kind].connect(
        api=api,
        organization_id=server.config.organization_id,
        token=token,
        url=server.url,
        config=FAST,
        open_timeout=WAIT,
    )
    return customer_id, Client(kind, raw)


async def test_a_whole_conversation_in_v3(adapter: str, server: ReferenceServer) -> None:
    customer_id, client = v3_client(adapter, server)
    async with client:
        assert client.state == "connected"
        assert client.customer_id == customer_id
        assert client.core.api == "3.6"
        chat = await client.start_chat(events=[{"type": "message", "text": "first"}])
        assert isinstance(chat, Chat) and len(chat.threads) == 1
        message = await client.send_message(chat.id, "second", custom_id="mine-1")
        assert isinstance(message, MessageEvent)
        assert (message.text, message.custom_id, message.thread) == (
            "second",
            "mine-1",
            chat.threads[0],
        )
        # the agent simulator joins and answers
        await client.recorder.wait_for("new_event")
        summary = await client.get_chats_summary()
        assert [c.id for c in summary.chats_summary] == [chat.id]
        threads = await client.get_chat_threads(chat.id, list(chat.threads))
        assert [t.id for t in threads] == list(chat.threads)
        assert isinstance(await client.get_chat_threads_summary(chat.id), ThreadsSummary)
        assert isinstance(await client.update_last_seen_timestamp(chat.id), int)
        rating = await client.send_rating(chat.id, "good", comment="thanks")
        assert rating.thread == chat.threads[0]
        assert await client.close_thread(chat.id) is True
        # a message to the closed chat opens a new thread (resume_chat)
        again = await client.send_message(chat.id, "back again")
        assert again.thread != chat.threads[0]
        events = [e for batch in await client.get_chat_history(chat.id).batches() for e in batch]
        assert {"first", "second", "back again"} <= {getattr(e, "text", None) for e in events}
        url = await client.send_file(chat.id, b"file body", filename="a.txt")
        assert url.endswith("a.txt")


async def test_v03_only_methods_are_not_supported_in_v3(
    adapter: str, server: ReferenceServer
) -> None:
    _, client = v3_client(adapter, server)
    async with client:
        with pytest.raises(NotSupportedError):
            await client.update_chat_scopes("CH", add_scopes={"groups": [1]})


async def test_the_v3_methods(adapter: str, server: ReferenceServer) -> None:
    customer_id, client = v3_client(adapter, server)
    raw = client.raw
    async with client:
        customer = await client.run(raw.get_customer)
        assert customer.id == customer_id
        chat = await client.start_chat(events=[{"type": "message", "text": "hello"}])
        page = await client.run(raw.list_chats, limit=5)
        assert [c.id for c in page.chats] == [chat.id]
        threads = await client.run(raw.list_threads, chat.id)
        assert [t.id for t in threads.threads] == list(chat.threads)
        got = await client.run(raw.get_chat, chat.id)
        assert got.chat.id == chat.id and got.thread is not None
        statuses = await client.run(raw.list_group_statuses)
        assert 0 in statuses
        assert await client.run(raw.set_customer_session_fields, {"plan": "pro"}) is True
        assert await client.run(raw.update_chat_properties, chat.id, {"ns": {"k": 1}}) is True
        assert await client.run(raw.delete_chat_properties, chat.id, {"ns": ["k"]}) is True
        await client.send_rating(chat.id, "bad")
        assert await client.run(raw.cancel_rate, chat.id) is True
        assert await client.run(raw.deactivate_chat, chat.id) is True
        resumed = await client.run(
            raw.resume_chat, chat.id, events=[{"type": "message", "text": "again"}]
        )
        assert resumed.id == chat.id and resumed.threads != chat.threads
        assert await client.run(raw.mark_events_as_seen, chat.id, 1_700_000_000_000) is True


async def test_the_agent_token_grant_brings_the_same_customer_back(
    adapter: str, server: ReferenceServer
) -> None:
    config = server.config
    grant = AgentTokenGrant(
        agent_token=config.agent_token,
        client_id=config.client_id,
        organization_id=config.organization_id,
    )
    assert "agent_token" not in repr(grant) and config.agent_token not in repr(grant)

    def connect() -> Client:
        raw = _MODULES[adapter].connect(
            api="3.6",
            organization_id=config.organization_id,
            token=grant,
            url=server.url,
            config=FAST,
            open_timeout=WAIT,
        )
        return Client(adapter, raw)

    first = connect()
    async with first:
        customer_id = first.customer_id
        assert customer_id is not None and customer_id == grant.entity_id
    again = connect()
    async with again:
        assert again.customer_id == customer_id

"""Exactly-once sends end to end (sdk.md section 2), for asyncio, trio and sync: the link drops
right after the server stored a send, and while the client is away the chat's thread is closed
and a new one started, twice (issue 13); or the server pushes the stored event to the client's
new connection without our request_id."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from adapters_helpers import QUIET_SERVER, WAIT, Client, history_texts, make_client

from adapters.server import ReferenceServer, serve
from customer_protocol import MessageEvent
from customer_protocol.codec import encode_push
from customer_protocol.server import FaultKind, FaultRule, Send

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


@pytest.fixture
async def quiet() -> AsyncIterator[ReferenceServer]:
    """A reference server without the agent (the only traffic is the client's)."""
    async with serve(config=QUIET_SERVER) as running:
        yield running


def stored_messages(server: ReferenceServer, chat: str) -> list[tuple[str, dict[str, Any]]]:
    """Every message event the server stored in ``chat`` with its thread id, oldest first."""
    record = server.core.store.chats[chat]
    return [
        (thread, event)
        for thread in record.thread_ids
        for event in server.core.store.threads[thread].events
        if event.get("type") == "message"
    ]


async def wait_stored(server: ReferenceServer, chat: str, text: str) -> tuple[str, dict[str, Any]]:
    with anyio.fail_after(WAIT):
        while True:
            for thread, event in stored_messages(server, chat):
                if event["text"] == text:
                    return thread, event
            await anyio.sleep(0.005)


async def send_through_a_drop(
    client: Client, server: ReferenceServer, chat: str, text: str, while_away: Any
) -> MessageEvent:
    """Send ``text``; the server stores it and drops the link; logins fail (the client stays
    away) until ``while_away(stored thread, stored event, let_in)`` has run or called
    ``let_in()``."""
    server.faults.add(FaultRule(kind=FaultKind.DROP_AFTER_STORE, action="send_event"))
    away = server.faults.add(FaultRule(kind=FaultKind.ERROR, action="login", times=None))
    mark = client.recorder.mark()
    results: list[MessageEvent] = []

    async def send() -> None:
        results.append(await client.send_message(chat, text))

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send)
            thread, event = await wait_stored(server, chat, text)
            await client.recorder.wait_for("connection_lost", after=mark)
            assert not results  # held, not failed
            await while_away(thread, event, lambda: server.faults.remove(away))
            server.faults.remove(away)
    (result,) = results
    return result


def own_new_events(client: Client, custom_id: str | None) -> list[Any]:
    return [e for e in client.recorder.named("new_event") if e.event.custom_id == custom_id]


async def test_a_send_stored_before_the_drop_is_found_after_two_thread_churns(
    adapter: str, quiet: ReferenceServer
) -> None:
    server = quiet
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        await client.send_message(chat.id, "before")

        async def churn_twice(thread: str, event: dict[str, Any], let_in: Any) -> None:
            for n in range(2):  # the agent closes the thread and writes again, twice
                server.apply(server.core.churn_thread(chat.id, time.monotonic(), f"again {n}"))
            assert len(server.core.store.chats[chat.id].thread_ids) == 3

        result = await send_through_a_drop(
            client, server, chat.id, "through the churn", churn_twice
        )
        ((thread, stored),) = [
            (t, e) for t, e in stored_messages(server, chat.id) if e["text"] == "through the churn"
        ]
        assert (result.id, result.thread, result.custom_id) == (
            stored["id"],
            thread,
            stored["custom_id"],
        )
        assert thread == chat.threads[0]  # in the thread that was active when it was written
        assert [e["text"] for _, e in stored_messages(server, chat.id)] == [
            "before",
            "through the churn",
        ]
        assert own_new_events(client, result.custom_id) == []
        assert await history_texts(client, chat.id) == ["before", "through the churn"]


async def test_our_stored_event_pushed_to_the_new_connection_resolves_the_send(
    adapter: str, quiet: ReferenceServer
) -> None:
    server = quiet
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        customer_id = client.customer_id
        assert customer_id is not None
        # The lookup's first answer is held back: the push below comes before it.
        delay = FaultRule(kind=FaultKind.DELAY, action="get_chat_threads_summary", delay=2.0)
        pushed: list[str] = []

        async def push_on_the_new_connection(
            thread: str, event: dict[str, Any], let_in: Any
        ) -> None:
            mark = client.recorder.mark()
            server.faults.add(delay)
            let_in()
            await client.recorder.wait_for("connection_restored", after=mark)
            payload = {"chat_id": chat.id, "thread_id": thread, "event": event}
            data = encode_push("incoming_event", payload)  # without our request_id
            conns = server.core.connections_of(customer_id)
            server.apply([Send(conn_id=conn, data=data) for conn in conns])
            pushed.extend(conns)

        result = await send_through_a_drop(
            client, server, chat.id, "echoed to the new link", push_on_the_new_connection
        )
        assert pushed
        ((thread, stored),) = stored_messages(server, chat.id)
        assert (result.id, result.thread, result.text) == (
            stored["id"],
            thread,
            "echoed to the new link",
        )
        assert own_new_events(client, result.custom_id) == []  # not someone else's message
        # The lookup finishes (the outbox is held until then): nothing was sent again.
        await client.send_message(chat.id, "after")
        assert delay not in server.faults.rules  # the lookup did run
        assert [e["text"] for _, e in stored_messages(server, chat.id)] == [
            "echoed to the new link",
            "after",
        ]
        assert own_new_events(client, result.custom_id) == []

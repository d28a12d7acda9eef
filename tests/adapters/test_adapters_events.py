"""Every seed event, end to end, in the asyncio, trio and sync adapters; listeners and events().

Pushes caused by another connection of the same customer (same token) arrive as events; the
requester itself gets results instead.
"""

from __future__ import annotations

import logging

import anyio
import pytest
from adapters_helpers import QUIET_SERVER, WAIT, Client, make_client, texts

from adapters.server import ReferenceServer, serve
from customer_protocol import Agent, Customer, MessageEvent
from customer_protocol.codec import encode_push
from customer_protocol.events import SDKEvent
from customer_protocol.server import Send

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


async def subscribed(client: Client, count: int = 1) -> None:
    """Wait until ``count`` ``events()`` iterators are registered (they see later events)."""
    with anyio.fail_after(WAIT):
        while len(client.raw._subscribers) < count:
            await anyio.sleep(0.005)


async def test_lifecycle_events_of_the_first_login(adapter: str, server: ReferenceServer) -> None:
    customer_id, token = server.create_customer()
    async with make_client(adapter, server, token=token) as first:
        chat = await first.start_chat()
    async with make_client(adapter, server, token=token) as client:
        names = client.recorder.names()  # the login's events were delivered before entering
        assert names.count("customer_id") == 1
        assert names.index("customer_id") < names.index("connected")
        assert client.recorder.named("customer_id")[0].id == customer_id
        (connected,) = client.recorder.named("connected")
        assert connected.total_chats == 1
        assert [s.id for s in connected.chats_summary] == [chat.id]
        # user_data for every user of the summary comes before connected.
        before = names[: names.index("connected")]
        assert "user_data" in before
        users = [e.user for e in client.recorder.named("user_data")]
        assert any(isinstance(u, Customer) and u.id == customer_id for u in users)


async def test_agent_events_join_typing_reply_and_close(
    adapter: str, server: ReferenceServer
) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        await client.send_message(chat.id, "hello")
        reply = await client.recorder.wait_for("new_event", lambda e: e.chat == chat.id)
        assert isinstance(reply.event, MessageEvent)
        assert reply.event.text == "You wrote: hello"
        agent = reply.event.author
        recorded = client.recorder
        (joined,) = recorded.named("user_joined_chat")
        assert (joined.user, joined.chat) == (agent, chat.id)
        agents = [e.user for e in recorded.named("user_data") if isinstance(e.user, Agent)]
        assert agents and agents[0].id == agent and agents[0].name == "Ada"
        names = recorded.names()
        assert names.index("user_data", names.index("thread_summary")) < names.index(
            "user_joined_chat"
        )
        typing = recorded.named("user_is_typing")
        stopped = recorded.named("user_stopped_typing")
        assert [(e.chat, e.user) for e in typing] == [(chat.id, agent)]
        assert [(e.chat, e.user) for e in stopped] == [(chat.id, agent)]
        assert (
            names.index("user_is_typing")
            < names.index("user_stopped_typing")
            < names.index("new_event")
        )

        mark = recorded.mark()
        await client.send_message(chat.id, "thanks, bye")
        closed = await recorded.wait_for("thread_closed", after=mark)
        assert closed.chat == chat.id
        farewell = recorded.named("new_event", after=mark)
        assert texts(e.event for e in farewell) == ["Goodbye! Closing this chat."]


async def test_pushes_caused_by_another_connection_arrive_as_events(adapter: str) -> None:
    async with serve(config=QUIET_SERVER) as server:
        customer_id, token = server.create_customer()
        async with (
            make_client(adapter, server, token=token) as actor,
            make_client(adapter, server, token=token) as watcher,
        ):
            seen = watcher.recorder
            mark = seen.mark()
            chat = await actor.start_chat(events=[{"type": "message", "text": "hi"}])
            thread = chat.threads[0]
            summary = await seen.wait_for("thread_summary", after=mark)
            assert (summary.id, summary.chat, summary.total_events) == (thread, chat.id, 1)
            first = await seen.wait_for("new_event", after=mark)
            assert (first.chat, first.event.text) == (chat.id, "hi")
            names = seen.names(mark)
            assert names.index("user_data") < names.index("thread_summary")
            assert names.index("thread_summary") < names.index("new_event")

            message = await actor.send_message(chat.id, "again")
            pushed = await seen.wait_for("new_event", lambda e: e.event.id == message.id)
            assert pushed.event == message

            await actor.update_chat_properties(chat.id, {"crm": {"lead": True}})
            props = await seen.wait_for("chat_properties_updated")
            assert (props.chat, props.properties) == (chat.id, {"crm": {"lead": {"value": True}}})

            await actor.update_chat_thread_properties(chat.id, thread, {"crm": {"step": 2}})
            thread_props = await seen.wait_for("chat_thread_properties_updated")
            assert (thread_props.chat, thread_props.thread) == (chat.id, thread)
            assert thread_props.properties == {"crm": {"step": {"value": 2}}}

            stamp = await actor.update_last_seen_timestamp(chat.id, 1_700_000_005_000)
            last_seen = await seen.wait_for("last_seen_timestamp_updated")
            assert (last_seen.chat, last_seen.user, last_seen.timestamp) == (
                chat.id,
                customer_id,
                stamp,
            )

            await actor.update_chat_scopes(chat.id, add_scopes={"groups": [7]})
            scopes = await seen.wait_for("chat_scopes_updated")  # any other push: raw
            assert scopes.payload["chat_id"] == chat.id
            assert scopes.payload["scopes_added"] == {"groups": [7]}

            await actor.close_thread(chat.id)
            closed = await seen.wait_for("thread_closed")
            assert closed.chat == chat.id

            # The requester got results, not events, for its own requests.
            own = {
                "new_event",
                "chat_properties_updated",
                "chat_thread_properties_updated",
                "last_seen_timestamp_updated",
                "chat_scopes_updated",
                "thread_closed",
            }
            assert own.isdisjoint(actor.recorder.names())


async def test_user_left_chat(adapter: str, server: ReferenceServer) -> None:
    customer_id, token = server.create_customer()
    async with make_client(adapter, server, token=token) as client:
        chat = await client.start_chat()
        joined = await client.recorder.wait_for("user_joined_chat")
        # The simulated agent never leaves: push the removal as the server would.
        push = encode_push(
            "chat_users_updated",
            {"chat_id": chat.id, "updated_users": {"added": [], "removed_ids": [joined.user]}},
        )
        connections = server.core.connections_of(customer_id)
        server.apply([Send(conn_id=conn, data=push) for conn in connections])
        left = await client.recorder.wait_for("user_left_chat")
        assert (left.user, left.chat) == (joined.user, chat.id)


async def test_connection_lost_and_restored(adapter: str, server: ReferenceServer) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        mark = client.recorder.mark()
        await server.restart()
        restored = await client.recorder.wait_for("connection_restored", after=mark)
        assert [s.id for s in restored.chats_summary] == [chat.id]
        assert restored.total_chats == 1
        names = client.recorder.names(mark)
        assert names.index("connection_lost") < names.index("connection_restored")
        assert names.count("connection_lost") == 1
        assert client.recorder.names().count("connected") == 1  # never again
        assert client.state == "connected"
        assert (await client.send_message(chat.id, "after")).text == "after"


async def test_a_non_terminal_disconnect_push_reconnects(
    adapter: str, server: ReferenceServer
) -> None:
    customer_id, token = server.create_customer()
    async with make_client(adapter, server, token=token) as client:
        mark = client.recorder.mark()
        server.disconnect_customer(customer_id, "internal_error")
        disconnected = await client.recorder.wait_for("disconnected", after=mark)
        assert disconnected.reason == "internal_error"
        await client.recorder.wait_for("connection_restored", after=mark)
        assert client.state == "connected"
        assert (await client.get_chats_summary()).total_chats == 0


async def test_listeners_run_in_order_and_a_failing_one_does_not_stop_the_others(
    adapter: str, server: ReferenceServer, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def first(event: object) -> None:
        calls.append("first")

    def failing(event: object) -> None:
        calls.append("failing")
        raise RuntimeError("listener bug")

    def third(event: object) -> None:
        calls.append("third")

    def wildcard(event: object) -> None:
        if getattr(event, "name", None) == "connected":
            calls.append("*")

    client = make_client(adapter, server)
    client.on("*", wildcard)  # wildcard listeners run after the named ones
    client.on("connected", first)
    client.on("connected", failing)
    client.on("connected", third)
    with caplog.at_level(logging.ERROR, logger="customer_protocol.client"):
        async with client:
            await client.recorder.wait_for("connected")
            assert calls == ["first", "failing", "third", "*"]
            assert "listener bug" in caplog.text
            assert client.state == "connected"

            replies: list[str] = []

            def on_reply(event: object) -> None:
                replies.append("reply")

            client.on("new_event", on_reply)
            client.on("new_event", failing)
            chat = await client.start_chat()
            await client.send_message(chat.id, "one")
            await client.recorder.wait_for("new_event")
            assert replies == ["reply"]
            client.off("new_event", on_reply)
            client.off("new_event")  # every remaining listener of the name
            mark = client.recorder.mark()
            await client.send_message(chat.id, "two")
            await client.recorder.wait_for("new_event", after=mark)
            assert replies == ["reply"]
            assert calls.count("failing") == 2


async def test_events_iterator_filters_by_name(adapter: str, server: ReferenceServer) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        taken: list[object] = []

        async def consume() -> None:
            wanted = ("user_is_typing", "user_stopped_typing", "new_event")
            taken.extend(await client.events(*wanted, count=3))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(consume)
            await subscribed(client)
            await client.send_message(chat.id, "ping")
        assert [e.name for e in taken] == ["user_is_typing", "user_stopped_typing", "new_event"]
        assert [getattr(e, "chat", None) for e in taken] == [chat.id] * 3


async def test_events_iterator_ends_when_the_client_is_destroyed(
    adapter: str, server: ReferenceServer
) -> None:
    async with make_client(adapter, server) as client:
        taken: list[SDKEvent] = []
        ended = anyio.Event()

        async def consume() -> None:
            await client.events(count=1000, into=taken)
            ended.set()

        with anyio.fail_after(WAIT / 2):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(consume)
                await subscribed(client)
                await client.start_chat()
                while "thread_summary" not in [e.name for e in taken]:
                    await anyio.sleep(0.005)
                assert not ended.is_set()
                await client.destroy()
        assert ended.is_set()  # the stream ended without a timeout
        assert client.state == "destroyed"

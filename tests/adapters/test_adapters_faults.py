"""The adapters against the reference server's fault switches: no message lost or duplicated,
every call ends. Each test runs for asyncio, trio and sync."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from adapters_helpers import FAST, QUIET_SERVER, history_texts, make_client, texts

from adapters.server import ReferenceServer, serve
from customer_protocol import (
    ConnectionLostError,
    ErrorCode,
    RemoteProtocolError,
    RequestFailedError,
    RequestTimeoutError,
)
from customer_protocol.server import FaultKind, FaultRule

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


def stored_texts(server: ReferenceServer, chat: str) -> list[str]:
    """Every message text the server stored in ``chat``, oldest first."""
    record = server.core.store.chats[chat]
    return [
        event["text"]
        for thread in record.thread_ids
        for event in server.core.store.threads[thread].events
        if event.get("type") == "message"
    ]


@pytest.fixture
async def quiet() -> AsyncIterator[ReferenceServer]:
    """A reference server without the agent (the only traffic is the client's)."""
    async with serve(config=QUIET_SERVER) as running:
        yield running


@pytest.mark.parametrize("kind", [FaultKind.DROP_BEFORE_STORE, FaultKind.DROP_AFTER_STORE])
async def test_a_drop_around_the_store_delivers_the_message_exactly_once(
    adapter: str, quiet: ReferenceServer, kind: FaultKind
) -> None:
    server = quiet
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        await client.send_message(chat.id, "before")
        server.faults.add(FaultRule(kind=kind, action="send_event"))
        mark = client.recorder.mark()
        event = await client.send_message(chat.id, "through the drop")
        assert event.text == "through the drop"
        assert not server.faults.rules  # the fault fired
        await client.recorder.wait_for("connection_restored", after=mark)
        names = client.recorder.names(mark)
        assert names.count("connection_lost") == 1
        assert "connection_restored" in names
        assert stored_texts(server, chat.id) == ["before", "through the drop"]
        assert await history_texts(client, chat.id) == ["before", "through the drop"]
        (thread,) = await client.get_chat_threads(chat.id, [event.thread])
        assert [e.id for e in thread.events if e.custom_id == event.custom_id] == [event.id]


async def test_concurrent_sends_across_repeated_drops_arrive_exactly_once(
    adapter: str, quiet: ReferenceServer
) -> None:
    server = quiet
    token = server.create_customer()[1]
    sent = [f"message {n}" for n in range(8)]
    async with (
        make_client(adapter, server, token=token) as client,
        make_client(adapter, server, token=token) as watcher,
    ):
        chat = await client.start_chat()
        server.faults.add(FaultRule(kind=FaultKind.DROP_BEFORE_STORE, action="send_event", times=2))
        server.faults.add(FaultRule(kind=FaultKind.DROP_AFTER_STORE, action="send_event", times=2))
        results: dict[str, str] = {}

        async def send(text: str) -> None:
            results[text] = (await client.send_message(chat.id, text)).text

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tasks:
                for text in sent:
                    tasks.start_soon(send, text)
        assert results == {text: text for text in sent}  # every call ended with its event
        assert not server.faults.rules
        assert Counter(stored_texts(server, chat.id)) == Counter(sent)
        assert Counter(await history_texts(client, chat.id)) == Counter(sent)
        # The other connection of the customer saw each message exactly once too.
        pushed = await watcher.recorder.wait_count("new_event", len(sent))
        assert Counter(texts(e.event for e in pushed)) == Counter(sent)
        assert watcher.recorder.named("connection_lost") == []


async def test_restart_with_a_database_keeps_everything(adapter: str, tmp_path: Path) -> None:
    db = tmp_path / "chats.sqlite3"
    async with serve(config=QUIET_SERVER, db_path=db) as server:
        customer_id, token = server.create_customer()
        async with make_client(adapter, server, token=token) as client:
            chat = await client.start_chat(events=[{"type": "message", "text": "one"}])
            await client.send_message(chat.id, "two")
            mark = client.recorder.mark()
            await server.restart()
            restored = await client.recorder.wait_for("connection_restored", after=mark)
            assert [s.id for s in restored.chats_summary] == [chat.id]
            assert await history_texts(client, chat.id) == ["one", "two"]
            await client.send_message(chat.id, "three")
    # A new server on the same file: the customer, its token and the chat are all there.
    async with (
        serve(config=QUIET_SERVER, db_path=db) as server,
        make_client(adapter, server, token=token) as client,
    ):
        assert client.customer_id == customer_id
        assert await history_texts(client, chat.id) == ["one", "two", "three"]


async def test_restart_while_sending_loses_and_duplicates_nothing(
    adapter: str, tmp_path: Path
) -> None:
    async with (
        serve(config=QUIET_SERVER, db_path=tmp_path / "db.sqlite3") as server,
        make_client(adapter, server) as client,
    ):
        chat = await client.start_chat()
        sent = [f"m{n}" for n in range(6)]

        async def send_all() -> None:
            for text in sent:
                assert (await client.send_message(chat.id, text)).text == text

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(send_all)
                while len(stored_texts(server, chat.id)) < 2:
                    await anyio.sleep(0.001)
                await server.restart()  # in the middle of the sends
        assert await history_texts(client, chat.id) == sent
        await client.recorder.wait_for("connection_restored")
        assert client.recorder.names().count("connection_restored") == 1


async def test_ignored_pings_are_detected_and_the_client_reconnects(
    adapter: str, quiet: ReferenceServer
) -> None:
    server = quiet
    config = replace(FAST, keepalive_interval=0.1, pong_timeout=0.2)
    async with make_client(adapter, server, config=config) as client:
        chat = await client.start_chat()
        mark = client.recorder.mark()
        server.faults.ignore_pings = True
        await client.recorder.wait_for("connection_lost", after=mark)
        server.faults.ignore_pings = False
        await client.recorder.wait_for("connection_restored", after=mark)
        assert client.state == "connected"
        assert (await client.send_message(chat.id, "alive")).text == "alive"
        assert stored_texts(server, chat.id) == ["alive"]


async def test_pings_answered_keep_an_idle_link_up(adapter: str, quiet: ReferenceServer) -> None:
    config = replace(FAST, keepalive_interval=0.05, pong_timeout=0.3)
    async with make_client(adapter, quiet, config=config) as client:
        with anyio.move_on_after(0.8):  # many keepalive rounds, no traffic otherwise
            await client.recorder.wait_for("connection_lost")
        assert client.recorder.named("connection_lost") == []


async def test_a_malformed_frame_is_an_error_event_and_the_client_goes_on(
    adapter: str, quiet: ReferenceServer
) -> None:
    server = quiet
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        server.faults.add(FaultRule(kind=FaultKind.MALFORMED_JSON, action="get_chats_summary"))
        summary = await client.get_chats_summary()
        assert summary.total_chats == 1
        error = await client.recorder.wait_for("error")
        assert isinstance(error.error, RemoteProtocolError)

        server.faults.add(FaultRule(kind=FaultKind.BROKEN_PUSH, action="send_event"))
        mark = client.recorder.mark()
        assert (await client.send_message(chat.id, "fine")).text == "fine"
        await client.recorder.wait_for("error", after=mark)
        assert client.recorder.named("connection_lost") == []
        assert client.state == "connected"
        assert stored_texts(server, chat.id) == ["fine"]


@pytest.mark.parametrize("flag", ["binary_frames", "oversize_frames"])
async def test_unreadable_frames_drop_the_link_and_every_call_ends(
    adapter: str, quiet: ReferenceServer, flag: str
) -> None:
    server = quiet
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        mark = client.recorder.mark()
        setattr(server.faults, flag, True)
        with pytest.raises(ConnectionLostError):
            await client.get_chats_summary()  # its answer cannot be read: the link goes
        await client.recorder.wait_for("connection_lost", after=mark)
        setattr(server.faults, flag, False)
        await client.recorder.wait_for("connection_restored", after=mark)
        assert (await client.send_message(chat.id, "readable again")).text == "readable again"
        assert stored_texts(server, chat.id) == ["readable again"]


async def test_error_skip_push_delay_and_reorder(adapter: str, quiet: ReferenceServer) -> None:
    server = quiet
    config = replace(FAST, indirect_grace=0.2)
    async with make_client(adapter, server, config=config) as client:
        chat = await client.start_chat()

        server.faults.add(FaultRule(kind=FaultKind.ERROR, action="send_event"))
        with pytest.raises(RequestFailedError) as failed:
            await client.send_message(chat.id, "refused")
        assert failed.value.type == "internal"

        server.faults.add(FaultRule(kind=FaultKind.SKIP_PUSH, action="send_event"))
        event = await client.send_message(chat.id, "no echo")  # resolved from the response
        assert event.text == "no echo"

        server.faults.add(FaultRule(kind=FaultKind.DELAY, action="get_chats_summary", delay=0.2))
        assert (await client.get_chats_summary()).total_chats == 1

        server.faults.add(FaultRule(kind=FaultKind.REORDER, action="send_event", delay=2.0))
        results: list[str] = []

        async def send(text: str) -> None:
            results.append((await client.send_message(chat.id, text)).text)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send, "held back")
            while server.faults.rules:  # its answer is held back now
                await anyio.sleep(0.005)
            tasks.start_soon(send, "overtakes")
        assert sorted(results) == ["held back", "overtakes"]
        assert stored_texts(server, chat.id) == ["no echo", "held back", "overtakes"]
        assert client.recorder.named("connection_lost") == []


async def test_a_slow_answer_times_out_and_the_late_reply_is_dropped(
    adapter: str, quiet: ReferenceServer, caplog: pytest.LogCaptureFixture
) -> None:
    server = quiet
    config = replace(FAST, request_timeout=0.2)
    async with make_client(adapter, server, config=config) as client:
        server.faults.add(FaultRule(kind=FaultKind.DELAY, action="get_chats_summary", delay=0.5))
        with caplog.at_level(logging.DEBUG, logger="customer_protocol.client"):
            with pytest.raises(RequestTimeoutError) as timed_out:
                await client.get_chats_summary()
            assert timed_out.value.code is ErrorCode.REQUEST_TIMEOUT
            with anyio.fail_after(5):  # the late reply comes and is dropped quietly
                while "dropped get_chats_summary" not in caplog.text:
                    await anyio.sleep(0.01)
        assert (await client.get_chats_summary()).total_chats == 0
        assert client.recorder.named("error") == []
        assert client.state == "connected"

"""Every seed method, end to end, in the asyncio, trio and sync adapters (reference server)."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import replace

import anyio
import anyio.to_thread
import pytest
from adapters_helpers import FAST, QUIET_SERVER, history_texts, make_client, texts

from adapters.server import ReferenceServer, serve
from customer_protocol import (
    CancelledError,
    Chat,
    CustomEvent,
    ErrorCode,
    FileEvent,
    HistoryPosition,
    InvalidArgumentsError,
    MessageEvent,
    RequestFailedError,
)

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


async def test_properties_start_chat_send_message_and_send_event(
    adapter: str, server: ReferenceServer
) -> None:
    customer_id, token = server.create_customer()
    client = make_client(adapter, server, token=token)
    assert client.state == "disconnected"  # not connected before entering
    async with client:
        assert client.state == "connected"
        assert client.customer_id == customer_id
        chat = await client.start_chat(
            events=[{"type": "message", "text": "first"}],
            properties={"source": {"page": "pricing"}},
        )
        assert isinstance(chat, Chat)
        assert customer_id in chat.users
        assert len(chat.threads) == 1
        assert chat.properties == {"source": {"page": {"value": "pricing"}}}  # as read (wire.md)

        message = await client.send_message(chat.id, "second", custom_id="mine-1")
        assert isinstance(message, MessageEvent)
        assert (message.text, message.custom_id, message.author) == (
            "second",
            "mine-1",
            customer_id,
        )
        assert message.thread == chat.threads[0]
        assert isinstance(message.timestamp, int) and message.timestamp > 10**12  # ms

        custom = await client.send_event(chat.id, {"type": "custom", "content": {"n": 1}})
        assert isinstance(custom, CustomEvent)
        assert custom.content == {"n": 1}
        assert custom.custom_id  # generated: every send is exactly-once

        # The requester gets no new_event for its own messages (only the agent's).
        replies = await client.recorder.wait_for(
            "new_event", lambda e: e.event.text == "You wrote: second"
        )
        assert replies.chat == chat.id
        own = [e for e in client.recorder.named("new_event") if e.event.author == customer_id]
        assert own == []
        history = await history_texts(client, chat.id)
        assert sorted(history) == ["You wrote: first", "You wrote: second", "first", "second"]
        assert history.index("first") < history.index("second")


async def test_close_thread_and_a_new_thread_on_the_next_message(
    adapter: str, server: ReferenceServer
) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        assert await client.close_thread(chat.id) is True
        with pytest.raises(RequestFailedError) as failed:
            await client.close_thread(chat.id)  # no active thread any more
        assert failed.value.code is ErrorCode.REQUEST_FAILED
        assert failed.value.type == "validation"
        event = await client.send_message(chat.id, "again")
        assert event.thread is not None and event.thread != chat.threads[0]
        summary = await client.get_chat_threads_summary(chat.id)
        assert summary.total_threads == 2


async def test_get_chats_summary_threads_summary_and_threads(
    adapter: str, server: ReferenceServer
) -> None:
    async with make_client(adapter, server) as client:
        first = await client.start_chat(events=[{"type": "message", "text": "one"}])
        second = await client.start_chat(events=[{"type": "message", "text": "two"}])
        summary = await client.get_chats_summary()
        assert summary.total_chats == 2
        assert {s.id for s in summary.chats_summary} == {first.id, second.id}
        page = await client.get_chats_summary(offset=1, limit=1)
        assert len(page.chats_summary) == 1 and page.total_chats == 2
        with pytest.raises(InvalidArgumentsError, match=r"max 25"):
            await client.get_chats_summary(limit=26)

        await client.close_thread(first.id)
        await client.send_message(first.id, "three")
        threads_summary = await client.get_chat_threads_summary(first.id)
        assert threads_summary.total_threads == 2
        orders = [s.order for s in threads_summary.threads_summary]
        assert orders == sorted(orders)
        assert all(s.chat == first.id for s in threads_summary.threads_summary)
        ids = [s.id for s in threads_summary.threads_summary]
        threads = await client.get_chat_threads(first.id, list(reversed(ids)))
        assert [t.id for t in threads] == ids  # sorted by order
        assert [t.active for t in threads] == [False, True]
        assert "one" in texts(threads[0].events)
        assert "three" in texts(threads[1].events)
        with pytest.raises(InvalidArgumentsError, match=r"max 1000"):
            await client.get_chat_threads_summary(first.id, limit=1001)


async def test_get_chat_history_next_and_iteration(adapter: str) -> None:
    config = replace(FAST, history_batch_events=3)  # one thread per batch below
    async with (
        serve(config=QUIET_SERVER) as server,
        make_client(adapter, server, config=config) as client,
    ):
        threads = [["m0", "m1", "m2", "m3"], ["m4", "m5", "m6"], ["m7", "m8", "m9"]]
        chat = await client.start_chat(events=[{"type": "message", "text": "m0"}])
        for index, thread in enumerate(threads):
            for text in thread[1:] if index == 0 else thread:
                await client.send_message(chat.id, text)
            if index < 2:
                await client.close_thread(chat.id)

        history = client.get_chat_history(chat.id)
        summaries = client.recorder.mark()
        batches = [await history.next() for _ in range(4)]
        assert [batch.done for batch in batches] == [False, False, True, True]
        assert [texts(batch.value or ()) for batch in batches] == [*reversed(threads), []]
        assert batches[3].value is None
        loaded = await client.recorder.wait_count("thread_summary", 3, after=summaries)
        assert {e.chat for e in loaded} == {chat.id}

        every = [text for thread in threads for text in thread]
        assert await history_texts(client, chat.id) == every  # iteration: the same, to the end


async def test_get_chat_history_resumes_from_a_saved_position(adapter: str) -> None:
    config = replace(FAST, history_batch_events=1)
    async with serve(config=QUIET_SERVER) as server:
        token = server.create_customer()[1]
        async with make_client(adapter, server, token=token, config=config) as client:
            chat = await client.start_chat(events=[{"type": "message", "text": "old"}])
            await client.close_thread(chat.id)
            await client.send_message(chat.id, "new")
            history = client.get_chat_history(chat.id)
            assert texts((await history.next()).value or ()) == ["new"]
            saved = HistoryPosition.from_dict(json.loads(json.dumps(history.position.to_dict())))
        # Another client (think: after a restart of the app) goes on where the first stopped.
        async with make_client(adapter, server, token=token, config=config) as client:
            resumed = client.get_chat_history(chat.id, position=saved)
            batch = await resumed.next()
            assert (batch.done, texts(batch.value or ())) == (True, ["old"])


async def test_update_customer_is_stored_and_sent_again_at_the_next_login(
    adapter: str, server: ReferenceServer
) -> None:
    customer_id, token = server.create_customer()
    async with make_client(adapter, server, token=token) as client:
        ok = await client.update_customer(
            name="Grace", email="grace@example.com", fields={"plan": "pro"}
        )
        assert ok is True
        record = server.core.store.customers[customer_id]
        assert (record.name, record.email, record.fields) == (
            "Grace",
            "grace@example.com",
            {"plan": "pro"},
        )
        record.name = "changed on the server"
        mark = client.recorder.mark()
        await server.restart()
        await client.recorder.wait_for("connection_restored", after=mark)
        assert server.core.store.customers[customer_id].name == "Grace"


async def test_update_last_seen_timestamp(adapter: str, server: ReferenceServer) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        stamp = await client.update_last_seen_timestamp(chat.id, 1_700_000_000_123)
        assert stamp == 1_700_000_000_000  # whole seconds on the wire
        now = await client.update_last_seen_timestamp(chat.id)
        assert now > 1_700_000_000_000
        summary = await client.get_chats_summary()
        seen = summary.chats_summary[0].last_seen_timestamps
        assert seen[client.customer_id] == now


async def test_update_chat_and_thread_properties_and_send_rating(
    adapter: str, server: ReferenceServer
) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        thread = chat.threads[0]
        assert await client.update_chat_properties(chat.id, {"shop": {"cart": 3}}) is True
        props = {"shop": {"order": "A-1"}}
        assert await client.update_chat_thread_properties(chat.id, thread, props) is True
        summary = await client.get_chats_summary()
        assert summary.chats_summary[0].properties == {"shop": {"cart": {"value": 3}}}

        rating = await client.send_rating(chat.id, "good", "helpful")
        assert (rating.chat, rating.thread, rating.value, rating.comment) == (
            chat.id,
            thread,
            "good",
            "helpful",
        )
        (loaded,) = await client.get_chat_threads(chat.id, [thread])
        assert loaded.properties == {
            "shop": {"order": {"value": "A-1"}},
            "rating": {"score": {"value": 1}, "comment": {"value": "helpful"}},
        }
        bad = await client.send_rating(chat.id, "bad")
        assert bad.value == "bad" and bad.comment is None
        with pytest.raises(InvalidArgumentsError):
            await client.send_rating(chat.id, "meh")  # type: ignore[arg-type]


async def test_set_sneak_peek_is_throttled_and_reaches_the_agent(
    adapter: str, server: ReferenceServer
) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        client.set_sneak_peek(chat.id, "h")  # leading edge: sent at once
        client.set_sneak_peek(chat.id, "he")
        client.set_sneak_peek(chat.id, "hel")  # trailing edge (0.2 s later): the latest text
        with anyio.fail_after(5):
            while [p.text for p in server.core.sneak_peeks] != ["h", "hel"]:
                await anyio.sleep(0.01)
        assert all(p.chat_id == chat.id for p in server.core.sneak_peeks)
        await client.close_thread(chat.id)
        client.set_sneak_peek(chat.id, "ignored: the chat is inactive")
        await client.get_chats_summary()  # a round trip after the peek
        assert [p.text for p in server.core.sneak_peeks] == ["h", "hel"]


async def test_send_file_with_progress_and_its_url_serves_the_bytes(
    adapter: str, server: ReferenceServer
) -> None:
    data = bytes(range(256)) * 1024  # 256 KiB: several chunks
    progress: list[tuple[int, int]] = []
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        url = await client.send_file(
            chat.id,
            data,
            filename="photo.png",
            content_type="image/png",
            on_progress=lambda sent, total: progress.append((sent, total)),
        )
        assert progress and progress[-1] == (progress[-1][1], progress[-1][1])
        assert [sent for sent, _ in progress] == sorted(sent for sent, _ in progress)
        assert progress[-1][1] > len(data)  # the multipart body around the file

        def download() -> bytes:
            with urllib.request.urlopen(url, timeout=10) as response:
                return bytes(response.read())

        assert await anyio.to_thread.run_sync(download) == data
        (thread,) = await client.get_chat_threads(chat.id, list(chat.threads))
        files = [e for e in thread.events if isinstance(e, FileEvent)]
        assert [(f.url, f.name, f.content_type) for f in files] == [(url, "photo.png", "image/png")]


async def test_send_file_cancelled_by_on_progress(adapter: str, server: ReferenceServer) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        with pytest.raises(CancelledError) as cancelled:
            await client.send_file(
                chat.id, b"x" * 300_000, filename="big.bin", on_progress=lambda *_: False
            )
        assert cancelled.value.code is ErrorCode.CANCELLED
        (thread,) = await client.get_chat_threads(chat.id, list(chat.threads))
        assert not [e for e in thread.events if isinstance(e, FileEvent)]
        assert (await client.send_message(chat.id, "still here")).text == "still here"


async def test_send_file_too_big_fails_at_once(adapter: str, server: ReferenceServer) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        with pytest.raises(InvalidArgumentsError, match=r"too big"):
            await client.send_file(chat.id, b"\0" * (10 * 1024 * 1024 + 1), filename="x.bin")


async def test_unknown_chat_is_a_request_failed_error(
    adapter: str, server: ReferenceServer
) -> None:
    async with make_client(adapter, server) as client:
        with pytest.raises(RequestFailedError):
            await client.send_message("NO-SUCH-CHAT", "hello?")
        assert client.state == "connected"

"""The async client on asyncio takes a read in asyncio's read callback (``_read_inline``).

A read that arrives while the reader task waits is fed to the core at once; the outputs that
run no user code (call results, writes, events nobody listens to) are applied there, and from
the first other one on the rest is left to a task. These tests check that the callback does
take the round trips, that listeners still run in a task and in the core's order, and that it
declines whenever the reader task must take the bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from adapters_helpers import FAST, QUIET_SERVER, WAIT

from adapters import _aiostream, _async, _common
from adapters._async import AsyncClient
from adapters.asyncio import connect
from adapters.server import ReferenceServer, serve
from customer_protocol import CallSucceeded, MessageEvent
from customer_protocol.events import Disconnected, NewEvent

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """asyncio only: trio has no read callback (its client keeps the reader task)."""
    return "asyncio"


@pytest.fixture
async def quiet() -> AsyncIterator[ReferenceServer]:
    """A reference server without the simulated agent (nothing arrives unasked)."""
    async with serve(config=QUIET_SERVER) as running:
        yield running


class Reads:
    """Counts what the callback took and what the reader task was handed."""

    def __init__(self) -> None:
        self.inline: list[tuple[bool, bool]] = []  # (taken, left work to a task)
        self.by_task = 0


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Reads]:
    seen = Reads()
    read_inline = AsyncClient._read_inline
    receive = _aiostream.AsyncioStream.receive

    def spy_inline(self: AsyncClient, link: Any, stream: Any, data: bytes) -> bool:
        taken = read_inline(self, link, stream, data)
        seen.inline.append((taken, bool(self._deferred)))
        return taken

    async def spy_receive(self: _aiostream.AsyncioStream, max_bytes: int = 65536) -> bytes:
        data = await receive(self, max_bytes)
        seen.by_task += 1
        return data

    monkeypatch.setattr(AsyncClient, "_read_inline", spy_inline)
    monkeypatch.setattr(_aiostream.AsyncioStream, "receive", spy_receive)
    yield seen


def _client(server: ReferenceServer) -> AsyncClient:
    return connect(license_id=1, token=server.create_customer()[1], url=server.url, config=FAST)


async def test_round_trips_are_taken_in_the_read_callback(
    quiet: ReferenceServer, reads: Reads
) -> None:
    async with _client(quiet) as client:
        chat = await client.start_chat()
        reads.inline.clear()
        reads.by_task = 0
        for number in range(20):
            event = await client.send_message(chat.id, f"text {number}")
            assert isinstance(event, MessageEvent) and event.text == f"text {number}"
        # Every answer came through the callback, whole: the reader task was never handed
        # bytes (nor nudged: a nudge raises WouldBlock, which the spy does not count).
        assert len(reads.inline) >= 20
        assert all(taken and not left for taken, left in reads.inline)
        assert reads.by_task == 0


async def test_requests_are_written_without_a_pump_task(
    quiet: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pumps = 0
    pump = AsyncClient._pump

    async def spy_pump(self: AsyncClient) -> None:
        nonlocal pumps
        pumps += 1
        await pump(self)

    async with _client(quiet) as client:
        chat = await client.start_chat()
        monkeypatch.setattr(AsyncClient, "_pump", spy_pump)
        for number in range(10):
            await client.send_message(chat.id, f"text {number}")
        assert pumps == 0  # each request went out from the caller, at once (_pump_now)
        # Over asyncio's high-water mark the caller pumps, and so waits for the drain.
        link = client._link
        assert link is not None and isinstance(link.stream, _aiostream.AsyncioStream)
        monkeypatch.setattr(link.stream, "writable", lambda: False)
        assert client._pump_now() is False
        event = await client.send_message(chat.id, "through _pump")
        assert isinstance(event, MessageEvent) and pumps == 1


async def test_listeners_run_in_a_task_before_the_call_they_precede_returns(
    quiet: ReferenceServer, reads: Reads
) -> None:
    seen: list[tuple[str, bool]] = []

    def listener(event: Any) -> None:
        seen.append((event.name, asyncio.current_task() is not None))

    async with _client(quiet) as client:
        chat = await client.start_chat()
        await client.close_thread(chat.id)
        client.on("*", listener)
        seen.clear()
        reads.inline.clear()
        # A message after a closed thread opens a new one: the core emits user_data and
        # thread_summary, then resolves the call (sdk.md). With a listener those events are
        # not quiet, so the callback leaves them, and the call's end after them, to a task.
        event = await client.send_message(chat.id, "again")
        seen.append(("returned", True))
        assert isinstance(event, MessageEvent)
    names = [name for name, _ in seen]
    assert names.index("thread_summary") < names.index("returned")
    assert all(in_task for _, in_task in seen)
    assert any(taken and left for taken, left in reads.inline)
    assert event.text == "again"


async def test_the_callback_declines_while_the_reader_task_must_read(
    quiet: ReferenceServer,
) -> None:
    async with _client(quiet) as client:
        chat = await client.start_chat()
        link = client._link
        assert link is not None and isinstance(link.stream, _aiostream.AsyncioStream)
        stream = link.stream
        frame = b"\x81\x02{}"  # a whole message no read of ours has fed yet
        async with client._lock:  # someone else drives the core
            assert client._read_inline(link, stream, frame) is False
        other = _async._Link(link.gen, stream, client._new_transport())
        assert client._read_inline(other, stream, frame) is False  # not the current link
        backlog = _common.Subscriber(None)
        backlog.backlog.extend(
            [NewEvent(chat="c", event=MessageEvent(id="x"))] * _common.HIGH_WATER
        )
        client._subscribers.append(backlog)
        try:  # the events() backlog is over high water: reading pauses, in the task
            assert client._read_inline(link, stream, frame) is False
        finally:
            client._subscribers.pop()
        assert not client._deferred
        # Declining touched nothing: the connection still works.
        event = await client.send_message(chat.id, "still here")
        assert isinstance(event, MessageEvent) and event.text == "still here"


async def test_a_close_taken_in_the_callback_reaches_the_listeners(
    quiet: ReferenceServer, reads: Reads
) -> None:
    disconnected = anyio.Event()
    async with _client(quiet) as client:
        client.on("disconnected", lambda event: disconnected.set())
        customer = client.customer_id
        assert customer is not None
        reads.inline.clear()
        quiet.disconnect_customer(customer, "too_many_connections")
        with anyio.fail_after(WAIT):
            await disconnected.wait()
        assert reads.inline and reads.inline[0][0]  # the callback took the closing read
        assert client.state == "disconnected"


def test_quiet_outputs_are_those_that_run_no_user_code() -> None:
    client = connect(license_id=1, token="t", url="ws://127.0.0.1:1", config=FAST)
    message = NewEvent(chat="c", event=MessageEvent(id="e"))
    done = CallSucceeded(call=1, value=None)
    assert client._quiet(message) and client._quiet(done)
    assert not client._quiet(Disconnected(reason="manual"))  # lifecycle: always a task's
    client.on("user_data", print)
    assert client._quiet(message)  # a listener of another event
    client.on("new_event", print)
    assert not client._quiet(message) and client._quiet(done)
    client.off("new_event")
    client.on("*", print)
    assert not client._quiet(message)
    client.off("*")
    assert client._quiet(message)
    client._subscribers.append(_common.Subscriber(frozenset({"user_data"})))
    assert not client._quiet(message)  # an events() iterator: delivered in a task


async def test_an_error_in_the_read_callback_fails_the_reader_task(
    quiet: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug in feeding the core must not end in asyncio's transport (logged, connection
    # dropped): the reader task raises it, as it did when it took every read.
    client = _client(quiet)
    with pytest.raises(BaseExceptionGroup) as raised:  # the whole session
        async with client:
            chat = await client.start_chat()

            def broken(link: Any, data: bytes) -> None:
                raise RuntimeError("boom")

            monkeypatch.setattr(client, "_take_read", broken)
            with anyio.fail_after(WAIT):
                await client.send_message(chat.id, "hello")
    assert raised.group_contains(RuntimeError, match="boom")

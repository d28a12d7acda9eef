"""What is specific to one adapter: async listeners, task cancellation, sync-only guards."""

from __future__ import annotations

import logging
import threading

import anyio
import pytest
from adapters_helpers import FAST_SERVER, WAIT

from adapters.asyncio import connect as connect_async
from adapters.server import run_in_thread, serve
from adapters.sync import connect as connect_sync
from adapters.tokens import AccountsFlow
from customer_protocol import NewEvent
from customer_protocol.server import FaultKind, FaultRule

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_listener_coroutines_run_as_tasks() -> None:
    seen: list[str] = []

    async def listener(event: NewEvent) -> None:
        await anyio.sleep(0)
        seen.append(event.chat)

    async with serve(config=FAST_SERVER) as server:
        client = connect_async(license_id=1, token=AccountsFlow.demo(), url=server.url)
        client.on("new_event", listener)
        with anyio.fail_after(20):
            async with client:
                chat = await client.start_chat()
                await client.send_message(chat.id, "hello")
                while not seen:
                    await anyio.sleep(0.01)
    assert seen == [chat.id]


@pytest.mark.anyio
async def test_cancelling_the_task_cancels_an_async_upload() -> None:
    async with serve(config=FAST_SERVER) as server:
        client = connect_async(license_id=1, token=AccountsFlow.demo(), url=server.url)
        with anyio.fail_after(20):
            async with client:
                chat = await client.start_chat()
                with anyio.move_on_after(0.001) as scope:
                    await client.send_file(chat.id, b"x" * 5_000_000, filename="big.bin")
                assert scope.cancelled_caught
                assert client.core.pending_calls == 0
                # the client goes on working after the cancelled upload
                event = await client.send_message(chat.id, "still here")
                assert event.thread == chat.threads[0]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_a_call_cancelled_while_it_waits_ends_once_and_the_client_goes_on() -> None:
    async with serve(config=FAST_SERVER) as server:
        client = connect_async(license_id=1, token=AccountsFlow.demo(), url=server.url)
        with anyio.fail_after(20):
            async with client:
                rule = FaultRule(kind=FaultKind.DELAY, action="get_chats_summary", delay=0.3)
                server.faults.add(rule)
                with anyio.move_on_after(0.05) as scope:
                    await client.get_chats_summary()
                assert scope.cancelled_caught
                await anyio.sleep(0.5)  # its answer arrives for a caller that is gone
                assert not server.faults.rules
                summary = await client.get_chats_summary()
                assert summary.total_chats == 0
                assert not client._waiters


def test_sync_client_refuses_coroutine_listeners_loudly(caplog: pytest.LogCaptureFixture) -> None:
    async def listener(event: NewEvent) -> None:  # pragma: no cover - never awaited by design
        raise AssertionError("a sync client cannot run coroutines")

    caplog.set_level(logging.ERROR, logger="customer_protocol.client")
    with run_in_thread(config=FAST_SERVER) as server:
        client = connect_sync(license_id=1, token=AccountsFlow.demo(), url=server.url)
        client.on("connected", listener)
        with client:
            chat = client.start_chat()
            assert chat.id
    assert any("returned an awaitable" in record.message for record in caplog.records)


def test_sync_client_wakes_its_event_thread_only_for_someone_listening() -> None:
    """Events nobody listens to stay off the event thread; a listener added later hears."""
    with (
        run_in_thread(config=FAST_SERVER) as server,
        connect_sync(license_id=1, token=AccountsFlow.demo(), url=server.url) as client,
    ):
        chat = client.start_chat()
        client.send_message(chat.id, "warm-up")  # the login's batches are delivered
        put = client._batches_put
        for i in range(5):
            client.send_message(chat.id, f"quiet {i}")
        assert client._batches_put == put  # nobody listened: no hand-over
        done = threading.Event()
        client.on("new_event", lambda event: done.set())
        client.send_message(chat.id, "hello")  # the simulated agent answers it
        assert done.wait(WAIT)
        assert client._batches_put > put


def test_sync_call_latch_wakes_its_waiter_once_set() -> None:
    from adapters.sync import _Latch

    latch = _Latch()
    assert not latch.is_set()
    woke = threading.Event()

    def waiter() -> None:
        latch.wait()
        woke.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    assert not woke.wait(0.05)  # still blocked
    latch.set()
    latch.set()  # idempotent
    assert woke.wait(WAIT)
    thread.join(WAIT)
    assert latch.is_set()
    latch.wait()  # set already: returns at once, again
    latch.wait()


def test_sync_link_writes_everything_or_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sync client's plain link is non-blocking; its writes wait for room, within a limit."""
    import socket

    from adapters import sync

    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setblocking(False)
        payload = bytes(range(256)) * 20_000  # 5 MB: more than the socket buffers hold
        received = bytearray()

        def reader() -> None:
            while len(received) < len(payload):
                received.extend(theirs.recv(1 << 16))

        thread = threading.Thread(target=reader)
        thread.start()
        sync._send_all(ours, payload)
        thread.join(WAIT)
        assert bytes(received) == payload

        monkeypatch.setattr(sync, "SEND_TIMEOUT", 0.1)
        with pytest.raises(TimeoutError):
            sync._send_all(ours, payload)  # nobody reads any more

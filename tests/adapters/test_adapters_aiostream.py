"""adapters._aiostream / _triostream: the async client's plain TCP streams behave as anyio's.

Every check runs the same exchange through our stream (``adapters._aiostream.connect_tcp`` on
asyncio, ``adapters._triostream.connect_tcp`` on trio) and through ``anyio.connect_tcp`` (the
general path each replaces) against one echo server, and compares what each saw: bytes, end
of stream, errors after closing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import _aiostream, _triostream
from adapters._aiostream import AsyncioStream, connect_tcp, running_on_asyncio

Connect = Callable[[str, int], Awaitable[anyio.abc.ByteStream]]
OURS: dict[str, Connect] = {"asyncio": connect_tcp, "trio": _triostream.connect_tcp}
BACKENDS = tuple(OURS)


def _connects(backend: str) -> dict[str, Connect]:
    return {"ours": OURS[backend], "anyio": anyio.connect_tcp}


async def _echo(stream: anyio.abc.ByteStream) -> None:
    """Echo everything back; close after the peer's EOF (or a ``b"!"`` chunk: close now)."""
    async with stream:
        while True:
            try:
                data = await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return
            if data == b"!":
                return
            await stream.send(data)


async def _with_server(job: Callable[[int], Awaitable[Any]]) -> Any:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, _echo)
        try:
            return await job(port)
        finally:
            tg.cancel_scope.cancel()


async def _round(connect: Connect, port: int, chunks: list[bytes], sizes: list[int]) -> bytes:
    stream = await connect("127.0.0.1", port)
    received = bytearray()
    total = sum(len(chunk) for chunk in chunks)
    async with stream:
        for chunk in chunks:
            await stream.send(chunk)
        for i in range(10_000):
            if len(received) >= total:
                break
            data = await stream.receive(sizes[i % len(sizes)])
            assert 0 < len(data) <= sizes[i % len(sizes)]
            received += data
        await stream.send_eof()
        with pytest.raises(anyio.EndOfStream):
            await stream.receive()
    return bytes(received)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    backend=st.sampled_from(BACKENDS),
    chunks=st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=12),
    sizes=st.lists(st.integers(min_value=1, max_value=70_000), min_size=1, max_size=5),
)
def test_bytes_and_end_of_stream_as_anyio_streams(
    backend: str, chunks: list[bytes], sizes: list[int]
) -> None:
    async def both(port: int) -> dict[str, bytes]:
        return {
            name: await _round(c, port, chunks, sizes) for name, c in _connects(backend).items()
        }

    seen = anyio.run(_with_server, both, backend=backend)
    assert seen["ours"] == seen["anyio"] == b"".join(chunks)


async def _after_close(connect: Connect, port: int) -> list[str]:
    """What receive/send raise once the stream is closed, or once the peer closed it."""
    outcomes = []
    stream = await connect("127.0.0.1", port)
    await stream.send(b"!")  # the echo server closes its side
    with pytest.raises(anyio.EndOfStream):
        while True:
            await stream.receive()
    await stream.aclose()
    for attempt in (stream.receive(), stream.send(b"x")):
        try:
            await attempt
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
    return outcomes


@pytest.mark.parametrize("backend", BACKENDS)
def test_errors_after_closing_are_anyio_s(backend: str) -> None:
    async def both(port: int) -> dict[str, list[str]]:
        return {name: await _after_close(c, port) for name, c in _connects(backend).items()}

    seen = anyio.run(_with_server, both, backend=backend)
    assert seen["ours"] == seen["anyio"] == ["ClosedResourceError", "ClosedResourceError"]


def test_reading_pauses_over_the_limit_and_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_aiostream, "READ_LIMIT", 4096)
    payload = bytes(range(256)) * 200  # 51,200 bytes echoed while nobody reads

    async def job(port: int) -> bytes:
        stream = await connect_tcp("127.0.0.1", port)
        assert isinstance(stream, AsyncioStream)
        async with stream:
            await stream.send(payload)
            with anyio.fail_after(5):
                while not stream._protocol.paused_reading:
                    await anyio.sleep(0.01)
            received = bytearray()
            while len(received) < len(payload):
                received += await stream.receive(1000)
            assert not stream._protocol.paused_reading
            return bytes(received)

    assert asyncio.run(_with_server(job)) == payload


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_second_concurrent_reader_is_refused(backend: str) -> None:
    async def job(port: int) -> None:
        stream = await OURS[backend]("127.0.0.1", port)
        async with stream, anyio.create_task_group() as tg:
            tg.start_soon(stream.receive)
            await anyio.sleep(0.05)
            with pytest.raises(anyio.BusyResourceError):
                await stream.receive()
            tg.cancel_scope.cancel()

    anyio.run(_with_server, job, backend=backend)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_client_picks_it_on_asyncio_only(backend: str) -> None:
    async def probe() -> bool:
        return running_on_asyncio()

    assert anyio.run(probe, backend=backend) is (backend == "asyncio")


@pytest.mark.parametrize("backend", BACKENDS)
def test_refused_connections_raise_oserror(backend: str) -> None:
    async def job() -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        await listener.aclose()
        with pytest.raises(OSError):
            await OURS[backend]("127.0.0.1", port)

    anyio.run(job, backend=backend)


def test_a_read_that_did_not_wait_still_lets_other_tasks_run() -> None:
    """A peer keeping the socket readable cannot starve the trio client's other tasks."""

    async def job(port: int) -> int:
        stream = await _triostream.connect_tcp("127.0.0.1", port)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await anyio.sleep(0)

        async with stream, anyio.create_task_group() as tg:
            await stream.send(b"x" * 200_000)
            await anyio.sleep(0.2)  # all of it echoed back, waiting in the socket buffer
            tg.start_soon(ticker)
            before = ticks
            for _ in range(50):
                await stream.receive(10)  # ready every time: no waiting
            tg.cancel_scope.cancel()
            return ticks - before

    assert anyio.run(_with_server, job, backend="trio") >= 40


# --------------------------------------------------------------------------------------------
# The read buffer: one per thread, shared by its connections (1,000 customers in one process
# took 64 KiB more per connection with a buffer each)


def test_the_connections_of_a_thread_share_one_read_buffer() -> None:
    async def main() -> None:
        first, second = _aiostream._Protocol(), _aiostream._Protocol()
        buffer = first.get_buffer(-1)
        assert second.get_buffer(-1).obj is buffer.obj
        # What a read put there is the connection's own once buffer_updated returns.
        buffer[:5] = b"first"
        first.buffer_updated(5)
        second.get_buffer(-1)[:6] = b"second"
        second.buffer_updated(6)
        assert list(first.chunks) == [b"first"]
        assert list(second.chunks) == [b"second"]

    asyncio.run(main())


def test_each_thread_reads_into_its_own_buffer() -> None:
    import threading

    seen: list[object] = []

    def run() -> None:
        async def main() -> None:
            seen.append(_aiostream._Protocol().get_buffer(-1).obj)

        asyncio.run(main())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 2
    assert seen[0] is not seen[1]


# --------------------------------------------------------------------------------------------
# The inline handler (the async client's read callback path), nudges and write_nowait


def test_the_inline_handler_sees_reads_only_while_the_reader_waits() -> None:
    async def job(port: int) -> None:
        stream = await connect_tcp("127.0.0.1", port)
        offered: list[bytes] = []
        take = True

        def handler(data: bytes) -> bool:
            offered.append(data)
            return take

        async with stream, anyio.create_task_group() as tg:
            stream.set_inline(handler)
            # Nobody waits in receive(): the echo is buffered, the handler not asked.
            await stream.send(b"early")
            await anyio.sleep(0.1)
            assert offered == []
            assert await stream.receive() == b"early"
            # A waiting receive(): the handler takes the bytes; a nudge ends the wait once.
            got: list[Any] = []

            async def reader() -> None:
                try:
                    got.append(await stream.receive())
                except anyio.WouldBlock:
                    got.append("nudged")

            tg.start_soon(reader)
            await anyio.sleep(0.05)
            assert stream.write_nowait(b"taken")
            with anyio.fail_after(5):
                while not offered:
                    await anyio.sleep(0.01)
            assert offered == [b"taken"] and got == []
            stream.nudge()
            await anyio.sleep(0.05)
            assert got == ["nudged"]
            # Declined (False): receive() returns the bytes as without a handler.
            take = False
            tg.start_soon(reader)
            await anyio.sleep(0.05)
            await stream.send(b"declined")
            with anyio.fail_after(5):
                while len(got) < 2:
                    await anyio.sleep(0.01)
            assert got[1] == b"declined" and offered[-1] == b"declined"
            stream.set_inline(None)
            # writable(): under asyncio's high-water mark (what send() would not wait for).
            assert stream.writable()
            stream._protocol.pause_writing()
            assert not stream.writable()
            stream._protocol.resume_writing()
            assert stream.writable()
        assert not stream.write_nowait(b"after close")
        assert not stream.writable()

    anyio.run(_with_server, job, backend="asyncio")

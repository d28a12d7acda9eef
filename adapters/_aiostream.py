"""A plain TCP byte stream straight on asyncio's transport, for the async client's link.

anyio's asyncio ``SocketStream`` pauses reading after every ``receive`` and resumes it before
the next (two ``epoll_ctl`` calls per read), and yields to the event loop after every ``send``
(one more loop iteration). For a request round trip that is a third of the driver's cost, so
on asyncio the client's plain (non-TLS) connections use this stream instead: reading stays on
while the buffer is small, and ``send`` returns once asyncio accepted the bytes, waiting only
when its write buffer is over the high-water mark. Errors are anyio's (``EndOfStream``,
``BrokenResourceError``, ``ClosedResourceError``) and ``OSError``, as from ``anyio.connect_tcp``.
TLS connections and the trio backend keep anyio's streams.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Callable

import anyio
import anyio.abc
import anyio.lowlevel

__all__ = ["AsyncioStream", "connect_tcp", "running_on_asyncio"]

#: Buffered unread bytes above which reading pauses (resumed below half of it).
READ_LIMIT = 1 << 18
#: The most one read takes from the socket.
READ_SIZE = 1 << 16


def running_on_asyncio() -> bool:
    """Whether the current task runs on an asyncio event loop (not trio)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_THREAD = threading.local()


def _read_buffer() -> memoryview:
    """This thread's read buffer (its event loop's connections share it; see _Protocol)."""
    view: memoryview | None = getattr(_THREAD, "view", None)
    if view is None:
        view = _THREAD.view = memoryview(bytearray(READ_SIZE))
    return view


class _Protocol(asyncio.BufferedProtocol):
    """Buffers what arrives and wakes the one reader; tracks write flow control.

    A buffered protocol: asyncio reads into one reused 64 KiB buffer (``recv_into``) instead
    of allocating a 256 KiB bytes object per read, whose allocation, shrinking and release
    were three more syscalls (``mmap``, ``mremap``, ``munmap``) per read. The buffer is the
    thread's (:func:`_read_buffer`), not the connection's: what a read put there is copied
    out in ``buffer_updated``, which asyncio calls right after the read, so the connections
    of one event loop can share it (a buffer each cost 64 KiB per connection: 1,000
    customers in one process took 98 KiB per client instead of 35).
    """

    def __init__(self) -> None:
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0
        self.eof = False
        self.error: BaseException | None = None
        self.reader: asyncio.Future[None] | None = None
        self.drain: asyncio.Future[None] | None = None
        self.paused_reading = False
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.view = _read_buffer()
        # AsyncioStream.set_inline: a handler offered each read while the reader waits.
        self.inline: Callable[[bytes], bool] | None = None
        self.nudged = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        view = self.view = _read_buffer()
        return view

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self.view[:nbytes]))

    def data_received(self, data: bytes) -> None:
        inline, reader = self.inline, self.reader
        # Only while the reader waits with nothing buffered: the handler then sees the bytes
        # in the order they came, before anything read later.
        if inline is not None and reader is not None and not reader.done() and inline(data):
            return
        self.chunks.append(data)
        self.size += len(data)
        if self.size > READ_LIMIT and not self.paused_reading and self.transport is not None:
            self.paused_reading = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        if exc is not None:
            self.error = exc
        self._wake_reader()
        self.resume_writing()
        if not self.closed.done():
            self.closed.set_result(None)

    def pause_writing(self) -> None:
        if self.drain is None:
            self.drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        drain, self.drain = self.drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def _wake_reader(self) -> None:
        reader = self.reader
        if reader is not None and not reader.done():
            reader.set_result(None)


class AsyncioStream(anyio.abc.ByteStream):
    """An anyio byte stream over an asyncio transport (see the module docstring)."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._closed = False

    async def receive(self, max_bytes: int = 65536) -> bytes:
        """The next bytes read (at most ``max_bytes``); waits while none are buffered."""
        protocol = self._protocol
        chunks = protocol.chunks
        while not chunks:
            if self._closed:
                raise anyio.ClosedResourceError
            if protocol.error is not None:
                raise anyio.BrokenResourceError from protocol.error
            if protocol.eof:
                raise anyio.EndOfStream
            if protocol.nudged:
                protocol.nudged = False
                raise anyio.WouldBlock
            if protocol.reader is not None:
                raise anyio.BusyResourceError("reading from")
            reader = protocol.reader = asyncio.get_running_loop().create_future()
            try:
                await reader
            finally:
                protocol.reader = None
        chunk = chunks.popleft()
        if len(chunk) > max_bytes:
            chunk, rest = chunk[:max_bytes], chunk[max_bytes:]
            chunks.appendleft(rest)
        protocol.size -= len(chunk)
        if protocol.paused_reading and protocol.size <= READ_LIMIT // 2:
            protocol.paused_reading = False
            self._transport.resume_reading()
        return chunk

    def set_inline(self, handler: Callable[[bytes], bool] | None) -> None:
        """Offer each read to ``handler`` first, in asyncio's read callback, while a
        :meth:`receive` waits and nothing is buffered (``None``: stop).

        ``handler(data)`` returns ``True`` when it took the bytes (they are then not returned
        by :meth:`receive`), ``False`` to leave them to :meth:`receive`. It runs outside any
        task: it must not await, and should not run user code. Bytes read while the handler
        is set but the reader is busy are buffered as usual.
        """
        self._protocol.inline = handler

    def nudge(self) -> None:
        """Wake a waiting :meth:`receive` without data: it raises ``anyio.WouldBlock`` once
        (the inline handler left work for the reader's task)."""
        protocol = self._protocol
        protocol.nudged = True
        protocol._wake_reader()

    def writable(self) -> bool:
        """Whether :meth:`send` would return without waiting (asyncio's write buffer is
        under its high-water mark and the stream is open)."""
        protocol = self._protocol
        return not self._closed and protocol.drain is None and protocol.error is None

    def write_nowait(self, item: bytes) -> bool:
        """Hand ``item`` to asyncio now, without waiting for its write buffer to drain (the
        next :meth:`send` waits if needed); ``False`` when the stream is closed or broken."""
        protocol = self._protocol
        if self._closed or protocol.error is not None or self._transport.is_closing():
            return False
        self._transport.write(item)
        return True

    async def send(self, item: bytes) -> None:
        """Hand ``item`` to asyncio; waits only while its write buffer is over high water."""
        if self._closed:
            raise anyio.ClosedResourceError
        protocol = self._protocol
        if protocol.error is not None or self._transport.is_closing():
            raise anyio.BrokenResourceError from protocol.error
        self._transport.write(item)
        drain = protocol.drain
        if drain is not None:
            await asyncio.shield(drain)
            if protocol.error is not None:
                raise anyio.BrokenResourceError from protocol.error

    async def send_eof(self) -> None:
        """Close the sending side (a TCP FIN)."""
        self._transport.write_eof()

    async def aclose(self) -> None:
        """Close the socket; bytes asyncio still buffers are flushed first (while waited for).

        Cancelled while flushing, or with nothing buffered, the connection is aborted (as
        anyio's stream closes it).
        """
        self._closed = True
        transport, protocol = self._transport, self._protocol
        protocol._wake_reader()
        if transport.get_write_buffer_size() and not transport.is_closing():
            transport.close()
            try:
                await asyncio.shield(protocol.closed)
            finally:
                transport.abort()
        else:
            transport.abort()
            await anyio.lowlevel.checkpoint()


async def connect_tcp(host: str, port: int) -> AsyncioStream:
    """Open a TCP connection (on the running asyncio loop) as an :class:`AsyncioStream`.

    The resolved addresses are tried in turn (asyncio's happy eyeballs is not used: on
    Python 3.11 a cancelled race can leave a socket unclosed). asyncio sets ``TCP_NODELAY``
    on TCP transports, as anyio does.
    """
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(_Protocol, host, port)
    return AsyncioStream(transport, protocol)

"""A plain TCP byte stream for the async client on trio: reads and writes its socket directly.

trio's socket operations yield to the scheduler after every successful ``recv`` and ``send``
(a ``cancel_shielded_checkpoint`` each), which is two scheduler passes of a request round
trip. This stream wraps the connected stream ``anyio.connect_tcp`` returns (which keeps
connecting, options and closing) and does the reads and writes itself on its non-blocking
socket: it waits (``wait_readable`` / ``wait_writable``, cancellation points) only when the
socket is not ready, and yields once after a read that did not wait, so a peer that keeps
the socket readable cannot starve the other tasks. Errors are anyio's, as from anyio's
stream. TLS connections keep anyio's streams.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc
import trio

__all__ = ["TrioSocketStream", "connect_tcp"]


async def _wait(wait: Callable[[socket.socket], Awaitable[None]], sock: socket.socket) -> None:
    """``wait(sock)`` with trio's errors as anyio's (closed meanwhile, another waiter)."""
    try:
        await wait(sock)
    except trio.ClosedResourceError:
        raise anyio.ClosedResourceError from None
    except trio.BusyResourceError:
        raise anyio.BusyResourceError("waiting on") from None


class TrioSocketStream(anyio.abc.ByteStream):
    """An anyio byte stream over the socket of anyio's trio stream ``inner``."""

    def __init__(self, inner: anyio.abc.SocketStream) -> None:
        self._inner = inner
        self._sock: socket.socket = inner.extra(anyio.abc.SocketAttribute.raw_socket)
        self._closed = False
        self._reading = False

    async def receive(self, max_bytes: int = 65536) -> bytes:
        """The next bytes read (at most ``max_bytes``); waits while none are available."""
        if self._reading:
            raise anyio.BusyResourceError("reading from")
        self._reading = True
        try:
            waited = False
            while True:
                if self._closed:
                    raise anyio.ClosedResourceError
                try:
                    data = self._sock.recv(max_bytes)
                except BlockingIOError:
                    await _wait(trio.lowlevel.wait_readable, self._sock)
                    waited = True
                    continue
                except OSError as exc:
                    if self._closed:
                        raise anyio.ClosedResourceError from None
                    raise anyio.BrokenResourceError from exc
                if not waited:
                    await trio.lowlevel.checkpoint()
                if not data:
                    raise anyio.EndOfStream
                return data
        finally:
            self._reading = False

    async def send(self, item: bytes) -> None:
        """Write all of ``item``; waits only while the socket's send buffer is full."""
        view = memoryview(item)
        while view:
            if self._closed:
                raise anyio.ClosedResourceError
            try:
                sent = self._sock.send(view)
            except BlockingIOError:
                await _wait(trio.lowlevel.wait_writable, self._sock)
                continue
            except OSError as exc:
                if self._closed:
                    raise anyio.ClosedResourceError from None
                raise anyio.BrokenResourceError from exc
            view = view[sent:]

    async def send_eof(self) -> None:
        """Close the sending side (a TCP FIN)."""
        await self._inner.send_eof()

    async def aclose(self) -> None:
        """Close the connection (anyio's stream closes the socket)."""
        self._closed = True
        await self._inner.aclose()


async def connect_tcp(host: str, port: int) -> TrioSocketStream:
    """Connect as ``anyio.connect_tcp`` does, as a :class:`TrioSocketStream`."""
    return TrioSocketStream(await anyio.connect_tcp(host, port))

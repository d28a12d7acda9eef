"""Two message-transport endpoints joined in memory: the worked example of a transport.

What one endpoint sends, the other endpoint's :meth:`MemoryEndpoint.events` yields; there are
no bytes and no I/O, so tests can run a client core against a server core in one thread::

    client, server = memory_pair()
    client.send_message(b'{"action": "login"}')
    assert list(server.events()) == [Opened(), Message(data=b'{"action": "login"}')]

It behaves like the WebSocket transport: both endpoints start with an :class:`Opened` event;
pings are answered at once (the pinger gets a :class:`Pong`); ``close(code, reason)`` gives
*both* endpoints ``Closed(code, reason)`` (the closing handshake completes at once); a message
larger than the receiver's ``max_message_size`` closes the connection with 1009 (receiver:
``Closed(code=1009, error=MessageTooBig(...))``, sender: ``Closed(code=1009)``); sending after
close is a no-op; :meth:`MemoryEndpoint.abort` stands for a lost connection (``Closed(1006)``
on both sides).
"""

from __future__ import annotations

from collections.abc import Iterator

from transports.base import (
    CloseCode,
    Closed,
    Message,
    MessageTooBig,
    Opened,
    Pong,
    TransportEvent,
)

__all__ = ["MemoryEndpoint", "memory_pair"]


class MemoryEndpoint:
    """One end of a :func:`memory_pair`; implements :class:`transports.base.MessageTransport`."""

    __slots__ = ("_closed", "_events", "_max", "_peer", "name")

    def __init__(self, *, name: str, max_message_size: int | None = None) -> None:
        """Create an unconnected endpoint; use :func:`memory_pair` instead."""
        self.name = name
        self._max = max_message_size
        self._peer: MemoryEndpoint | None = None
        self._closed = False
        self._events: list[TransportEvent] = [Opened()]

    @property
    def closed(self) -> bool:
        """True once this endpoint reported (or has pending) its :class:`Closed` event."""
        return self._closed

    def send_message(self, data: bytes) -> None:
        """Deliver one complete message to the peer; a no-op once closed."""
        peer = self._peer
        if self._closed or peer is None:
            return
        if peer._max is not None and len(data) > peer._max:
            error = MessageTooBig(f"message over {peer._max} bytes")
            peer._close(Closed(code=error.close_code, reason=error.message, error=error))
            self._close(Closed(code=error.close_code, reason=error.message))
            return
        peer._events.append(Message(data=bytes(data)))

    def send_ping(self, payload: bytes = b"") -> None:
        """Ping the peer; it answers at once, so the next :meth:`events` yields a Pong."""
        if not self._closed:
            self._events.append(Pong(payload=bytes(payload)))

    def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """Close both endpoints: each gets ``Closed(code, reason)``. Idempotent."""
        if self._closed:
            return
        if self._peer is not None:
            self._peer._close(Closed(code=code, reason=reason))
        self._close(Closed(code=code, reason=reason))

    def abort(self) -> None:
        """Simulate a lost connection: both endpoints get ``Closed(code=1006)``. Idempotent."""
        if self._closed:
            return
        if self._peer is not None:
            self._peer._close(Closed(code=CloseCode.ABNORMAL))
        self._close(Closed(code=CloseCode.ABNORMAL))

    def events(self) -> Iterator[TransportEvent]:
        """Return (and forget) every event since the last call, oldest first."""
        events = self._events
        self._events = []
        return iter(events)

    def _close(self, closed: Closed) -> None:
        if not self._closed:
            self._closed = True
            self._events.append(closed)

    def __repr__(self) -> str:
        return f"<MemoryEndpoint {self.name} {'closed' if self._closed else 'open'}>"


def memory_pair(*, max_message_size: int | None = None) -> tuple[MemoryEndpoint, MemoryEndpoint]:
    """Return ``(client, server)``, two endpoints joined to each other, both already open.

    ``max_message_size`` (bytes, default unlimited) applies to what each endpoint receives.
    """
    client = MemoryEndpoint(name="client", max_message_size=max_message_size)
    server = MemoryEndpoint(name="server", max_message_size=max_message_size)
    client._peer = server
    server._peer = client
    return client, server

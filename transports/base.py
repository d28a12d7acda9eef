"""What every RTM message transport looks like to the layers above it.

A *message transport* carries whole messages (the bytes of one JSON document) between a client
and a server, and reports what happened as :data:`TransportEvent` values. It does no I/O:

* a byte-framed transport (``transports.websocket``) is fed the bytes read from the network with
  :meth:`ByteTransport.receive_data` and hands the bytes to write back from
  :meth:`ByteTransport.data_to_send`. **End of stream is spelled ``receive_data(b"")``**, in every
  transport of this project (one convention, as in h11).
* an in-memory transport (``transports.memory``) has no bytes at all: what one endpoint sends,
  the other endpoint's :meth:`MessageTransport.events` yields.

After every input, drain :meth:`MessageTransport.events` (and, for a byte transport, write
:meth:`ByteTransport.data_to_send`) before feeding the next input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = [
    "ByteTransport",
    "CloseCode",
    "Closed",
    "HandshakeRejected",
    "InvalidPayload",
    "Message",
    "MessageTooBig",
    "MessageTransport",
    "Opened",
    "Pong",
    "ProtocolViolation",
    "TransportError",
    "TransportEvent",
    "UnsupportedData",
]


class CloseCode:
    """WebSocket close codes used by this project (RFC 6455 section 7.4.1)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS = 1005
    ABNORMAL = 1006
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011


class TransportError(Exception):
    """Base class of errors a transport reports (it never raises them into its driver).

    :attr:`close_code` is the WebSocket close code the transport sent (or would send) because
    of the error.
    """

    close_code: int = CloseCode.PROTOCOL_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TransportError):
            return NotImplemented
        return type(self) is type(other) and self.message == other.message

    def __hash__(self) -> int:
        return hash((type(self), self.message))


class ProtocolViolation(TransportError):
    """The peer broke the framing protocol (close code 1002)."""

    close_code = CloseCode.PROTOCOL_ERROR


class UnsupportedData(TransportError):
    """The peer sent a binary message; RTM is text only (close code 1003)."""

    close_code = CloseCode.UNSUPPORTED_DATA


class InvalidPayload(TransportError):
    """A text message was not valid UTF-8 (close code 1007)."""

    close_code = CloseCode.INVALID_PAYLOAD


class MessageTooBig(TransportError):
    """A message exceeded the configured size limit (close code 1009)."""

    close_code = CloseCode.MESSAGE_TOO_BIG


class HandshakeRejected(TransportError):
    """The opening handshake failed; :attr:`status_code` is the HTTP status (0 if none)."""

    close_code = CloseCode.ABNORMAL

    def __init__(self, message: str, *, status_code: int = 0) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True, slots=True, kw_only=True)
class Opened:
    """The connection is open; messages may flow.

    On the server side :attr:`target` is the request target and :attr:`headers` the request
    headers (lower-cased names); on the client side, the response headers.
    """

    target: str = ""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One complete text message, as UTF-8 bytes."""

    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Pong:
    """The peer answered a keepalive ping."""

    payload: bytes = b""


@dataclass(frozen=True, slots=True, kw_only=True)
class Closed:
    """The connection is over; nothing more will be received.

    :attr:`code` is the close code the peer sent (or :attr:`CloseCode.ABNORMAL` when the stream
    ended without a closing handshake); :attr:`error` is set when the transport closed because
    of bad input.
    """

    code: int = CloseCode.NORMAL
    reason: str = ""
    error: TransportError | None = field(default=None)


TransportEvent = Opened | Message | Pong | Closed


@runtime_checkable
class MessageTransport(Protocol):
    """The interface the drivers (adapters) use for an RTM connection."""

    def send_message(self, data: bytes) -> None:
        """Queue one complete text message (UTF-8 JSON bytes) for the peer."""

    def send_ping(self) -> None:
        """Queue a keepalive ping; a :class:`Pong` event reports the answer."""

    def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """Start (or answer) the closing handshake. Idempotent."""

    def events(self) -> Iterator[TransportEvent]:
        """Yield, and forget, every event that has happened since the last call."""
        ...


@runtime_checkable
class ByteTransport(MessageTransport, Protocol):
    """A message transport framed on a byte stream."""

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the network; ``b""`` means the peer closed the stream."""

    def data_to_send(self) -> bytes:
        """Return (and forget) the bytes to write to the network now. May be empty."""
        ...

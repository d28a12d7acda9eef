"""What both WebSocket client transports share: the RTM target, limits, states and checks.

:mod:`transports.websocket` (wsproto) and :mod:`transports.websocket_fast` (websockets'
sans-IO protocol) import these; neither imports the other's framing library through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum

from customer_protocol.endpoints import LEGACY_API, address_query, rtm_path
from customer_protocol.models import slot_builder
from transports.base import Message, TransportEvent

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "RTM_PATH",
    "FramedEndpoint",
    "NotOpenError",
    "WebSocketState",
    "check_close_code",
    "check_ping_payload",
    "make_bh",
    "new_message",
    "rejected_message",
    "rtm_target",
]

#: The path of the v0.3 RTM endpoint (``spec/wire.md`` section 1); v3 paths come from
#: :func:`customer_protocol.endpoints.rtm_path`.
RTM_PATH = rtm_path(LEGACY_API)

#: ``Message(data=...)`` for the hot path: fills the slot without the keyword binding of the
#: frozen dataclass's ``__init__`` (the instances are identical).
new_message = slot_builder(Message, ("data",))

#: Default limit on one complete inbound message, in bytes.
DEFAULT_MAX_MESSAGE_SIZE = 1 << 20

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_BH_DIGITS = 10  # 36**10 < 2**53: every digit comes from the float's mantissa

# Close codes a local endpoint may put in a close frame (RFC 6455 section 7.4; those wsproto's
# parser accepts), plus 3000-4999.
_SENDABLE_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013})


class NotOpenError(RuntimeError):
    """Raised by ``send_message``/``send_ping`` before the opening handshake completed.

    Wait for the :class:`~transports.base.Opened` event before sending.
    """


class WebSocketState(Enum):
    """Where a WebSocket client or server transport stands."""

    #: The opening handshake is in progress; nothing can be sent yet.
    CONNECTING = "connecting"
    #: Messages flow both ways.
    OPEN = "open"
    #: We sent a close frame and wait for the peer's; messages still arrive.
    CLOSING = "closing"
    #: :class:`~transports.base.Closed` was reported; write data_to_send() and close the socket.
    CLOSED = "closed"


class FramedEndpoint:
    """What every WebSocket endpoint of both transports holds: its state, the message size
    limit (and the feeding chunk it implies), the message being reassembled and the events."""

    __slots__ = ("_chunk", "_events", "_max", "_parts", "_size", "_state")

    def __init__(self, max_message_size: int) -> None:
        if isinstance(max_message_size, bool) or max_message_size < 1:
            raise ValueError(f"max_message_size must be >= 1, got {max_message_size!r}")
        self._max = max_message_size
        # Never hand the framing library more than this at once: it buffers whatever it gets.
        self._chunk = max(max_message_size, 1 << 16)
        self._state = WebSocketState.CONNECTING
        self._events: list[TransportEvent] = []
        self._parts: list[bytes] = []  # fragments of the message being reassembled
        self._size = 0  # bytes in _parts

    @property
    def state(self) -> WebSocketState:
        """The connection state; :attr:`WebSocketState.CLOSED` once Closed was reported."""
        return self._state

    @property
    def max_message_size(self) -> int:
        """The largest inbound message accepted, in bytes."""
        return self._max

    def events(self) -> Iterator[TransportEvent]:
        """Return (and forget) every event since the last call, oldest first.

        After a :class:`~transports.base.Closed` event nothing else will ever be reported.
        """
        events = self._events
        self._events = []
        return iter(events)


def make_bh(rng: Callable[[], float]) -> str:
    """Build a ``bh`` load-balancer parameter (10 base-36 digits) from ``rng()`` in [0, 1).

    Pass e.g. ``random.random``; the transport itself never draws randomness.
    """
    value = rng()
    if not 0.0 <= value < 1.0:
        raise ValueError(f"rng() must return a float in [0, 1), got {value!r}")
    number = int(value * 36**_BH_DIGITS)
    digits = []
    for _ in range(_BH_DIGITS):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(reversed(digits))


def rtm_target(
    *,
    license_id: int | None = None,
    bh: str = "",
    path_prefix: str = "",
    api: str = LEGACY_API,
    organization_id: str | None = None,
) -> str:
    """Return the request target of the RTM opening handshake.

    v0.3 (the default): ``{path_prefix}/customer/v0.3/rtm/ws?license_id=<id>&bh=<bh>`` (an
    empty ``bh`` is left out). v3 (``api="3.4"``, ``"3.5"`` or ``"3.6"``):
    ``{path_prefix}/v<api>/customer/rtm/ws?organization_id=<id>``; ``bh`` is a v0.3 parameter
    and is left out. Raises :class:`ValueError` for an unknown ``api``, a missing or invalid
    id (a positive int ``license_id`` for v0.3, a non-empty ``organization_id`` for v3, never
    both), a ``bh`` that is not lower-case base 36, or a ``path_prefix`` that does not start
    with ``/``.
    """
    query = address_query(api, license_id=license_id, organization_id=organization_id)
    if bh and not all(char in _BASE36 for char in bh):
        raise ValueError(f"bh must be lower-case base 36, got {bh!r}")
    prefix = path_prefix.rstrip("/")
    if prefix and (not prefix.startswith("/") or "?" in prefix or "#" in prefix):
        raise ValueError(f"path_prefix must be a path starting with '/', got {path_prefix!r}")
    target = f"{prefix}{rtm_path(api)}?{query}"
    return f"{target}&bh={bh}" if bh and api == LEGACY_API else target


def check_close_code(code: int) -> None:
    """Raise :class:`ValueError` unless a peer may put ``code`` in a close frame."""
    if code not in _SENDABLE_CODES and not 3000 <= code <= 4999:
        raise ValueError(f"close code {code} cannot be sent in a close frame")


def check_ping_payload(payload: bytes) -> None:
    """Raise :class:`ValueError` for a ping payload over 125 bytes."""
    if len(payload) > 125:
        raise ValueError("a ping payload is at most 125 bytes")


def rejected_message(status: int) -> str:
    """The reason reported when the server answered the opening handshake with ``status``."""
    return f"the server answered HTTP {status} instead of 101"

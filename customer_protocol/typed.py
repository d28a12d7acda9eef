"""Typed decoding of the common push on ``msgspec`` (the ``speedups`` extra), for the engine.

Most of what a client receives is one shape: an ``incoming_event`` push, without a
``request_id`` of ours, carrying a plain ``message``. With ``msgspec`` installed (and
:func:`customer_protocol.codec.use_msgspec` on, the default then) the engine first decodes a
message against an exact description of that shape, per dialect, in one C pass: no
intermediate dicts, no separate strictness checks. It then builds the same
:class:`~customer_protocol.events.NewEvent` the general path builds.

The description accepts only what the general path (:func:`customer_protocol.codec.loads`,
then the dialect's ``incoming_event`` handler and its one-pass ``plain_message``) accepts and
turns into exactly that event: no unknown key anywhere (the general parser keeps extras),
integers within 64 signed bits, property values that are scalars (so nothing can nest deeply), a
``request_id`` absent, null or empty. Anything else, and any error at all, returns ``None``
and the general path decides (its event, or its error). ``fuzz/test_fuzz_typed.py`` checks
the two paths against each other over many variants. The v3 description also takes a
``recipients`` key (v3.6 sends it on every message), which the general path keeps in ``extra``.

``msgspec`` is imported on the first decode, not with this module: importing it loads
``uuid`` and ``socket``, and importing the core must not (``design.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

from .events import NewEvent, SDKEvent
from .models import _EMPTY, MessageEvent, slot_builder
from .rfc3339 import parse_ms

__all__ = ["decoder_for", "incoming_event_v03", "incoming_event_v3"]

_build_new_event: Final = slot_builder(NewEvent, ("chat", "event"))
_build_message: Final = slot_builder(
    MessageEvent,
    ("id", "type", "author", "timestamp", "thread", "custom_id", "properties", "extra", "text"),
)

# The two decoders' ``decode`` methods, built on first use (see the module docstring).
_decode_v03: Any = None
_decode_v3: Any = None
# What spares a message the decode it would fail (about 0.8 us with its exception, against
# 0.05-0.1 us for these tests): a message is tried when it starts with PREFIX, or else names
# MARK, unless it starts with a request id of ours (OURS, not OURS_EMPTY: the reference
# server's and the bench server's key order for the push answering a request), which the
# description rejects. One with an escaped action is left to the general path too.
# (PREFIX, MARK, OURS, OURS_EMPTY), for bytes and for str messages.
_BYTES_MARKS: Final[tuple[Any, ...]] = (
    b'{"action":"incoming_event"',
    b'"incoming_event"',
    b'{"request_id":"',
    b'{"request_id":"",',
)
_TEXT_MARKS: Final[tuple[Any, ...]] = tuple(mark.decode() for mark in _BYTES_MARKS)


def _load() -> tuple[Any, Any]:
    """Build the ``msgspec`` decoders (imports ``msgspec``)."""
    global _decode_v03, _decode_v3  # noqa: PLW0603 - built once, lazily
    import msgspec  # noqa: PLC0415 - deferred on purpose, see the module docstring

    def struct(name: str, fields: list[tuple[Any, ...]]) -> Any:
        return msgspec.defstruct(name, fields, forbid_unknown_fields=True, gc=False)

    # codec.loads accepts integers in (-2**64, 2**64); msgspec bounds fit in 64 signed bits.
    # Each occurrence of a key is checked (a duplicate key keeps the last, as json does).
    integer = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
    scalar = str | integer | bool | None  # no floats: 1e400 and rounding stay the codec's
    properties = dict[str, dict[str, scalar]] | None
    optional = str | None

    def envelope(name: str, event: Any) -> Any:
        payload = struct(f"{name}Payload", [("chat_id", str), ("thread_id", str), ("event", event)])
        return struct(
            name,
            [
                ("action", Literal["incoming_event"]),
                ("type", Literal["push"]),
                ("payload", payload),
                ("request_id", Literal[""] | None, None),
            ],
        )

    message_v03 = struct(
        "MessageV03",
        [
            ("id", str),
            ("order", integer),
            ("type", Literal["message"]),
            ("text", str),
            ("timestamp", integer),
            ("author_id", optional, None),
            ("custom_id", optional, None),
            ("properties", properties, None),
            ("thread_id", optional, None),  # a known key; the push's thread wins
        ],
    )
    message_v3 = struct(
        "MessageV3",
        [
            ("id", str),
            ("type", Literal["message"]),
            ("text", str),
            ("created_at", optional, None),
            ("author_id", optional, None),
            ("custom_id", optional, None),
            ("properties", properties, None),
            ("thread_id", optional, None),
            # Not a message key of ours: the general parser keeps it in ``extra``.
            ("recipients", str | msgspec.UnsetType, msgspec.UNSET),
        ],
    )
    _decode_v03 = msgspec.json.Decoder(envelope("PushV03", message_v03)).decode
    _decode_v3 = msgspec.json.Decoder(envelope("PushV3", message_v3)).decode
    return _decode_v03, _decode_v3


def _decode(data: bytes | str, dialect: int) -> Any:
    """``data`` decoded by the typed decoder of ``dialect`` (0: v0.3, 1: v3), or ``None``."""
    try:
        # Another buffer than bytes raises here (a str in a bytearray, no startswith on a
        # memoryview): the general path decides.
        prefix, mark, ours, ours_empty = _BYTES_MARKS if type(data) is bytes else _TEXT_MARKS
        if not data.startswith(prefix) and (
            (data.startswith(ours) and not data.startswith(ours_empty)) or mark not in data
        ):
            return None
        decode = _decode_v3 if dialect else _decode_v03
        return (decode or _load()[dialect])(data)
    except Exception:  # anything at all: the general path decides
        return None


def incoming_event_v03(data: bytes | str) -> SDKEvent | None:
    """The ``new_event`` of a plain v0.3 ``incoming_event`` push, or ``None`` (defer)."""
    push = _decode(data, 0)
    if push is None:
        return None
    payload = push.payload
    event = payload.event
    properties = event.properties
    return _build_new_event(
        payload.chat_id,
        _build_message(
            event.id,
            "message",
            event.author_id,
            event.timestamp * 1000,
            payload.thread_id,
            event.custom_id,
            _EMPTY if properties is None else properties,
            _EMPTY,
            event.text,
        ),
    )


def incoming_event_v3(data: bytes | str) -> SDKEvent | None:
    """The ``new_event`` of a plain v3.x ``incoming_event`` push, or ``None`` (defer)."""
    push = _decode(data, 1)
    if push is None:
        return None
    payload = push.payload
    event = payload.event
    created = event.created_at
    millis = None
    if created is not None:
        millis = parse_ms(created)
        if millis is None:
            return None
    properties = event.properties
    recipients = event.recipients
    return _build_new_event(
        payload.chat_id,
        _build_message(
            event.id,
            "message",
            event.author_id,
            millis,
            payload.thread_id,
            event.custom_id,
            {} if properties is None else properties,
            {"recipients": recipients} if type(recipients) is str else _EMPTY,
            event.text,
        ),
    )


def decoder_for(api: str) -> Callable[[bytes | str], SDKEvent | None]:
    """The typed decoder of the dialect of ``api`` (``"0.3"``, ``"3.5"``, ``"3.6"``)."""
    return incoming_event_v03 if api == "0.3" else incoming_event_v3

"""The hot-path shortcuts give exactly what the general parsers give (or defer to them)."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol import dispatch
from customer_protocol.dialects.v03 import V03
from customer_protocol.errors import RemoteProtocolError
from customer_protocol.models import MessageEvent, parse_event, plain_message
from customer_protocol.timers import Timers

from .harness import DROP, variant

MESSAGE: dict[str, Any] = {
    "id": "T1_7",
    "order": 7,
    "type": "message",
    "author_id": "agent-1",
    "timestamp": 1508414284,
    "text": "Hello",
    "properties": {"ns": {"k": 1}},
}


def _variant(**changes: Any) -> dict[str, Any]:
    return variant(MESSAGE, **changes)


_DROP = DROP

# Each: (changes, whether the shortcut takes it).
VARIANTS: list[tuple[dict[str, Any], bool]] = [
    ({}, True),
    ({"properties": _DROP}, True),
    ({"author_id": _DROP}, True),
    ({"author_id": None}, True),
    ({"custom_id": "cp-1"}, True),
    ({"custom_id": None}, True),
    ({"thread_id": "other"}, True),  # a known key; the push's thread wins either way
    ({"properties": None}, False),
    ({"properties": []}, False),
    ({"timestamp": 1508414284.25}, False),
    ({"timestamp": None}, False),
    ({"timestamp": _DROP}, False),
    ({"timestamp": True}, False),
    ({"timestamp": "1508414284"}, False),
    ({"order": True}, False),
    ({"order": 1.0}, False),
    ({"order": _DROP}, False),
    ({"id": 5}, False),
    ({"id": _DROP}, False),
    ({"text": None}, False),
    ({"text": _DROP}, False),
    ({"type": "system_message"}, False),
    ({"author_id": 3}, False),
    ({"custom_id": 3}, False),
    ({"unknown": 1}, True),  # to extra
    ({"unknown": 1, "more": [2]}, True),
]


@pytest.mark.parametrize(("changes", "taken"), VARIANTS, ids=repr)
def test_plain_message_is_parse_event_or_defers(changes: dict[str, Any], taken: bool) -> None:
    obj = _variant(**changes)
    fast = plain_message(obj, "T1")
    if not taken:
        assert fast is None
        return
    assert isinstance(fast, MessageEvent)
    general = parse_event(obj, thread="T1")
    assert fast == general
    assert type(fast) is type(general)
    assert fast.properties is general.properties or fast.properties == general.properties


@pytest.mark.parametrize(("changes", "taken"), VARIANTS, ids=repr)
def test_incoming_event_handler_is_map_push(changes: dict[str, Any], taken: bool) -> None:
    payload = {"chat_id": "C1", "thread_id": "T1", "event": _variant(**changes)}
    tracker = dispatch.ChatTracker()
    handler = V03().event_pushes["incoming_event"]
    try:
        expected = dispatch.map_push("incoming_event", payload, tracker)
    except RemoteProtocolError as exc:
        with pytest.raises(RemoteProtocolError, match=str(exc)):
            handler(payload, tracker)
        return
    assert handler(payload, tracker) == expected


@pytest.mark.parametrize(("changes", "taken"), VARIANTS, ids=repr)
def test_send_event_resolves_to_parse_event(changes: dict[str, Any], taken: bool) -> None:
    # The push answering send_event takes the same shortcut: its result is parse_event's.
    event = _variant(**changes)
    payload = {"chat_id": "C1", "thread_id": "T1", "event": event}
    request = {"chat_id": "C1", "event": {"type": "message", "text": "Hello"}}
    resolve = V03().resolve
    try:
        expected = parse_event(event, thread="T1")
    except RemoteProtocolError as exc:
        with pytest.raises(RemoteProtocolError, match=str(exc)):
            resolve("send_event", "incoming_event", payload, request, dispatch.ChatTracker())
        return
    value, events = resolve(
        "send_event", "incoming_event", payload, request, dispatch.ChatTracker()
    )
    assert (value, events) == (expected, [])
    assert type(value) is type(expected)


def test_v03_event_pushes_are_the_map_push_handlers() -> None:
    # Every shortcut the engine takes is a handler map_push itself dispatches to.
    for action, handler in V03().event_pushes.items():
        assert dispatch.PUSHES[action] is handler
    assert "customer_disconnected" not in V03().event_pushes
    assert "ping" not in V03().event_pushes


def test_timer_canceller_cancels_one_name() -> None:
    timers = Timers()
    timers.schedule("a", 1.0)
    timers.schedule("b", 2.0)
    cancel = timers.canceller("a")
    cancel()
    cancel()  # idempotent, like cancel()
    assert "a" not in timers
    assert timers.next() == 2.0

"""The v3 hot push path gives exactly what the general parsers give (or defers to them)."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol.dialects.v3 import V3
from customer_protocol.dialects.v3_objects import parse_event, plain_message
from customer_protocol.dialects.v3_pushes import map_push
from customer_protocol.dispatch import ChatTracker
from customer_protocol.errors import RemoteProtocolError
from customer_protocol.models import MessageEvent
from tests.core.harness import DROP, variant

from .samples import T1, T3, message

_DROP = DROP


def _variant(**changes: Any) -> dict[str, Any]:
    return variant(message(), **changes)


# Each: (changes, whether the shortcut takes it).
VARIANTS: list[tuple[dict[str, Any], bool]] = [
    ({}, True),  # with "recipients": an extra key
    ({"recipients": _DROP}, True),
    ({"created_at": T3}, True),
    ({"created_at": _DROP}, True),
    ({"created_at": None}, True),
    ({"properties": _DROP}, True),
    ({"properties": None}, True),
    ({"author_id": None}, True),
    ({"custom_id": _DROP}, True),
    ({"thread_id": "other"}, True),
    ({"created_at": "2024-03-01 10:00:01"}, False),
    ({"created_at": "yesterday"}, False),
    ({"created_at": 1709287201}, False),
    ({"created_at": T1 + " "}, False),
    ({"properties": []}, False),
    ({"id": 5}, False),
    ({"id": _DROP}, False),
    ({"text": None}, False),
    ({"type": "file"}, False),
    ({"author_id": 3}, False),
    ({"custom_id": 3}, False),
    # extra: recipients alone takes the one-key shortcut, anything more the general builder
    ({"recipients": "agents"}, True),
    ({"recipients": None}, True),
    ({"recipients": {"ids": [1]}}, True),
    ({"zz": 1}, True),
    ({"recipients": _DROP, "zz": 1}, True),
    ({"active": True, "zz": [1]}, True),
    ({"custom_id": _DROP, "author_id": _DROP, "properties": _DROP, "zz": 1}, True),
    ({"custom_id": _DROP, "author_id": _DROP, "properties": _DROP}, True),
]


@pytest.mark.parametrize(("changes", "taken"), VARIANTS, ids=repr)
def test_plain_message_is_parse_event_or_defers(changes: dict[str, Any], taken: bool) -> None:
    obj = _variant(**changes)
    fast = plain_message(obj, "TH1")
    if not taken:
        assert fast is None
        return
    assert isinstance(fast, MessageEvent)
    general = parse_event(obj, thread="TH1")
    assert fast == general
    assert list(fast.extra.items()) == list(general.extra.items())  # the same order too


@pytest.mark.parametrize("api", ["3.5", "3.6"])
@pytest.mark.parametrize(("changes", "taken"), VARIANTS, ids=repr)
def test_incoming_event_shortcut_is_map_push(
    changes: dict[str, Any], taken: bool, api: str
) -> None:
    dialect = V3(api)
    payloads: list[Any] = [
        {"chat_id": "CH1", "thread_id": "TH1", "event": _variant(**changes)},
        {"chat_id": 1, "thread_id": "TH1", "event": _variant(**changes)},
        {"chat_id": "CH1", "event": _variant(**changes)},
        {"chat_id": "CH1", "thread_id": "TH1", "event": [1]},
    ]
    handler = dialect.event_pushes["incoming_event"]
    for payload in payloads:
        tracker = ChatTracker()
        try:
            expected = dialect.map_push("incoming_event", payload, tracker)
        except RemoteProtocolError as exc:
            with pytest.raises(RemoteProtocolError, match=str(exc)):
                handler(payload, tracker)
            continue
        assert handler(payload, tracker) == expected
        assert map_push("incoming_event", payload, ChatTracker()) == expected

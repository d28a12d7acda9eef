"""v3.md sections 3, 5, 9: whatever JSON a v3 server sends, the parsers end with a value or a
RemoteProtocolError - never another exception (property tests)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from customer_protocol import RemoteProtocolError
from customer_protocol.dialects import v3_objects as v3
from customer_protocol.dialects import v3_results as r
from customer_protocol.dialects.v3_errors import parse_customer_disconnected
from customer_protocol.dialects.v3_pushes import PUSHES_3_6, push_events

from . import samples as s

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from([s.T0, "2024-13-01T00:00:00Z", "x", "1", "-1"])
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)

PUSH_SAMPLES: dict[str, dict[str, Any]] = {
    "incoming_chat": {"chat": s.chat()},
    "incoming_event": {"chat_id": "C", "thread_id": "T", "event": s.message()},
    "incoming_greeting": {"id": 1, "unique_id": "u", "event": s.rich_message(), "agent": s.agent()},
    "chat_transferred": {
        "chat_id": "C",
        "transferred_to": {"group_ids": [1], "agent_ids": ["a"]},
        "queue": {"position": 1, "wait_time": 2, "queued_at": s.T0},
    },
    "customer_updated": s.customer(),
    "incoming_rich_message_postback": {
        "chat_id": "C",
        "thread_id": "T",
        "event_id": "E",
        "postback": {"id": "p", "toggled": True, "ecommerce": {"product_id": "x"}},
    },
}


def _mutate(value: Any, path: list[int], replacement: Any) -> Any:
    """``value`` with the node reached by walking ``path`` (indices mod size) replaced."""
    if not path or not isinstance(value, dict | list) or not value:
        return replacement
    step, rest = path[0], path[1:]
    if isinstance(value, dict):
        key = sorted(value)[step % len(value)]
        return {**value, key: _mutate(value[key], rest, replacement)}
    index = step % len(value)
    return [*value[:index], _mutate(value[index], rest, replacement), *value[index + 1 :]]


def _ends_cleanly(call: Any, *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(RemoteProtocolError):
        call(*args, **kwargs)


@settings(max_examples=300, deadline=None)
@given(action=st.sampled_from(sorted(PUSHES_3_6)), payload=json_values)
def test_any_payload_of_any_push(action: str, payload: Any) -> None:
    _ends_cleanly(push_events, action, payload)


@settings(max_examples=300, deadline=None)
@given(
    action=st.sampled_from(sorted(PUSH_SAMPLES)),
    path=st.lists(st.integers(min_value=0, max_value=50), max_size=6),
    replacement=json_values,
)
def test_near_valid_pushes(action: str, path: list[int], replacement: Any) -> None:
    _ends_cleanly(push_events, action, _mutate(PUSH_SAMPLES[action], path, replacement))


OBJECT_PARSERS = {
    "event": (v3.parse_event, s.file_event()),
    "chat_summary": (v3.parse_chat_summary, s.chat_summary()),
    "user": (v3.parse_user, s.customer(statistics={"chats_count": 1})),
    "thread": (lambda value: v3.parse_thread(value, chat="C"), s.thread()),
    "list_chats": (r.parse_list_chats, {"chats_summary": [s.chat_summary()], "total_chats": 1}),
    "login": (
        r.parse_login,
        {
            "customer": s.customer(),
            "chats": [{"chat_id": "C", "has_unread_events": True}],
            "greeting": {"id": 1, "unique_id": "u", "event": s.message()},
        },
    ),
    "get_form": (r.parse_get_form, {"enabled": True, "form": {"id": "f", "fields": [{}]}}),
    "groups": (r.parse_result, None),
}


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(set(OBJECT_PARSERS) - {"groups"})),
    path=st.lists(st.integers(min_value=0, max_value=50), max_size=6),
    replacement=json_values,
)
def test_near_valid_objects(name: str, path: list[int], replacement: Any) -> None:
    parse, sample = OBJECT_PARSERS[name]
    _ends_cleanly(parse, _mutate(sample, path, replacement))


@settings(max_examples=200, deadline=None)
@given(
    action=st.sampled_from(
        [
            "list_group_statuses",
            "get_customer",
            "get_predicted_agent",
            "request_welcome_message",
            "get_url_info",
            "update_customer_page",
            "get_chat",
            "start_chat",
            "resume_chat",
            "send_event",
            "upload_file",
        ]
    ),
    payload=st.dictionaries(st.text(max_size=12), json_values, max_size=4)
    | st.fixed_dictionaries({"groups_status": json_values, "groups": json_values}),
)
def test_any_response_payload(action: str, payload: dict[str, Any]) -> None:
    _ends_cleanly(r.parse_result, action, payload)


@given(payload=json_values)
def test_any_customer_disconnected(payload: Any) -> None:
    _ends_cleanly(parse_customer_disconnected, payload)

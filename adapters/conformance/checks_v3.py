"""Shape checks of the v3 dialect: RFC 3339 timestamps, objects (``v3.md`` section 3) and the
fields every v3 push must carry (section 2 and the docs' push reference)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .checks import expect, expect_keys, problems_in
from .driver import Frame, brief

__all__ = [
    "V3_PUSH_FIELDS",
    "expect_rfc3339",
    "expect_v3_event",
    "expect_v3_thread",
    "v3_frame_problems",
]

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})")
_DAY = 86400.0

V3_PUSH_FIELDS: dict[str, tuple[str, ...]] = {
    "incoming_chat": ("chat",),
    "chat_deactivated": ("chat_id", "thread_id"),
    "user_added_to_chat": ("chat_id", "user"),
    "user_removed_from_chat": ("chat_id", "user_id"),
    "incoming_event": ("chat_id", "thread_id", "event"),
    "event_deleted": ("chat_id", "thread_id", "event_id"),
    "event_updated": ("chat_id", "thread_id", "event"),
    "chat_properties_updated": ("chat_id", "properties"),
    "chat_properties_deleted": ("chat_id", "properties"),
    "thread_properties_updated": ("chat_id", "thread_id", "properties"),
    "thread_properties_deleted": ("chat_id", "thread_id", "properties"),
    "event_properties_updated": ("chat_id", "thread_id", "event_id", "properties"),
    "event_properties_deleted": ("chat_id", "thread_id", "event_id", "properties"),
    "customer_side_storage_updated": ("customer_side_storage",),
    "customer_disconnected": ("reason",),
    "groups_status_updated": ("groups",),
    "incoming_typing_indicator": ("chat_id", "typing_indicator"),
    "incoming_multicast": ("content",),
    "events_marked_as_seen": ("user_id", "chat_id", "seen_up_to"),
}
"""The payload fields each v3 push always carries (the docs' push reference, v3.6)."""


def expect_rfc3339(value: Any, what: str) -> None:
    """An RFC 3339 date-time string with microseconds, within a day of now (``v3.md`` §3)."""
    ok = isinstance(value, str) and _RFC3339.fullmatch(value) is not None
    if ok:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            ok = abs(when.timestamp() - datetime.now(UTC).timestamp()) < _DAY
        except ValueError:
            ok = False
    expect(ok, f"{what} an RFC 3339 time with microseconds near now", brief(value))


def expect_v3_event(event: Any, what: str = "event") -> dict[str, Any]:
    """A v3 event: server-set ``id`` (string), ``created_at`` (RFC 3339), ``type``; no
    ``order`` (order is array order, ``v3.md`` §3)."""
    checked = expect_keys(event, ("id", "created_at", "type"), what)
    expect(isinstance(checked["id"], str) and bool(checked["id"]), f"{what}.id a string", checked)
    expect_rfc3339(checked["created_at"], f"{what}.created_at")
    expect("order" not in checked, f"{what} without order (v3 has none)", checked)
    return checked


def expect_v3_thread(thread: Any, what: str = "thread") -> dict[str, Any]:
    """A v3 thread ``{id, active, user_ids, events, created_at, ...}`` with valid events."""
    checked = expect_keys(thread, ("id", "active", "user_ids", "events", "created_at"), what)
    expect(isinstance(checked["active"], bool), f"{what}.active a boolean", checked)
    expect(isinstance(checked["events"], list), f"{what}.events a list", checked)
    expect_rfc3339(checked["created_at"], f"{what}.created_at")
    for index, event in enumerate(checked["events"]):
        expect_v3_event(event, f"{what}.events[{index}]")
    return checked


def v3_frame_problems(frames: Iterable[Frame], api: str) -> list[str]:
    """What is wrong with the frames one v3 connection received: frames that are not JSON
    objects, responses without ``success``, pushes without ``version`` (the connection's) or
    missing the payload fields of :data:`V3_PUSH_FIELDS`."""
    return problems_in(frames, V3_PUSH_FIELDS, chat_push="incoming_chat", version=api)

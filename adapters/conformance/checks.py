"""Small assertions that turn into :class:`Failed` with expected vs seen, and the shape checks
of ``wire.md`` section 3 (objects) and section 5 (pushes)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from .driver import Failed, Frame, HttpAnswer, brief

__all__ = [
    "error_of",
    "expect",
    "expect_error",
    "expect_event",
    "expect_http_error",
    "expect_keys",
    "expect_stored_message",
    "expect_thread",
    "frame_problems",
    "payload_of",
    "problems_in",
]

_SECONDS_MIN = 1_000_000_000  # 2001-09-09: anything smaller is not a plausible epoch time
_SECONDS_MAX = 10_000_000_000  # 2286: anything larger is milliseconds, not seconds


def expect(condition: bool, expected: str, seen: Any) -> None:
    """Raise :class:`Failed` unless ``condition``."""
    if not condition:
        raise Failed(expected, seen if isinstance(seen, str) else brief(seen))


def payload_of(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message's payload object (``{}`` when absent)."""
    payload = message.get("payload", {})
    expect(isinstance(payload, dict), "payload to be an object", message)
    return dict(payload)


def error_of(message: Mapping[str, Any]) -> dict[str, Any]:
    """The ``payload.error`` of an error response, checked: ``success: false``, ``type`` and
    ``message`` strings."""
    error = message.get("payload", {}).get("error") if isinstance(message, dict) else None
    expect(
        message.get("success") is False
        and isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and isinstance(error.get("message"), str),
        "an error response {success: false, payload: {error: {type, message}}}",
        message,
    )
    assert isinstance(error, dict)
    return error


def expect_error(
    message: Mapping[str, Any], types: str | tuple[str, ...], field: str | None = None
) -> None:
    """An error response of one of ``types`` whose message names ``field``."""
    error = error_of(message)
    wanted = (types,) if isinstance(types, str) else types
    expect(error["type"] in wanted, f"error type {' or '.join(wanted)}", error)
    if field is not None:
        expect(field in error["message"], f"the error message to name {field!r}", error)


def expect_http_error(answer: HttpAnswer, error_type: str, field: str | None = None) -> None:
    """A 4xx/5xx answer with ``{"error": {"type": error_type, "message"}}`` (the message
    naming ``field`` when given)."""
    error = answer.json.get("error") if isinstance(answer.json, dict) else None
    expect(
        answer.status >= 400 and isinstance(error, dict) and error.get("type") == error_type,
        f"a 4xx/5xx answer with error type {error_type}",
        answer.describe(),
    )
    assert isinstance(error, dict)
    if field is not None:
        expect(field in str(error.get("message")), f"the error message to name {field!r}", error)


def expect_keys(obj: Any, keys: Iterable[str], what: str) -> dict[str, Any]:
    """``obj`` is an object with every key of ``keys``; returns it."""
    names = list(keys)
    expect(isinstance(obj, dict) and all(k in obj for k in names), f"{what} with {names}", obj)
    assert isinstance(obj, dict)
    return obj


def expect_stored_message(stored: Any, custom_id: str, author_id: str, text: str) -> None:
    """A stored message event kept the ``custom_id`` and ``text`` sent, by ``author_id``."""
    expect(stored.get("custom_id") == custom_id, "custom_id kept", stored)
    expect(stored.get("author_id") == author_id, "author_id = the customer", stored)
    expect(stored.get("text") == text, "text kept", stored)


def expect_seconds(value: Any, what: str) -> None:
    """An integer timestamp in seconds (not milliseconds), within a day of now."""
    expect(
        isinstance(value, int)
        and not isinstance(value, bool)
        and _SECONDS_MIN <= value < _SECONDS_MAX
        and abs(value - time.time()) < 86400,
        f"{what} as integer seconds near now",
        brief(value),
    )


def expect_event(event: Any, what: str = "event") -> dict[str, Any]:
    """An event with the server-set ``id``, ``order`` (int), ``type`` and ``timestamp``."""
    event = expect_keys(event, ("id", "order", "type", "timestamp"), what)
    expect(isinstance(event["id"], str) and bool(event["id"]), f"{what}.id a string", event)
    expect(
        isinstance(event["order"], int) and not isinstance(event["order"], bool),
        f"{what}.order an integer",
        event,
    )
    expect_seconds(event["timestamp"], f"{what}.timestamp")
    checked: dict[str, Any] = event
    return checked


def expect_thread(thread: Any, what: str = "thread") -> dict[str, Any]:
    """A thread ``{id, active, order, user_ids, events}`` with valid events."""
    thread = expect_keys(thread, ("id", "active", "order", "user_ids", "events"), what)
    expect(isinstance(thread["active"], bool), f"{what}.active a boolean", thread)
    expect(isinstance(thread["events"], list), f"{what}.events a list", thread)
    for index, event in enumerate(thread["events"]):
        expect_event(event, f"{what}.events[{index}]")
    checked: dict[str, Any] = thread
    return checked


# -- every frame, every push (wire.md sections 2 and 5) ---------------------------------------

_PUSH_FIELDS: dict[str, tuple[str, ...]] = {
    "incoming_chat_thread": ("chat",),
    "chat_users_updated": ("chat_id", "updated_users"),
    "incoming_event": ("chat_id", "thread_id", "event"),
    "incoming_typing_indicator": ("chat_id", "typing_indicator"),
    "customer_disconnected": ("reason",),
    "thread_closed": ("chat_id", "thread_id"),
    "chat_scopes_updated": ("chat_id", "scopes_added", "scopes_removed"),
    "customer_updated": ("chat_id", "customer"),
    "chat_properties_updated": ("chat_id", "properties"),
    "chat_thread_properties_updated": ("chat_id", "thread_id", "properties"),
    "last_seen_timestamp_updated": ("user_id", "chat_id", "timestamp"),
}


def _message_problem(
    message: dict[str, Any],
    push_fields: Mapping[str, tuple[str, ...]],
    chat_push: str,
    version: str | None,
) -> str | None:
    kind = message.get("type")
    action = message.get("action")
    payload = message.get("payload", {})
    if kind not in ("response", "push") or not isinstance(action, str):
        return f"not a response or push: {brief(message, 160)}"
    if not isinstance(payload, dict):
        return f"payload not an object: {brief(message, 160)}"
    if kind == "response":
        if not isinstance(message.get("success"), bool):
            return f"response without boolean success: {brief(message, 160)}"
        return None
    if version is not None and message.get("version") != version:
        return f"push {action} without version {version!r}: {brief(message, 160)}"
    missing = [k for k in push_fields.get(action, ()) if k not in payload]
    if missing:
        return f"push {action} missing {missing}: {brief(message, 160)}"
    if action == "incoming_event" and not isinstance(payload["event"], dict):
        return f"push incoming_event with no event object: {brief(message, 160)}"
    if action == chat_push:
        chat = payload["chat"]
        if not isinstance(chat, dict) or not isinstance(chat.get("thread"), dict):
            return f"push {chat_push} without chat.thread: {brief(message, 160)}"
    return None


def problems_in(
    frames: Iterable[Frame],
    push_fields: Mapping[str, tuple[str, ...]],
    *,
    chat_push: str,
    version: str | None = None,
) -> list[str]:
    """What is wrong with the frames one connection received, for either dialect: text frames
    that are not JSON objects, responses without boolean ``success``, pushes without
    ``version`` (when given) or missing their ``push_fields``, an ``incoming_event`` without
    an event object and a ``chat_push`` without ``chat.thread``."""
    problems: list[str] = []
    for frame in frames:
        if frame.text is not None:
            problems.append(f"a frame that is not a JSON object: {brief(frame.text, 80)}")
        elif frame.message is not None and (
            problem := _message_problem(frame.message, push_fields, chat_push, version)
        ):
            problems.append(problem)
    return problems


def frame_problems(frames: Iterable[Frame]) -> list[str]:
    """What is wrong with the frames one connection received: text frames that are not JSON
    objects, and responses/pushes missing what ``wire.md`` sections 2 and 5 require."""
    return problems_in(frames, _PUSH_FIELDS, chat_push="incoming_chat_thread")

"""Server messages to SDK events and request results (``spec/sdk.md`` sections 2-5).

Pure functions over decoded payloads. Each one parses everything first and only then touches the
:class:`ChatTracker`, so a malformed message raises
:class:`~customer_protocol.errors.RemoteProtocolError` without changing any state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .errors import RemoteProtocolError
from .events import (
    ChatPropertiesUpdated,
    ChatThreadPropertiesUpdated,
    LastSeenTimestampUpdated,
    NewEvent,
    Push,
    SDKEvent,
    ThreadClosed,
    ThreadSummaryEvent,
    UserData,
    UserIsTyping,
    UserJoinedChat,
    UserLeftChat,
    UserStoppedTyping,
)
from .models import (
    ParsedChat,
    Thread,
    parse_chat,
    parse_chats_summary,
    parse_event,
    parse_thread,
    parse_threads_summary,
    parse_users,
    plain_message,
    slot_builder,
    timestamp_ms,
    to_ms,
)

__all__ = [
    "INDIRECT",
    "PUSHES",
    "RESPONSE",
    "ChatTracker",
    "map_push",
    "resolve",
]

RESPONSE: Final = "response"
"""The ``source`` of a result taken from a response payload rather than a push."""

INDIRECT: Final[Mapping[str, frozenset[str]]] = {
    "send_event": frozenset({"incoming_event", "incoming_chat_thread"}),
    "start_chat": frozenset({"incoming_chat_thread"}),
    "close_thread": frozenset({"thread_closed"}),
    "update_chat_properties": frozenset({"chat_properties_updated"}),
    "update_chat_thread_properties": frozenset({"chat_thread_properties_updated"}),
    "update_last_seen_timestamp": frozenset({"last_seen_timestamp_updated"}),
    "update_chat_scopes": frozenset({"chat_scopes_updated"}),
}
"""Actions that resolve on the push carrying their ``request_id`` (and the push actions)."""


class ChatTracker:
    """Per-chat activity (``spec/sdk.md`` section 6) and the newest known thread of each chat."""

    __slots__ = ("_active", "_newest")

    def __init__(self) -> None:
        self._active: dict[str, bool] = {}
        self._newest: dict[str, tuple[int, str]] = {}

    def thread_seen(self, chat: str, thread: str, order: int, active: bool | None) -> None:
        """A thread of ``chat`` became known; ``active`` updates activity if it is the newest."""
        newest = self._newest.get(chat)
        if newest is None or order >= newest[0]:
            self._newest[chat] = (order, thread)
            if active is not None:
                self._active[chat] = active

    def set_active(self, chat: str, active: bool) -> None:
        """Mark ``chat`` active or inactive."""
        self._active[chat] = active

    def is_inactive(self, chat: str) -> bool:
        """Whether ``chat`` is known to have no active thread (unknown chats are active)."""
        return self._active.get(chat) is False

    def newest_thread(self, chat: str) -> str | None:
        """The newest known thread of ``chat``."""
        newest = self._newest.get(chat)
        return None if newest is None else newest[1]

    def newest(self, chat: str) -> tuple[int, str] | None:
        """The newest known thread of ``chat`` as ``(order, id)``, or ``None``."""
        return self._newest.get(chat)


def _field(payload: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise RemoteProtocolError(f"payload.{key} has a wrong type or is missing")
    return value


def _thread_events(parsed: ParsedChat) -> list[SDKEvent]:
    thread = parsed.thread
    events: list[SDKEvent] = [UserData(user=user) for user in parsed.users]
    events.append(
        ThreadSummaryEvent(
            id=thread.id, chat=thread.chat, order=thread.order, total_events=len(thread.events)
        )
    )
    return events


def _opened(parsed: ParsedChat, tracker: ChatTracker) -> None:
    thread = parsed.thread
    tracker.thread_seen(thread.chat, thread.id, thread.order, None)
    tracker.set_active(thread.chat, True)


# --------------------------------------------------------------------------------------------
# Ordinary pushes


_build_new_event: Final = slot_builder(NewEvent, ("chat", "event"))


def _incoming_event(payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    chat = payload.get("chat_id")
    thread = payload.get("thread_id")
    if type(chat) is not str or type(thread) is not str:
        raise RemoteProtocolError("payload.chat_id and payload.thread_id must be strings")
    event = payload.get("event")
    message = plain_message(event, thread) if type(event) is dict else None
    return [_build_new_event(chat, message or parse_event(event, thread=thread))]


def _incoming_chat_thread(payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    parsed = parse_chat(payload.get("chat"))
    events = _thread_events(parsed)
    events.extend(NewEvent(chat=parsed.chat.id, event=event) for event in parsed.thread.events)
    _opened(parsed, tracker)
    return events


def _typing(payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    chat = _field(payload, "chat_id", str)
    indicator = _field(payload, "typing_indicator", dict)
    user = _field(indicator, "author_id", str)
    timestamp_ms(indicator, "timestamp", "typing_indicator")  # not exposed, but checked
    if _field(indicator, "is_typing", bool):
        return [UserIsTyping(chat=chat, user=user)]
    return [UserStoppedTyping(chat=chat, user=user)]


def _users_updated(payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    chat = _field(payload, "chat_id", str)
    updated = _field(payload, "updated_users", dict)
    added = parse_users(updated.get("added"), "updated_users.added")
    removed = updated.get("removed_ids") or []
    if not isinstance(removed, list) or not all(isinstance(r, str) for r in removed):
        raise RemoteProtocolError("payload.updated_users.removed_ids must be an array of strings")
    events: list[SDKEvent] = [UserData(user=user) for user in added]
    events.extend(UserJoinedChat(user=user.id, chat=chat) for user in added)
    events.extend(UserLeftChat(user=user_id, chat=chat) for user_id in removed)
    return events


def _thread_closed(payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    chat = _field(payload, "chat_id", str)
    tracker.set_active(chat, False)
    return [ThreadClosed(chat=chat)]


def _last_seen(payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    return [
        LastSeenTimestampUpdated(
            chat=_field(payload, "chat_id", str),
            user=_field(payload, "user_id", str),
            timestamp=timestamp_ms(payload, "timestamp", "payload"),
        )
    ]


def _chat_properties(payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    return [
        ChatPropertiesUpdated(
            chat=_field(payload, "chat_id", str),
            properties=_field(payload, "properties", dict),
        )
    ]


def _thread_properties(payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    return [
        ChatThreadPropertiesUpdated(
            chat=_field(payload, "chat_id", str),
            thread=_field(payload, "thread_id", str),
            properties=_field(payload, "properties", dict),
        )
    ]


PUSHES: Final[Mapping[str, Callable[[Mapping[str, Any], ChatTracker], list[SDKEvent]]]] = {
    "incoming_event": _incoming_event,
    "incoming_chat_thread": _incoming_chat_thread,
    "incoming_typing_indicator": _typing,
    "chat_users_updated": _users_updated,
    "thread_closed": _thread_closed,
    "last_seen_timestamp_updated": _last_seen,
    "chat_properties_updated": _chat_properties,
    "chat_thread_properties_updated": _thread_properties,
}


def map_push(action: str, payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    """The SDK events of one ordinary push (no ``request_id`` of ours), in the spec's order.

    ``customer_disconnected`` is lifecycle and handled by the client, not here. Unknown pushes
    become a raw :class:`~customer_protocol.events.Push`.
    """
    handler = PUSHES.get(action)
    if handler is None:
        return [Push(name=action, payload=payload)]
    return handler(payload, tracker)


# --------------------------------------------------------------------------------------------
# Request results

Resolved = tuple[Any, list[SDKEvent]]


def _res_send_event(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    if source == "incoming_chat_thread":
        custom_id = request.get("event", {}).get("custom_id")
        parsed = parse_chat(payload.get("chat"))
        events = parsed.thread.events
        mine = [event for event in events if event.custom_id == custom_id] or list(events[-1:])
        if not mine:
            raise RemoteProtocolError("incoming_chat_thread carries no event")
        _opened(parsed, tracker)
        return mine[0], _thread_events(parsed)
    thread = _field(payload, "thread_id", str)
    event = payload.get("event")
    message = plain_message(event, thread) if type(event) is dict else None  # the common case
    return message or parse_event(event, thread=thread), []


def _res_start_chat(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    parsed = parse_chat(payload.get("chat"))
    _opened(parsed, tracker)
    return parsed.chat, _thread_events(parsed)


def _res_close_thread(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    tracker.set_active(request["chat_id"], False)
    return True, []


def _res_true(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    return True, []


def _res_last_seen(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    timestamp = payload.get("timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float):
        raise RemoteProtocolError("payload.timestamp must be a number")
    return to_ms(timestamp), []


def _res_login(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    return _field(payload, "customer_id", str), []


def _res_chats_summary(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    summary, users = parse_chats_summary(payload)
    return summary, [UserData(user=user) for user in users]


def threads_result(
    payload: Mapping[str, Any], tracker: ChatTracker
) -> tuple[tuple[Thread, ...], list[SDKEvent]]:
    """Parse a ``get_chat_threads`` payload: threads sorted by order, and ``user_data``."""
    chat = _field(payload, "chat", dict)
    chat_id = _field(chat, "id", str)
    users = parse_users(chat.get("users"))
    raw = chat.get("threads")
    if not isinstance(raw, list):
        raise RemoteProtocolError("payload.chat.threads must be an array")
    threads = tuple(sorted((parse_thread(t, chat=chat_id) for t in raw), key=lambda t: t.order))
    for thread in threads:
        tracker.thread_seen(chat_id, thread.id, thread.order, thread.active)
    return threads, [UserData(user=user) for user in users]


def _res_threads(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    return threads_result(payload, tracker)


def _res_threads_summary(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    summary = parse_threads_summary(payload, chat=request["chat_id"])
    return summary, []


def _res_none(
    source: str, payload: Mapping[str, Any], request: Mapping[str, Any], tracker: ChatTracker
) -> Resolved:
    return None, []


_RESOLVERS: Final[
    Mapping[
        str,
        Callable[[str, Mapping[str, Any], Mapping[str, Any], ChatTracker], Resolved],
    ]
] = {
    "send_event": _res_send_event,
    "start_chat": _res_start_chat,
    "close_thread": _res_close_thread,
    "update_chat_properties": _res_true,
    "update_chat_thread_properties": _res_true,
    "update_chat_scopes": _res_true,
    "update_last_seen_timestamp": _res_last_seen,
    "login": _res_login,
    "get_chats_summary": _res_chats_summary,
    "get_chat_threads": _res_threads,
    "get_chat_threads_summary": _res_threads_summary,
    "send_sneak_peek": _res_none,
    "update_customer": _res_true,
}


def resolve(
    action: str,
    source: str,
    payload: Mapping[str, Any],
    request: Mapping[str, Any],
    tracker: ChatTracker,
) -> Resolved:
    """The result of request ``action`` from a push (``source`` = its action) or a response.

    ``request`` is the payload the request was sent with. Returns the value and the SDK events
    to emit *before* the result (``user_data``, ``thread_summary``).
    """
    return _RESOLVERS[action](source, payload, request, tracker)

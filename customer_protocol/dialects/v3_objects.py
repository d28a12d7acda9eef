"""LiveChat v3.x server objects parsed into the client's models (``spec/v3.md`` section 3).

The shapes differ from v0.3 (``wire.md`` section 3) in ways these parsers absorb, so that the
client models stay the ones of :mod:`customer_protocol.models`:

* timestamps are RFC 3339 strings; they become integer milliseconds (microseconds floored);
* events have no ``order``: their order is the array order, never their timestamps;
* a thread has no ``order``: **(decision)** ``Thread.order`` is its ``created_at`` in ms (and a
  chat summary's ``order`` is its ``last_thread_created_at`` in ms);
* customers carry ``session_fields``, an ordered list of one-key objects, which become the
  ``fields`` mapping (and back, with :func:`fields_to_session_fields`);
* new event types ``form``, ``rich_message`` and ``system`` get classes of their own;
* every field the client does not model (``recipients``, ``deleted``, ``access``, ``queue``,
  ``postback``, ...) is kept in ``extra``.

Every ``parse_*`` function raises :class:`~customer_protocol.errors.RemoteProtocolError` when a
required field is missing or a field has the wrong type (a timestamp that is not RFC 3339
included), and nothing else; an absent optional field is ``None`` (or empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from customer_protocol.errors import RemoteProtocolError
from customer_protocol.models import (
    _EMPTY,
    Agent,
    Chat,
    ChatSummary,
    Customer,
    CustomEvent,
    Event,
    FileEvent,
    FilledFormEvent,
    MessageEvent,
    SystemMessageEvent,
    Thread,
    UnknownEvent,
    User,
    _build_message,
    _extra,
    _list,
    _mapping,
    _obj,
    _opt_int,
    _opt_str,
    _str,
    _str_list,
)
from customer_protocol.rfc3339 import parse_ms

__all__ = [
    "FormEvent",
    "RichMessageEvent",
    "SystemEvent",
    "fields_to_session_fields",
    "parse_agent",
    "parse_chat",
    "parse_chat_summary",
    "parse_event",
    "parse_events",
    "parse_statistics",
    "parse_thread",
    "parse_timestamp",
    "parse_user",
    "parse_users",
    "plain_message",
    "session_fields_to_fields",
]


# --------------------------------------------------------------------------------------------
# Event types new in v3


@dataclass(frozen=True, slots=True, kw_only=True)
class FormEvent(Event):
    """An empty form to fill in (v3 ``form``); ``fields`` as the server sent them."""

    type: str = field(default="form", init=False)
    form_id: str = ""
    form_type: str | None = None
    fields: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RichMessageEvent(Event):
    """A rich message (v3 ``rich_message``): a template and its elements, as sent."""

    type: str = field(default="rich_message", init=False)
    template_id: str = ""
    elements: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemEvent(Event):
    """A system event (v3.6 ``system``, the successor of ``system_message``); no author.

    ``details`` is kept as sent (the docs show a JSON document encoded in a string).
    """

    type: str = field(default="system", init=False)
    subtype: str = ""
    source: str | None = None
    version: int | None = None
    details: Any = None


# --------------------------------------------------------------------------------------------
# Small helpers


def _fail(what: str) -> RemoteProtocolError:
    return RemoteProtocolError(what)


def parse_timestamp(obj: Mapping[str, Any], key: str, what: str) -> int | None:
    """``obj[key]`` (RFC 3339) in integer milliseconds; ``None`` when absent (or null)."""
    if obj.get(key) is None:
        return None
    return _required_timestamp(obj, key, what)


def _required_timestamp(obj: Mapping[str, Any], key: str, what: str) -> int:
    millis = parse_ms(obj.get(key))
    if millis is None:
        raise _fail(f"{what}.{key} must be an RFC 3339 timestamp")
    return millis


def _opt_bool(obj: Mapping[str, Any], key: str, what: str) -> bool | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        raise _fail(f"{what}.{key} must be a boolean")
    return value


def _objects(obj: Mapping[str, Any], key: str, what: str) -> tuple[Mapping[str, Any], ...]:
    items = _list(obj, key, what, required=False)
    return tuple(_obj(item, f"{what}.{key}[]") for item in items)


# --------------------------------------------------------------------------------------------
# Customers' session fields and statistics


def session_fields_to_fields(value: Any, what: str = "customer") -> dict[str, str]:
    """``session_fields`` (a list of one-key objects; ``None`` = none) as one ordered mapping.

    A later key wins over an earlier one; every value must be a string.
    """
    if value is None:
        return {}
    if not isinstance(value, list):
        raise _fail(f"{what}.session_fields must be an array")
    fields: dict[str, str] = {}
    for item in value:
        pairs = _obj(item, f"{what}.session_fields[]")
        for key, text in pairs.items():
            if not isinstance(text, str):
                raise _fail(f"{what}.session_fields values must be strings")
            fields[key] = text
    return fields


def fields_to_session_fields(fields: Mapping[str, str]) -> list[dict[str, str]]:
    """The client's ``fields`` mapping as v3 ``session_fields``: one one-key object per field."""
    return [{key: value} for key, value in fields.items()]


def parse_statistics(value: Any, what: str = "customer") -> Mapping[str, int] | None:
    """``customer.statistics``: counters by name (``None`` when not sent)."""
    if value is None:
        return None
    stats = _obj(value, f"{what}.statistics")
    for count in stats.values():
        if not isinstance(count, int) or isinstance(count, bool):
            raise _fail(f"{what}.statistics values must be integers")
    return dict(stats)


# --------------------------------------------------------------------------------------------
# Users

_AGENT_KEYS: Final = frozenset(
    {"id", "type", "name", "email", "avatar", "present", "events_seen_up_to"}
)
_CUSTOMER_KEYS: Final = frozenset(
    {
        "id",
        "type",
        "name",
        "email",
        "avatar",
        "session_fields",
        "statistics",
        "present",
        "events_seen_up_to",
    }
)


def parse_agent(value: Any, what: str = "agent") -> Agent:
    """An agent object; ``type`` may be absent (greetings, predicted agents).

    ``job_title``, ``is_bot`` and the like are kept in ``extra``.
    """
    obj = _obj(value, what)
    return Agent(
        id=_str(obj, "id", what),
        name=_opt_str(obj, "name", what),
        email=_opt_str(obj, "email", what),
        avatar=_opt_str(obj, "avatar", what),
        extra=_extra(obj, _AGENT_KEYS),
    )


def parse_user(value: Any, what: str = "user") -> User:
    """A v3 user: an :class:`Agent`, a :class:`Customer`, or a :class:`User` of another type.

    ``present`` and ``events_seen_up_to`` are dropped (chat summaries read the latter).
    """
    obj = _obj(value, what)
    user_id = _str(obj, "id", what)
    parse_timestamp(obj, "events_seen_up_to", what)  # dropped, but checked (sdk.md section 5)
    kind = obj.get("type")
    if kind == "agent":
        return parse_agent(obj, what)
    if kind == "customer":
        return Customer(
            id=user_id,
            name=_opt_str(obj, "name", what),
            email=_opt_str(obj, "email", what),
            avatar=_opt_str(obj, "avatar", what),
            fields=session_fields_to_fields(obj.get("session_fields"), what),
            statistics=parse_statistics(obj.get("statistics"), what),
            extra=_extra(obj, _CUSTOMER_KEYS),
        )
    if not isinstance(kind, str):
        raise _fail(f"{what}.type must be a string")
    extra = {
        k: v for k, v in obj.items() if k not in ("id", "type", "present", "events_seen_up_to")
    }
    return User(id=user_id, type=kind, extra=extra)


def parse_users(values: Any, what: str = "chat.users") -> tuple[User, ...]:
    """A list of v3 users (``None`` = none)."""
    if values is None:
        return ()
    if not isinstance(values, list):
        raise _fail(f"{what} must be an array")
    return tuple(parse_user(value, f"{what}[]") for value in values)


# --------------------------------------------------------------------------------------------
# Events

_COMMON_KEYS: Final = frozenset(
    {"id", "type", "author_id", "created_at", "custom_id", "properties", "thread_id"}
)
_TYPE_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "message": _COMMON_KEYS | {"text"},
    "system_message": _COMMON_KEYS | {"text", "system_message_type"},
    "filled_form": _COMMON_KEYS | {"fields"},
    "file": _COMMON_KEYS | {"name", "url", "content_type", "size", "width", "height"},
    "custom": _COMMON_KEYS | {"content"},
    "form": _COMMON_KEYS | {"form_id", "form_type", "fields"},
    "rich_message": _COMMON_KEYS | {"template_id", "elements"},
    "system": _COMMON_KEYS | {"source", "subtype", "version", "details"},
}


def parse_event(value: Any, *, thread: str | None = None, require_id: bool = True) -> Event:
    """Parse one v3 event; ``thread`` is the id of the thread it belongs to.

    ``created_at`` becomes ``timestamp`` (ms; ``None`` when absent). With ``require_id=False``
    (previews and welcome messages carry no id) a missing ``id`` is the empty string.
    """
    obj = _obj(value, "event")
    event_id = obj.get("id")
    if event_id is None and not require_id:
        event_id = ""
    elif not isinstance(event_id, str):
        raise _fail("event.id must be a string")
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise _fail("event.type must be a string")
    if thread is None:
        thread = _opt_str(obj, "thread_id", "event")
    common: dict[str, Any] = {
        "id": event_id,
        "author": _opt_str(obj, "author_id", "event"),
        "timestamp": parse_timestamp(obj, "created_at", "event"),
        "thread": thread,
        "custom_id": _opt_str(obj, "custom_id", "event"),
        "properties": _mapping(obj, "properties", "event"),
        "extra": _extra(obj, _TYPE_KEYS.get(kind, _COMMON_KEYS)),
    }
    if kind == "message":
        return MessageEvent(text=_str(obj, "text", "event"), **common)
    if kind == "system_message":
        common["author"] = None
        return SystemMessageEvent(
            text=_opt_str(obj, "text", "event") or "",
            system_message_type=_opt_str(obj, "system_message_type", "event"),
            **common,
        )
    if kind == "file":
        width = _opt_int(obj, "width", "event")
        height = _opt_int(obj, "height", "event")
        if width is None or height is None:
            width = height = None
        return FileEvent(
            url=_str(obj, "url", "event"),
            content_type=_opt_str(obj, "content_type", "event"),
            name=_opt_str(obj, "name", "event"),
            size=_opt_int(obj, "size", "event"),
            width=width,
            height=height,
            **common,
        )
    if kind == "filled_form":
        return FilledFormEvent(fields=_objects(obj, "fields", "event"), **common)
    if kind == "custom":
        return CustomEvent(content=obj.get("content"), **common)
    if kind == "form":
        return FormEvent(
            form_id=_str(obj, "form_id", "event"),
            form_type=_opt_str(obj, "form_type", "event"),
            fields=_objects(obj, "fields", "event"),
            **common,
        )
    if kind == "rich_message":
        return RichMessageEvent(
            template_id=_str(obj, "template_id", "event"),
            elements=_objects(obj, "elements", "event"),
            **common,
        )
    if kind == "system":
        common["author"] = None
        return SystemEvent(
            subtype=_str(obj, "subtype", "event"),
            source=_opt_str(obj, "source", "event"),
            version=_opt_int(obj, "version", "event"),
            details=obj.get("details"),
            **common,
        )
    return UnknownEvent(type=kind, **common)


_MESSAGE_KEYS: Final = _TYPE_KEYS["message"]
# v3.6 events carry ``recipients``, which goes to ``extra``: a message whose only other key is
# that one gets its one-key ``extra`` without the general comprehension.
_MESSAGE_KEYS_R: Final = _MESSAGE_KEYS | {"recipients"}
_MESSAGE_KEY_COUNT_R: Final = len(_MESSAGE_KEYS_R)


def plain_message(obj: dict[str, Any], thread: str) -> MessageEvent | None:
    """:func:`parse_event` of a well-formed v3 ``message`` in one pass; ``None`` for anything
    else, which :func:`parse_event` decides (the result, or the error, is then exactly the
    general parser's)."""
    get = obj.get
    event_id = get("id")
    text = get("text")
    author = get("author_id")
    custom_id = get("custom_id")
    properties = get("properties")
    created = get("created_at")
    if not (
        type(event_id) is str
        and type(text) is str
        and get("type") == "message"
        and (author is None or type(author) is str)
        and (custom_id is None or type(custom_id) is str)
        and (properties is None or type(properties) is dict)
    ):
        return None
    millis = None if created is None else parse_ms(created)
    if millis is None and created is not None:
        return None
    if len(obj) <= _MESSAGE_KEY_COUNT_R and _MESSAGE_KEYS_R.issuperset(obj):
        extra = {"recipients": obj["recipients"]} if "recipients" in obj else _EMPTY
    else:
        extra = _extra(obj, _MESSAGE_KEYS)
    return _build_message(
        event_id,
        "message",
        author,
        millis,
        thread,
        custom_id,
        {} if properties is None else properties,
        extra,
        text,
    )


def parse_events(values: Any, *, thread: str | None = None) -> tuple[Event, ...]:
    """A list of v3 events, in array order (the only order v3 gives)."""
    if not isinstance(values, list):
        raise _fail("events must be an array")
    return tuple(parse_event(value, thread=thread) for value in values)


# --------------------------------------------------------------------------------------------
# Threads and chats

_THREAD_KEYS: Final = frozenset({"id", "active", "user_ids", "events", "properties", "created_at"})


def parse_thread(value: Any, *, chat: str) -> Thread:
    """A v3 thread of chat ``chat``; ``order`` is ``created_at`` in ms (required).

    ``access``, ``queue``, ``previous_thread_id``, ``next_thread_id`` go to ``extra``.
    """
    obj = _obj(value, "thread")
    thread_id = _str(obj, "id", "thread")
    active = obj.get("active")
    if not isinstance(active, bool):
        raise _fail("thread.active must be a boolean")
    order = _required_timestamp(obj, "created_at", "thread")
    events = obj.get("events")
    return Thread(
        id=thread_id,
        chat=chat,
        active=active,
        order=order,
        users=_str_list(obj, "user_ids", "thread"),
        events=() if events is None else parse_events(events, thread=thread_id),
        properties=_mapping(obj, "properties", "thread"),
        extra=_extra(obj, _THREAD_KEYS),
    )


_CHAT_KEYS: Final = frozenset({"id", "users", "properties", "thread"})


def parse_chat(
    value: Any, *, thread_required: bool = True
) -> tuple[Chat, tuple[User, ...], Thread | None]:
    """A v3 chat with one ``thread`` (``incoming_chat``, ``get_chat``): chat, users, thread.

    ``get_chat`` of a chat without threads has no ``thread``: pass ``thread_required=False``.
    ``access`` (v0.3's scopes) and ``transferred_from`` go to ``Chat.extra``.
    """
    obj = _obj(value, "chat")
    chat_id = _str(obj, "id", "chat")
    users = parse_users(obj.get("users"))
    raw_thread = obj.get("thread")
    thread = None
    if raw_thread is not None or thread_required:
        thread = parse_thread(_obj(raw_thread, "chat.thread"), chat=chat_id)
    chat = Chat(
        id=chat_id,
        users=tuple(user.id for user in users),
        threads=() if thread is None else (thread.id,),
        properties=_mapping(obj, "properties", "chat"),
        extra=_extra(obj, _CHAT_KEYS),
    )
    return chat, users, thread


# --------------------------------------------------------------------------------------------
# Chat summaries (list_chats)

_SUMMARY_KEYS: Final = frozenset({"id", "users", "properties", "last_event_per_type", "active"})


def _last_events(value: Any) -> tuple[Mapping[str, Event], Event | None]:
    """``last_event_per_type`` ``{type: {thread_id, thread_created_at, event}}``: the events
    by type, and the newest of them by ``created_at`` (then by its thread's creation)."""
    if value is None:
        return {}, None
    what = "chat_summary.last_event_per_type"
    entries = _obj(value, what)
    per_type: dict[str, Event] = {}
    newest: tuple[int, int, Event] | None = None
    for kind, entry in entries.items():
        entry_obj = _obj(entry, f"{what}[]")
        thread = _opt_str(entry_obj, "thread_id", f"{what}[]")
        thread_created = parse_timestamp(entry_obj, "thread_created_at", f"{what}[]")
        event = parse_event(_obj(entry_obj.get("event"), f"{what}[].event"), thread=thread)
        per_type[kind] = event
        key = (
            -1 if event.timestamp is None else event.timestamp,
            -1 if thread_created is None else thread_created,
            event,
        )
        if newest is None or key[:2] > newest[:2]:
            newest = key
    return per_type, None if newest is None else newest[2]


def parse_chat_summary(value: Any) -> tuple[ChatSummary, tuple[User, ...]]:
    """One ``list_chats`` chat summary, and its users (for ``user_data``).

    ``order`` is ``last_thread_created_at`` in ms (``None`` without threads);
    ``last_seen_timestamps`` maps each user to its ``events_seen_up_to`` in ms (or ``None``);
    ``last_event`` is the newest of ``last_event_per_type`` by ``created_at``;
    ``last_thread_id``, ``last_thread_created_at`` and ``access`` stay in ``extra``.
    """
    obj = _obj(value, "chat_summary")
    chat_id = _str(obj, "id", "chat_summary")
    raw_users = obj.get("users")
    users = parse_users(raw_users, "chat_summary.users")
    seen = {
        user.id: parse_timestamp(raw, "events_seen_up_to", "chat_summary.users[]")
        for raw, user in zip(raw_users or (), users, strict=True)
    }
    per_type, last = _last_events(obj.get("last_event_per_type"))
    _opt_str(obj, "last_thread_id", "chat_summary")
    summary = ChatSummary(
        id=chat_id,
        order=parse_timestamp(obj, "last_thread_created_at", "chat_summary"),
        users=tuple(user.id for user in users),
        properties=_mapping(obj, "properties", "chat_summary"),
        last_seen_timestamps=seen,
        last_event=last,
        last_events_per_type=per_type,
        active=_opt_bool(obj, "active", "chat_summary"),
        extra=_extra(obj, _SUMMARY_KEYS),
    )
    return summary, users

"""v3 pushes to SDK events (``spec/v3.md`` section 9), as pure functions of the payload.

:func:`push_events` parses the whole push first and returns its events in the order to emit
them; it touches no state, so the engine applies what the events say (``thread_closed`` marks
the chat inactive, ``thread_summary`` makes a thread known) after a push parsed cleanly. A
malformed push raises :class:`~customer_protocol.errors.RemoteProtocolError` (the engine drops
and reports it). ``customer_disconnected`` is lifecycle, not an event source: the engine routes
it to :func:`.v3_errors.disconnect_action` and never here (here it would be a raw push).

:func:`pushes_for` lists the pushes a client of this dialect understands, for ``login.pushes``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from customer_protocol.dispatch import ChatTracker
from customer_protocol.errors import RemoteProtocolError
from customer_protocol.events import (
    ChatPropertiesDeleted,
    ChatPropertiesUpdated,
    ChatThreadPropertiesUpdated,
    ChatTransferred,
    CustomerSideStorageUpdated,
    CustomerUpdated,
    EventDeleted,
    EventPropertiesDeleted,
    EventPropertiesUpdated,
    EventUpdated,
    GreetingAccepted,
    GreetingCanceled,
    GroupsStatusUpdated,
    IncomingEventPreview,
    IncomingGreeting,
    IncomingMulticast,
    IncomingRichMessagePostback,
    IncomingThinkingIndicator,
    IncomingWelcomeMessage,
    LastSeenTimestampUpdated,
    NewEvent,
    Push,
    QueuePositionUpdated,
    SDKEvent,
    ThreadClosed,
    ThreadPropertiesDeleted,
    ThreadSummaryEvent,
    UserData,
    UserIsTyping,
    UserJoinedChat,
    UserLeftChat,
    UserStoppedTyping,
)
from customer_protocol.models import (
    ParsedChat,
    _extra,
    _list,
    _obj,
    _opt_str,
    _str,
    slot_builder,
    timestamp_ms,
)

from .v3_objects import (
    parse_chat,
    parse_event,
    parse_timestamp,
    parse_user,
    plain_message,
    session_fields_to_fields,
)
from .v3_results import parse_greeting, parse_groups_list, parse_queue

__all__ = [
    "LIFECYCLE_PUSHES",
    "PUSHES_3_5",
    "PUSHES_3_6",
    "incoming_event",
    "map_push",
    "parse_incoming_chat",
    "push_events",
    "pushes_for",
    "thread_opened_events",
]

_P: Final = "payload"


def _chat(payload: Mapping[str, Any]) -> str:
    return _str(payload, "chat_id", _P)


def _thread(payload: Mapping[str, Any]) -> str:
    return _str(payload, "thread_id", _P)


def _properties(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    return _obj(payload.get("properties"), "payload.properties")


def _names(payload: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    """Deleted properties ``{namespace: [names]}``."""
    names: dict[str, tuple[str, ...]] = {}
    for namespace, value in _properties(payload).items():
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise RemoteProtocolError("payload.properties must map namespaces to name arrays")
        names[namespace] = tuple(value)
    return names


# --------------------------------------------------------------------------------------------
# Chats and threads


def parse_incoming_chat(payload: Mapping[str, Any]) -> ParsedChat:
    """The chat of an ``incoming_chat`` push (its new thread required)."""
    chat, users, thread = parse_chat(payload.get("chat"))
    assert thread is not None  # parse_chat requires the thread by default
    return ParsedChat(chat=chat, users=users, thread=thread)


def thread_opened_events(parsed: ParsedChat) -> tuple[SDKEvent, ...]:
    """``user_data`` per user, then ``thread_summary``: what precedes a thread's events (and
    the result of a ``start_chat``/``resume_chat``/thread-opening send)."""
    thread = parsed.thread
    events: list[SDKEvent] = [UserData(user=user) for user in parsed.users]
    events.append(
        ThreadSummaryEvent(
            id=thread.id, chat=thread.chat, order=thread.order, total_events=len(thread.events)
        )
    )
    return tuple(events)


def _chat_events(parsed: ParsedChat) -> tuple[SDKEvent, ...]:
    news = (NewEvent(chat=parsed.chat.id, event=event) for event in parsed.thread.events)
    return (*thread_opened_events(parsed), *news)


def _incoming_chat(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return _chat_events(parse_incoming_chat(payload))


def _chat_deactivated(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (ThreadClosed(chat=_chat(payload)),)


def _chat_transferred(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    chat = _chat(payload)
    target = payload.get("transferred_to")
    to = {} if target is None else _obj(target, "payload.transferred_to")
    groups = _list(to, "group_ids", "payload.transferred_to", required=False)
    if not all(isinstance(g, int) and not isinstance(g, bool) for g in groups):
        raise RemoteProtocolError("payload.transferred_to.group_ids must be integers")
    agents = _list(to, "agent_ids", "payload.transferred_to", required=False)
    if not all(isinstance(a, str) for a in agents):
        raise RemoteProtocolError("payload.transferred_to.agent_ids must be strings")
    queue = payload.get("queue")
    return (
        ChatTransferred(
            chat=chat,
            thread=_opt_str(payload, "thread_id", _P),
            requester=_opt_str(payload, "requester_id", _P),
            group_ids=tuple(groups),
            agent_ids=tuple(agents),
            queue=None if queue is None else parse_queue(queue, "payload.queue"),
        ),
    )


def _user_added(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    chat = _chat(payload)
    user = parse_user(payload.get("user"), "payload.user")
    return (UserData(user=user), UserJoinedChat(user=user.id, chat=chat))


def _user_removed(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (UserLeftChat(user=_str(payload, "user_id", _P), chat=_chat(payload)),)


# --------------------------------------------------------------------------------------------
# Events


def _incoming_event(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    chat, thread = _chat(payload), _thread(payload)
    return (NewEvent(chat=chat, event=parse_event(payload.get("event"), thread=thread)),)


_build_new_event: Final = slot_builder(NewEvent, ("chat", "event"))


def incoming_event(payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    """``map_push("incoming_event", ...)`` with the common message parsed in one pass (the
    engine's hot path, ``Dialect.event_pushes``); anything else takes the general parser."""
    chat = payload.get("chat_id")
    thread = payload.get("thread_id")
    event = payload.get("event")
    if type(chat) is str and type(thread) is str and type(event) is dict:
        message = plain_message(event, thread)
        if message is not None:
            return [_build_new_event(chat, message)]
    return list(_incoming_event(_obj(payload, _P)))


def _event_preview(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    chat, thread = _chat(payload), _thread(payload)
    event = parse_event(payload.get("event"), thread=thread, require_id=False)
    return (IncomingEventPreview(chat=chat, thread=thread, event=event),)


def _event_updated(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    chat, thread = _chat(payload), _thread(payload)
    return (
        EventUpdated(
            chat=chat, thread=thread, event=parse_event(payload.get("event"), thread=thread)
        ),
    )


def _event_deleted(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (
        EventDeleted(
            chat=_chat(payload), thread=_thread(payload), event=_str(payload, "event_id", _P)
        ),
    )


def _postback(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    chat, thread = _chat(payload), _thread(payload)
    event = _str(payload, "event_id", _P)
    postback = _obj(payload.get("postback"), "payload.postback")
    toggled = postback.get("toggled")
    if not isinstance(toggled, bool):
        raise RemoteProtocolError("payload.postback.toggled must be a boolean")
    ecommerce = postback.get("ecommerce")
    return (
        IncomingRichMessagePostback(
            chat=chat,
            thread=thread,
            event=event,
            user=_opt_str(payload, "user_id", _P),
            postback_id=_str(postback, "id", "payload.postback"),
            toggled=toggled,
            button_type=_opt_str(postback, "button_type", "payload.postback"),
            button_value=_opt_str(postback, "button_value", "payload.postback"),
            ecommerce=None if ecommerce is None else _obj(ecommerce, "payload.postback.ecommerce"),
        ),
    )


# --------------------------------------------------------------------------------------------
# Properties


def _chat_properties_updated(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (ChatPropertiesUpdated(chat=_chat(payload), properties=_properties(payload)),)


def _chat_properties_deleted(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (ChatPropertiesDeleted(chat=_chat(payload), properties=_names(payload)),)


def _thread_properties_updated(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (
        ChatThreadPropertiesUpdated(
            chat=_chat(payload), thread=_thread(payload), properties=_properties(payload)
        ),
    )


def _thread_properties_deleted(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (
        ThreadPropertiesDeleted(
            chat=_chat(payload), thread=_thread(payload), properties=_names(payload)
        ),
    )


def _event_properties_updated(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (
        EventPropertiesUpdated(
            chat=_chat(payload),
            thread=_thread(payload),
            event=_str(payload, "event_id", _P),
            properties=_properties(payload),
        ),
    )


def _event_properties_deleted(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (
        EventPropertiesDeleted(
            chat=_chat(payload),
            thread=_thread(payload),
            event=_str(payload, "event_id", _P),
            properties=_names(payload),
        ),
    )


# --------------------------------------------------------------------------------------------
# Customers, status, other

_CUSTOMER_UPDATE_KEYS: Final = frozenset(
    {"id", "type", "name", "email", "avatar", "session_fields"}
)


def _customer_updated(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    fields = payload.get("session_fields")
    return (
        CustomerUpdated(
            id=_opt_str(payload, "id", _P),
            customer_name=_opt_str(payload, "name", _P),
            email=_opt_str(payload, "email", _P),
            avatar=_opt_str(payload, "avatar", _P),
            fields=None if fields is None else session_fields_to_fields(fields, _P),
            extra=_extra(payload, _CUSTOMER_UPDATE_KEYS),
        ),
    )


def _storage_updated(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    storage = _obj(payload.get("customer_side_storage"), "payload.customer_side_storage")
    return (CustomerSideStorageUpdated(customer_side_storage=storage),)


def _groups_status(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (GroupsStatusUpdated(groups=parse_groups_list(payload.get("groups"), "payload.groups")),)


def _typing(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    chat = _chat(payload)
    indicator = _obj(payload.get("typing_indicator"), "payload.typing_indicator")
    user = _str(indicator, "author_id", "payload.typing_indicator")
    timestamp_ms(indicator, "timestamp", "payload.typing_indicator")  # seconds; checked only
    typing = indicator.get("is_typing")
    if not isinstance(typing, bool):
        raise RemoteProtocolError("payload.typing_indicator.is_typing must be a boolean")
    if typing:
        return (UserIsTyping(chat=chat, user=user),)
    return (UserStoppedTyping(chat=chat, user=user),)


def _thinking(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (
        IncomingThinkingIndicator(
            chat=_chat(payload),
            thread=_opt_str(payload, "thread_id", _P),
            author=_str(payload, "author_id", _P),
            sent_at=parse_timestamp(payload, "sent_at", _P),
            title=_opt_str(payload, "title", _P),
            description=_opt_str(payload, "description", _P),
            custom_id=_opt_str(payload, "custom_id", _P),
        ),
    )


def _multicast(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    if "content" not in payload:
        raise RemoteProtocolError("payload.content is missing")
    return (
        IncomingMulticast(author=_opt_str(payload, "author_id", _P), content=payload["content"]),
    )


def _seen(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    timestamp = parse_timestamp(payload, "seen_up_to", _P)
    if timestamp is None:
        raise RemoteProtocolError("payload.seen_up_to must be an RFC 3339 timestamp")
    return (
        LastSeenTimestampUpdated(
            chat=_chat(payload), user=_str(payload, "user_id", _P), timestamp=timestamp
        ),
    )


def _greeting(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (IncomingGreeting(greeting=parse_greeting(payload, _P)),)


def _greeting_accepted(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (GreetingAccepted(unique_id=_str(payload, "unique_id", _P)),)


def _greeting_canceled(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (GreetingCanceled(unique_id=_str(payload, "unique_id", _P)),)


def _welcome(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    event = parse_event(payload.get("event"), require_id=False)
    return (IncomingWelcomeMessage(id=_str(payload, "id", _P), event=event),)


def _queue(payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    return (
        QueuePositionUpdated(
            chat=_chat(payload),
            thread=_opt_str(payload, "thread_id", _P),
            queue=parse_queue(payload.get("queue"), "payload.queue"),
        ),
    )


_Handler = Callable[[Mapping[str, Any]], tuple[SDKEvent, ...]]

_HANDLERS_3_5: Final[Mapping[str, _Handler]] = {
    "incoming_chat": _incoming_chat,
    "chat_deactivated": _chat_deactivated,
    "chat_transferred": _chat_transferred,
    "user_added_to_chat": _user_added,
    "user_removed_from_chat": _user_removed,
    "incoming_event": _incoming_event,
    "event_updated": _event_updated,
    "incoming_rich_message_postback": _postback,
    "chat_properties_updated": _chat_properties_updated,
    "chat_properties_deleted": _chat_properties_deleted,
    "thread_properties_updated": _thread_properties_updated,
    "thread_properties_deleted": _thread_properties_deleted,
    "event_properties_updated": _event_properties_updated,
    "event_properties_deleted": _event_properties_deleted,
    "customer_updated": _customer_updated,
    "customer_side_storage_updated": _storage_updated,
    "groups_status_updated": _groups_status,
    "incoming_typing_indicator": _typing,
    "incoming_multicast": _multicast,
    "events_marked_as_seen": _seen,
    "incoming_greeting": _greeting,
    "greeting_accepted": _greeting_accepted,
    "greeting_canceled": _greeting_canceled,
    "queue_position_updated": _queue,
}
_HANDLERS: Final[Mapping[str, _Handler]] = {
    **_HANDLERS_3_5,
    # new in v3.6
    "incoming_event_preview": _event_preview,
    "event_deleted": _event_deleted,
    "incoming_thinking_indicator": _thinking,
    "incoming_welcome_message": _welcome,
}

LIFECYCLE_PUSHES: Final = frozenset({"customer_disconnected"})
"""Pushes the engine handles itself (never given to :func:`push_events`)."""
PUSHES_3_5: Final = frozenset(_HANDLERS_3_5) | LIFECYCLE_PUSHES
"""Every push of v3.5 this client understands."""
PUSHES_3_6: Final = frozenset(_HANDLERS) | LIFECYCLE_PUSHES
"""Every push of v3.6 this client understands."""
_PUSHES: Final = {"3.5": PUSHES_3_5, "3.6": PUSHES_3_6}


def pushes_for(version: str) -> frozenset[str]:
    """The pushes a client of API ``version`` (``"3.5"`` or ``"3.6"``) asks for at login.

    Raises :class:`ValueError` for another version.
    """
    try:
        return _PUSHES[version]
    except KeyError:
        raise ValueError(f"unsupported v3 version {version!r}") from None


def push_events(action: str, payload: Mapping[str, Any]) -> tuple[SDKEvent, ...]:
    """The SDK events of one v3 push, in the order to emit them (``spec/v3.md`` section 9).

    Pushes of the seed's concepts give the seed's events (``incoming_chat``: ``user_data`` per
    user, ``thread_summary``, then ``new_event`` per event in array order); the others give
    the event named after the push (:data:`~customer_protocol.events.V3Event`); an unknown push
    gives a raw :class:`~customer_protocol.events.Push`. Raises
    :class:`~customer_protocol.errors.RemoteProtocolError` for a malformed payload.
    """
    handler = _HANDLERS.get(action)
    if handler is None:
        return (Push(name=action, payload=payload),)
    return handler(_obj(payload, _P))


def map_push(action: str, payload: Mapping[str, Any], tracker: ChatTracker) -> list[SDKEvent]:
    """:func:`push_events`, then what the push says about chat activity, applied to
    ``tracker`` (the v0.3 ``dispatch.map_push`` contract: nothing changes when parsing fails).

    ``incoming_chat`` makes its thread the chat's newest and the chat active as that thread is
    (``start_chat``/``resume_chat`` may open an inactive thread); ``chat_deactivated`` marks the
    chat inactive.
    """
    if action == "incoming_chat":
        parsed = parse_incoming_chat(_obj(payload, _P))
        events = list(_chat_events(parsed))
        thread = parsed.thread
        tracker.thread_seen(thread.chat, thread.id, thread.order, None)
        tracker.set_active(thread.chat, thread.active)
        return events
    events = list(push_events(action, payload))
    for event in events:
        if isinstance(event, ThreadClosed):
            tracker.set_active(event.chat, False)
    return events

"""Typed results of the LiveChat v3.x actions (``spec/v3.md`` sections 4, 5 and 8).

One parser per action whose response carries data, each returning a frozen, slotted,
keyword-only value; :func:`parse_result` picks the parser by action (actions whose response is
empty resolve with ``True``). Objects inside are the client models of
:mod:`customer_protocol.models`, parsed by :mod:`.v3_objects`. Every parser raises
:class:`~customer_protocol.errors.RemoteProtocolError` on a missing required field or a wrong
type, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from customer_protocol.dispatch import ChatTracker
from customer_protocol.errors import RemoteProtocolError
from customer_protocol.models import (
    Agent,
    Chat,
    ChatsSummary,
    ChatSummary,
    Customer,
    Event,
    Thread,
    ThreadSummary,
    User,
    _extra,
    _list,
    _mapping,
    _obj,
    _opt_int,
    _opt_str,
    _recency,
    _str,
    _str_list,
)

from .v3_objects import (
    parse_agent,
    parse_chat,
    parse_chat_summary,
    parse_event,
    parse_thread,
    parse_timestamp,
    parse_user,
)

__all__ = [
    "ChatsPage",
    "Form",
    "FormResult",
    "GetChatResult",
    "Greeting",
    "LoginChat",
    "LoginResult",
    "PredictedAgent",
    "Queue",
    "ResumeChatResult",
    "SendEventResult",
    "StartChatResult",
    "ThreadsPage",
    "UrlInfo",
    "WelcomeMessage",
    "chats_summary",
    "parse_customer",
    "parse_get_chat",
    "parse_get_form",
    "parse_greeting",
    "parse_group_statuses",
    "parse_groups_list",
    "parse_list_chats",
    "parse_list_threads",
    "parse_login",
    "parse_predicted_agent",
    "parse_queue",
    "parse_result",
    "parse_resume_chat",
    "parse_send_event",
    "parse_start_chat",
    "parse_update_customer_page",
    "parse_upload_file",
    "parse_url_info",
    "parse_welcome_message",
    "thread_summaries",
    "track_chats",
    "track_threads",
]


def _fail(what: str) -> RemoteProtocolError:
    return RemoteProtocolError(what)


def _bool(obj: Mapping[str, Any], key: str, what: str) -> bool:
    value = obj.get(key)
    if not isinstance(value, bool):
        raise _fail(f"{what}.{key} must be a boolean")
    return value


def _opt_bool(obj: Mapping[str, Any], key: str, what: str) -> bool | None:
    if obj.get(key) is None:
        return None
    return _bool(obj, key, what)


def _count(obj: Mapping[str, Any], key: str, what: str) -> int | None:
    value = _opt_int(obj, key, what)
    if value is not None and value < 0:
        raise _fail(f"{what}.{key} must be a non-negative integer")
    return value


# --------------------------------------------------------------------------------------------
# Shared pieces: queue, greeting, group statuses, customer


@dataclass(frozen=True, slots=True, kw_only=True)
class Queue:
    """A chat's place in the queue: ``position``, ``wait_time`` (s), ``queued_at`` (ms)."""

    position: int
    wait_time: int | None = None
    queued_at: int | None = None


def parse_queue(value: Any, what: str = "queue") -> Queue:
    """``{position, wait_time?, queued_at?}``."""
    obj = _obj(value, what)
    position = _count(obj, "position", what)
    if position is None:
        raise _fail(f"{what}.position must be an integer")
    return Queue(
        position=position,
        wait_time=_count(obj, "wait_time", what),
        queued_at=parse_timestamp(obj, "queued_at", what),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Greeting:
    """A greeting (``incoming_greeting``, ``login.greeting``).

    ``id`` is the greeting configured in the license (for ``accept_greeting``), ``unique_id``
    this sending of it; ``event`` is a message or rich message (its ``id`` may be empty).
    """

    id: int
    unique_id: str
    event: Event
    agent: Agent | None = None
    accepted: bool | None = None
    displayed_first_time: bool | None = None
    addon: str | None = None
    subtype: str | None = None
    is_exit_intent: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)


_GREETING_KEYS: Final = frozenset(
    {
        "id",
        "unique_id",
        "event",
        "agent",
        "accepted",
        "displayed_first_time",
        "addon",
        "subtype",
        "is_exit_intent",
    }
)


def parse_greeting(value: Any, what: str = "greeting") -> Greeting:
    """A greeting object."""
    obj = _obj(value, what)
    greeting_id = _opt_int(obj, "id", what)
    if greeting_id is None:
        raise _fail(f"{what}.id must be an integer")
    agent = obj.get("agent")
    return Greeting(
        id=greeting_id,
        unique_id=_str(obj, "unique_id", what),
        event=parse_event(_obj(obj.get("event"), f"{what}.event"), require_id=False),
        agent=None if agent is None else parse_agent(agent, f"{what}.agent"),
        accepted=_opt_bool(obj, "accepted", what),
        displayed_first_time=_opt_bool(obj, "displayed_first_time", what),
        addon=_opt_str(obj, "addon", what),
        subtype=_opt_str(obj, "subtype", what),
        is_exit_intent=_opt_bool(obj, "is_exit_intent", what),
        extra=_extra(obj, _GREETING_KEYS),
    )


def parse_group_statuses(value: Any, what: str = "groups_status") -> Mapping[int, str]:
    """``{"<group id>": status}`` (``list_group_statuses``) as ``{group id: status}``."""
    obj = _obj(value, what)
    statuses: dict[int, str] = {}
    for key, status in obj.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit()) or not isinstance(
            status, str
        ):
            raise _fail(f"{what} must map group ids to status strings")
        statuses[int(key)] = status
    return statuses


def parse_groups_list(value: Any, what: str = "groups") -> Mapping[int, str]:
    """``[{id, status}]`` (``groups_status_updated``, ``update_customer_page``) as
    ``{group id: status}``."""
    if not isinstance(value, list):
        raise _fail(f"{what} must be an array")
    statuses: dict[int, str] = {}
    for item in value:
        entry = _obj(item, f"{what}[]")
        group = _count(entry, "id", f"{what}[]")
        if group is None:
            raise _fail(f"{what}[].id must be an integer")
        statuses[group] = _str(entry, "status", f"{what}[]")
    return statuses


def parse_customer(value: Any, what: str = "customer") -> Customer:
    """A customer object whose ``type`` may be absent (``login``, ``get_customer``)."""
    obj = dict(_obj(value, what))
    obj.setdefault("type", "customer")
    user = parse_user(obj, what)
    if not isinstance(user, Customer):
        raise _fail(f"{what}.type must be 'customer'")
    return user


# --------------------------------------------------------------------------------------------
# login


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginChat:
    """One entry of ``login.chats``."""

    chat_id: str
    has_unread_events: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginResult:
    """The ``login`` response: the customer (``id``, ``statistics``, ...), whether a thread is
    active, the customer's chats, a pending greeting, and ``__priv_dynamic_config`` as sent."""

    customer: Customer
    has_active_thread: bool
    chats: tuple[LoginChat, ...] = ()
    greeting: Greeting | None = None
    dynamic_config: Mapping[str, Any] = field(default_factory=dict, repr=False)


def parse_login(payload: Mapping[str, Any]) -> LoginResult:
    """Parse the ``login`` response payload."""
    payload = _obj(payload, "payload")
    chats = []
    for item in _list(payload, "chats", "payload", required=False):
        entry = _obj(item, "payload.chats[]")
        chats.append(
            LoginChat(
                chat_id=_str(entry, "chat_id", "payload.chats[]"),
                has_unread_events=bool(_opt_bool(entry, "has_unread_events", "payload.chats[]")),
            )
        )
    greeting = payload.get("greeting")
    return LoginResult(
        customer=parse_customer(payload.get("customer"), "payload.customer"),
        has_active_thread=bool(_opt_bool(payload, "has_active_thread", "payload")),
        chats=tuple(chats),
        greeting=None if greeting is None else parse_greeting(greeting, "payload.greeting"),
        dynamic_config=_mapping(payload, "__priv_dynamic_config", "payload"),
    )


# --------------------------------------------------------------------------------------------
# Chats


@dataclass(frozen=True, slots=True, kw_only=True)
class StartChatResult:
    """The ``start_chat`` response: ``{chat_id, thread_id, event_ids?}``."""

    chat_id: str
    thread_id: str
    event_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ResumeChatResult:
    """The ``resume_chat`` response: ``{thread_id, event_ids?}``."""

    thread_id: str
    event_ids: tuple[str, ...] = ()


def parse_start_chat(payload: Mapping[str, Any]) -> StartChatResult:
    """Parse the ``start_chat`` response payload."""
    payload = _obj(payload, "payload")
    return StartChatResult(
        chat_id=_str(payload, "chat_id", "payload"),
        thread_id=_str(payload, "thread_id", "payload"),
        event_ids=_str_list(payload, "event_ids", "payload"),
    )


def parse_resume_chat(payload: Mapping[str, Any]) -> ResumeChatResult:
    """Parse the ``resume_chat`` response payload."""
    payload = _obj(payload, "payload")
    return ResumeChatResult(
        thread_id=_str(payload, "thread_id", "payload"),
        event_ids=_str_list(payload, "event_ids", "payload"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SendEventResult:
    """The ``send_event`` response: ``{event_id}``."""

    event_id: str


def parse_send_event(payload: Mapping[str, Any]) -> SendEventResult:
    """Parse the ``send_event`` response payload."""
    payload = _obj(payload, "payload")
    return SendEventResult(event_id=_str(payload, "event_id", "payload"))


def _page_ids(payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
    return (
        _opt_str(payload, "next_page_id", "payload"),
        _opt_str(payload, "previous_page_id", "payload"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatsPage:
    """One ``list_chats`` page: summaries in the server's order, every user (for
    ``user_data``), the server's estimate of the total, and the page ids."""

    chats: tuple[ChatSummary, ...]
    users: tuple[User, ...]
    total_chats: int
    next_page_id: str | None = None
    previous_page_id: str | None = None


def parse_list_chats(payload: Mapping[str, Any]) -> ChatsPage:
    """Parse the ``list_chats`` response payload (a missing ``total_chats``: the page size)."""
    payload = _obj(payload, "payload")
    chats = []
    users: list[User] = []
    for item in _list(payload, "chats_summary", "payload"):
        summary, chat_users = parse_chat_summary(item)
        chats.append(summary)
        users.extend(chat_users)
    total = _count(payload, "total_chats", "payload")
    next_page, previous_page = _page_ids(payload)
    return ChatsPage(
        chats=tuple(chats),
        users=tuple(users),
        total_chats=len(chats) if total is None else total,
        next_page_id=next_page,
        previous_page_id=previous_page,
    )


def chats_summary(chats: Sequence[ChatSummary], total_chats: int) -> ChatsSummary:
    """The seed's ``get_chats_summary`` result from summaries gathered over ``list_chats``
    pages: most recent activity first, by the same one key as v0.3."""
    ordered = sorted(chats, key=_recency, reverse=True)
    return ChatsSummary(chats_summary=tuple(ordered), total_chats=total_chats)


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadsPage:
    """One ``list_threads`` page of chat ``chat``: threads in the server's order (newest first
    by default), ``found_threads`` when sent, and the page ids."""

    chat: str
    threads: tuple[Thread, ...]
    found_threads: int | None = None
    next_page_id: str | None = None
    previous_page_id: str | None = None


def parse_list_threads(payload: Mapping[str, Any], *, chat: str) -> ThreadsPage:
    """Parse the ``list_threads`` response payload for the request's ``chat``."""
    payload = _obj(payload, "payload")
    threads = tuple(parse_thread(item, chat=chat) for item in _list(payload, "threads", "payload"))
    next_page, previous_page = _page_ids(payload)
    return ThreadsPage(
        chat=chat,
        threads=threads,
        found_threads=_count(payload, "found_threads", "payload"),
        next_page_id=next_page,
        previous_page_id=previous_page,
    )


def thread_summaries(threads: Sequence[Thread]) -> tuple[ThreadSummary, ...]:
    """The seed's thread summaries ``{id, chat, order, total_events}`` derived from threads,
    sorted by ``order`` (``created_at``)."""
    return tuple(
        ThreadSummary(id=t.id, chat=t.chat, order=t.order, total_events=len(t.events))
        for t in sorted(threads, key=lambda t: t.order)
    )


def track_chats(chats: Sequence[ChatSummary], tracker: ChatTracker) -> None:
    """What ``list_chats`` summaries say about each chat: its newest thread (``last_thread_id``
    at ``order``) and whether it is active."""
    for summary in chats:
        thread = summary.extra.get("last_thread_id")
        if isinstance(thread, str) and summary.order is not None:
            tracker.thread_seen(summary.id, thread, summary.order, None)
        if summary.active is not None:
            tracker.set_active(summary.id, summary.active)


def track_threads(threads: Sequence[Thread], tracker: ChatTracker) -> None:
    """Make loaded threads known; the newest of a chat decides whether the chat is active."""
    for thread in threads:
        tracker.thread_seen(thread.chat, thread.id, thread.order, thread.active)


@dataclass(frozen=True, slots=True, kw_only=True)
class GetChatResult:
    """The ``get_chat`` response: the chat, its users, and the asked (or newest) thread, which
    is ``None`` for a chat without threads."""

    chat: Chat
    users: tuple[User, ...]
    thread: Thread | None


def parse_get_chat(payload: Mapping[str, Any]) -> GetChatResult:
    """Parse the ``get_chat`` response payload (the chat object itself)."""
    chat, users, thread = parse_chat(payload, thread_required=False)
    return GetChatResult(chat=chat, users=users, thread=thread)


# --------------------------------------------------------------------------------------------
# Other actions


@dataclass(frozen=True, slots=True, kw_only=True)
class Form:
    """A form template (``get_form``): its id and fields, as sent."""

    id: str | None
    fields: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FormResult:
    """The ``get_form`` response; ``form`` is ``None`` when the survey is disabled."""

    enabled: bool
    form: Form | None = None


def parse_get_form(payload: Mapping[str, Any]) -> FormResult:
    """Parse the ``get_form`` response payload."""
    payload = _obj(payload, "payload")
    enabled = _bool(payload, "enabled", "payload")
    raw = payload.get("form")
    if raw is None:
        return FormResult(enabled=enabled)
    obj = _obj(raw, "payload.form")
    fields = tuple(
        _obj(item, "payload.form.fields[]") for item in _list(obj, "fields", "payload.form")
    )
    return FormResult(
        enabled=enabled, form=Form(id=_opt_str(obj, "id", "payload.form"), fields=fields)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictedAgent:
    """The ``get_predicted_agent`` response: the agent, and whether the chat would queue."""

    agent: Agent
    queue: bool


def parse_predicted_agent(payload: Mapping[str, Any]) -> PredictedAgent:
    """Parse the ``get_predicted_agent`` response payload."""
    payload = _obj(payload, "payload")
    return PredictedAgent(
        agent=parse_agent(payload.get("agent"), "payload.agent"),
        queue=bool(_opt_bool(payload, "queue", "payload")),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WelcomeMessage:
    """The ``request_welcome_message`` response: its id, the predicted agent, queueing."""

    id: str
    predicted_agent: Agent | None = None
    queue: bool | None = None


def parse_welcome_message(payload: Mapping[str, Any]) -> WelcomeMessage:
    """Parse the ``request_welcome_message`` response payload."""
    payload = _obj(payload, "payload")
    agent = payload.get("predicted_agent")
    return WelcomeMessage(
        id=_str(payload, "id", "payload"),
        predicted_agent=None if agent is None else parse_agent(agent, "payload.predicted_agent"),
        queue=_opt_bool(payload, "queue", "payload"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlInfo:
    """The ``get_url_info`` response (image sizes in pixels)."""

    url: str | None = None
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    image_original_url: str | None = None
    image_width: int | None = None
    image_height: int | None = None


def parse_url_info(payload: Mapping[str, Any]) -> UrlInfo:
    """Parse the ``get_url_info`` response payload."""
    payload = _obj(payload, "payload")
    texts = ("url", "title", "description", "image_url", "image_original_url")
    return UrlInfo(
        **{key: _opt_str(payload, key, "payload") for key in texts},
        image_width=_count(payload, "image_width", "payload"),
        image_height=_count(payload, "image_height", "payload"),
    )


def parse_update_customer_page(payload: Mapping[str, Any]) -> Mapping[int, str]:
    """The ``update_customer_page`` response: the groups whose status changed (often none)."""
    payload = _obj(payload, "payload")
    groups = payload.get("groups")
    return {} if groups is None else parse_groups_list(groups, "payload.groups")


def parse_upload_file(payload: Mapping[str, Any]) -> str:
    """The Web API ``upload_file`` response: the file's URL."""
    payload = _obj(payload, "payload")
    return _str(payload, "url", "payload")


def _customer_result(payload: Mapping[str, Any]) -> Customer:
    return parse_customer(payload, "payload")


def _group_statuses_result(payload: Mapping[str, Any]) -> Mapping[int, str]:
    payload = _obj(payload, "payload")
    return parse_group_statuses(payload.get("groups_status"), "payload.groups_status")


_PARSERS: Final[Mapping[str, Callable[[Mapping[str, Any]], Any]]] = {
    "login": parse_login,
    "start_chat": parse_start_chat,
    "resume_chat": parse_resume_chat,
    "send_event": parse_send_event,
    "list_chats": parse_list_chats,
    "get_chat": parse_get_chat,
    "get_customer": _customer_result,
    "list_group_statuses": _group_statuses_result,
    "get_form": parse_get_form,
    "get_predicted_agent": parse_predicted_agent,
    "request_welcome_message": parse_welcome_message,
    "get_url_info": parse_url_info,
    "update_customer_page": parse_update_customer_page,
    "upload_file": parse_upload_file,
}
_EMPTY_RESPONSE: Final = frozenset(
    {
        "deactivate_chat",
        "delete_event",
        "send_rich_message_postback",
        "send_sneak_peek",
        "update_chat_properties",
        "delete_chat_properties",
        "update_thread_properties",
        "delete_thread_properties",
        "update_event_properties",
        "delete_event_properties",
        "update_customer",
        "set_customer_session_fields",
        "mark_events_as_seen",
        "accept_greeting",
        "cancel_greeting",
        "send_greeting_button_clicked",
        "ping",
    }
)


def parse_result(action: str, payload: Mapping[str, Any]) -> Any:
    """The typed result of a v3 ``action`` from its response ``payload``.

    Actions with an empty response resolve with ``True``; ``list_threads`` needs its chat and
    is parsed by :func:`parse_list_threads`. An action this dialect does not know is a
    :class:`KeyError` (a bug in the caller, not malformed server data).
    """
    if action in _EMPTY_RESPONSE:
        return True
    return _PARSERS[action](payload)

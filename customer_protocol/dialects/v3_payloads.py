"""Request payloads of the LiveChat v3.x dialect, built and checked in one place.

One function per v3 action that ``spec/v3.md`` sections 4, 5 and 8 use. Each checks its
arguments as the v0.3 builders do (:mod:`customer_protocol.args`: ``INVALID_ARGS`` with the
reason, nothing sent) and returns the payload the LiveChat docs define for v3.6 (v3.5 accepts
the same shapes for the actions it has). The engine decides where it goes: RTM or Web API.
Timestamps go out as RFC 3339 (:func:`customer_protocol.rfc3339.format_ms`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from customer_protocol import args as check
from customer_protocol import payloads
from customer_protocol.errors import InvalidArgumentsError
from customer_protocol.payloads import CustomIds
from customer_protocol.rfc3339 import format_ms
from customer_protocol.tokens import Token

from .v3_objects import fields_to_session_fields

__all__ = [
    "APPLICATION_NAME",
    "LIST_CHATS_MAX_LIMIT",
    "LIST_THREADS_MAX_LIMIT",
    "SESSION_FIELDS_MAX",
    "accept_greeting",
    "cancel_greeting",
    "cancel_rate",
    "deactivate_chat",
    "delete_chat_properties",
    "delete_event",
    "delete_event_properties",
    "delete_thread_properties",
    "encoded_message",
    "get_chat",
    "get_customer",
    "get_form",
    "get_predicted_agent",
    "get_url_info",
    "list_chats",
    "list_group_statuses",
    "list_threads",
    "login",
    "mark_events_as_seen",
    "request_welcome_message",
    "resume_chat",
    "resume_with_event",
    "send_event",
    "send_greeting_button_clicked",
    "send_message",
    "send_rating",
    "send_rich_message_postback",
    "send_sneak_peek",
    "set_customer_session_fields",
    "start_chat",
    "update_chat_properties",
    "update_customer",
    "update_customer_page",
    "update_event_properties",
    "update_thread_properties",
]

APPLICATION_NAME: Final = "customer-protocol"
"""``login.application.name``."""
LIST_CHATS_MAX_LIMIT: Final = 25
LIST_THREADS_MAX_LIMIT: Final = 100
"""Also the maximum of ``list_threads.min_events_count``."""
SESSION_FIELDS_MAX: Final = 100
"""``set_customer_session_fields`` takes at most 100 keys."""

_SORT_ORDERS: Final = ("asc", "desc")
_FORM_TYPES: Final = ("prechat", "postchat", "ticket")
# From the epoch to the end of year 9999, in ms: what format_ms writes as RFC 3339.
_MIN_MS: Final = 0
_MAX_MS: Final = 253402300800000


# --------------------------------------------------------------------------------------------
# Argument checks of v3's own shapes


def _non_negative_int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidArgumentsError(f"'{what}' must be a non-negative integer.")
    return value


def _group_ids(value: Any, what: str) -> list[int]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise InvalidArgumentsError(f"'{what}' must be a non-empty list of group ids.")
    return [_non_negative_int(item, f"{what}[]") for item in value]


def _access(value: Mapping[str, Any]) -> dict[str, Any]:
    """``access``: ``{group_ids: [int]}`` (other keys passed on as given)."""
    access = check.check_mapping(value, "access")
    if "group_ids" in access:
        access["group_ids"] = _group_ids(access["group_ids"], "access.group_ids")
    check.check_json(access, "'access'")
    return access


def _property_names(value: Any) -> dict[str, list[str]]:
    """Properties to delete: ``{namespace: [names]}``."""
    properties = check.check_mapping(value, "properties")
    if not properties:
        raise InvalidArgumentsError("'properties' must name at least one property.")
    for namespace, names in properties.items():
        properties[namespace] = check.check_str_list(names, f"properties.{namespace}")
    check.check_json(properties, "'properties'")
    return properties


def _update_properties(value: Any) -> dict[str, dict[str, Any]]:
    properties = check.check_properties(value)
    check.check_json(properties, "'properties'")
    return properties


def _text(value: Any, what: str) -> str:
    """A non-empty string (JSON-safe)."""
    return check.check_chat(value, what)


def _opt_text(value: Any, what: str) -> str | None:
    text = check.check_optional_str(value, what)
    if text is not None:
        check.check_json(text, f"'{what}'")
    return text


def _sort_order(value: Any) -> str:
    if value not in _SORT_ORDERS:
        raise InvalidArgumentsError("'sort_order' must be 'asc' or 'desc'.")
    return str(value)


def _opt_bool(value: Any, what: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidArgumentsError(f"'{what}' must be a boolean.")
    return value


def _count(value: Any, maximum: int) -> int:
    """``min_events_count``: an integer from 1 to ``maximum``."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise InvalidArgumentsError(f"'min_events_count' must be an integer from 1 to {maximum}.")
    return value


def _page_id(value: Any, *exclusive: tuple[str, Any]) -> str:
    page_id = _text(value, "page_id")
    for name, other in exclusive:
        if other is not None:
            raise InvalidArgumentsError(f"'page_id' cannot be given with '{name}'.")
    return page_id


# --------------------------------------------------------------------------------------------
# Chats


def _chat_body(
    events: Sequence[Mapping[str, Any]],
    properties: Mapping[str, Any] | None,
    thread_properties: Mapping[str, Any] | None,
    access: Mapping[str, Any] | None,
    custom_ids: CustomIds,
) -> dict[str, Any]:
    chat: dict[str, Any] = {}
    if access is not None:
        chat["access"] = _access(access)
    if properties is not None:
        chat["properties"] = _update_properties(properties)
    if not isinstance(events, list | tuple):
        raise InvalidArgumentsError("'events' must be a list of events.")
    thread: dict[str, Any] = {}
    if events:
        thread["events"] = [payloads.event(item, custom_ids) for item in events]
    if thread_properties is not None:
        thread["properties"] = _update_properties(thread_properties)
    if thread:
        chat["thread"] = thread
    return chat


def _modes(payload: dict[str, Any], active: bool | None, continuous: bool | None) -> None:
    if _opt_bool(active, "active") is not None:
        payload["active"] = active
    if _opt_bool(continuous, "continuous") is not None:
        payload["continuous"] = continuous


def start_chat(
    custom_ids: CustomIds,
    *,
    events: Sequence[Mapping[str, Any]] = (),
    properties: Mapping[str, Any] | None = None,
    thread_properties: Mapping[str, Any] | None = None,
    access: Mapping[str, Any] | None = None,
    active: bool | None = None,
    continuous: bool | None = None,
) -> dict[str, Any]:
    """``start_chat {chat: {access?, properties?, thread?: {events?, properties?}}, active?,
    continuous?}``; every event gets a ``custom_id`` (a fresh one unless given)."""
    payload: dict[str, Any] = {}
    chat = _chat_body(events, properties, thread_properties, access, custom_ids)
    if chat:
        payload["chat"] = chat
    _modes(payload, active, continuous)
    return payload


def resume_chat(
    chat: str,
    custom_ids: CustomIds,
    *,
    events: Sequence[Mapping[str, Any]] = (),
    properties: Mapping[str, Any] | None = None,
    thread_properties: Mapping[str, Any] | None = None,
    access: Mapping[str, Any] | None = None,
    active: bool | None = None,
    continuous: bool | None = None,
) -> dict[str, Any]:
    """``resume_chat {chat: {id, access?, properties?, thread?}, active?, continuous?}``."""
    body = {"id": check.check_chat(chat)}
    body.update(_chat_body(events, properties, thread_properties, access, custom_ids))
    payload: dict[str, Any] = {"chat": body}
    _modes(payload, active, continuous)
    return payload


def resume_with_event(send_event_payload: Mapping[str, Any]) -> dict[str, Any]:
    """**(decision)** The ``resume_chat`` that carries a ``send_event`` to an inactive chat:
    ``{chat: {id, thread: {events: [event]}}}``, the event (and its ``custom_id``) unchanged.

    ``send_event_payload`` is what :func:`send_event` or :func:`send_message` built.
    """
    return {
        "chat": {
            "id": send_event_payload["chat_id"],
            "thread": {"events": [dict(send_event_payload["event"])]},
        }
    }


def deactivate_chat(chat: str) -> dict[str, Any]:
    """``deactivate_chat {id}`` (the seed's ``close_thread``)."""
    return {"id": check.check_chat(chat)}


def list_chats(
    *, limit: int | None = None, sort_order: str | None = None, page_id: str | None = None
) -> dict[str, Any]:
    """``list_chats {limit?, sort_order?}`` or ``{page_id}`` (limit at most 25)."""
    if page_id is not None:
        return {"page_id": _page_id(page_id, ("limit", limit), ("sort_order", sort_order))}
    payload: dict[str, Any] = {}
    if limit is not None:
        payload["limit"] = check.check_limit(limit, LIST_CHATS_MAX_LIMIT)
    if sort_order is not None:
        payload["sort_order"] = _sort_order(sort_order)
    return payload


def list_threads(
    chat: str,
    *,
    sort_order: str | None = None,
    limit: int | None = None,
    min_events_count: int | None = None,
    page_id: str | None = None,
) -> dict[str, Any]:
    """``list_threads {chat_id, sort_order?, limit? | min_events_count?}`` or
    ``{chat_id, page_id}``; ``limit`` and ``min_events_count`` at most 100, not both."""
    payload: dict[str, Any] = {"chat_id": check.check_chat(chat)}
    if page_id is not None:
        payload["page_id"] = _page_id(
            page_id,
            ("sort_order", sort_order),
            ("limit", limit),
            ("min_events_count", min_events_count),
        )
        return payload
    if sort_order is not None:
        payload["sort_order"] = _sort_order(sort_order)
    if limit is not None and min_events_count is not None:
        raise InvalidArgumentsError("Give 'limit' or 'min_events_count', not both.")
    if limit is not None:
        payload["limit"] = check.check_limit(limit, LIST_THREADS_MAX_LIMIT)
    if min_events_count is not None:
        payload["min_events_count"] = _count(min_events_count, LIST_THREADS_MAX_LIMIT)
    return payload


def get_chat(chat: str, thread: str | None = None) -> dict[str, Any]:
    """``get_chat {chat_id, thread_id?}`` (no thread: the newest one)."""
    payload = {"chat_id": check.check_chat(chat)}
    if thread is not None:
        payload["thread_id"] = check.check_chat(thread, "thread")
    return payload


# --------------------------------------------------------------------------------------------
# Events


def send_event(
    chat: str,
    body: Mapping[str, Any],
    custom_ids: CustomIds,
    *,
    attach_to_last_thread: bool | None = None,
) -> dict[str, Any]:
    """``send_event {chat_id, event, attach_to_last_thread?}``; the event gets a ``custom_id``
    (a fresh one unless given) so the exactly-once lookup can find it."""
    payload = payloads.send_event(chat, body, custom_ids)
    if _opt_bool(attach_to_last_thread, "attach_to_last_thread") is not None:
        payload["attach_to_last_thread"] = attach_to_last_thread
    return payload


def send_message(
    chat: str, text: str, custom_id: str | None, custom_ids: CustomIds
) -> dict[str, Any]:
    """``send_event`` of a ``message`` (the same shape in v3 as in v0.3)."""
    return payloads.send_message(chat, text, custom_id, custom_ids)


encoded_message: Final = payloads.encoded_message
"""A :func:`send_message` payload as compact JSON text (the same in both dialects)."""


def delete_event(chat: str, thread: str, event: str) -> dict[str, Any]:
    """``delete_event {chat_id, thread_id, event_id}`` (v3.6)."""
    return {
        "chat_id": check.check_chat(chat),
        "thread_id": check.check_chat(thread, "thread"),
        "event_id": check.check_chat(event, "event"),
    }


def send_rich_message_postback(
    chat: str,
    thread: str,
    event: str,
    postback_id: str,
    toggled: bool,
    *,
    button_type: str | None = None,
    button_value: str | None = None,
    ecommerce: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``send_rich_message_postback {chat_id, thread_id, event_id, postback: {id, toggled,
    button_type?, button_value?, ecommerce?: {product_id, ...}}}``."""
    payload = delete_event(chat, thread, event)
    if not isinstance(toggled, bool):
        raise InvalidArgumentsError("'toggled' must be a boolean.")
    postback: dict[str, Any] = {"id": _text(postback_id, "postback_id"), "toggled": toggled}
    if _opt_text(button_type, "button_type") is not None:
        postback["button_type"] = button_type
    if _opt_text(button_value, "button_value") is not None:
        postback["button_value"] = button_value
    if ecommerce is not None:
        shop = check.check_mapping(ecommerce, "ecommerce")
        _text(shop.get("product_id"), "ecommerce.product_id")
        check.check_json(shop, "'ecommerce'")
        postback["ecommerce"] = shop
    payload["postback"] = postback
    return payload


def send_sneak_peek(chat: str, text: str) -> dict[str, Any]:
    """``send_sneak_peek {chat_id, sneak_peek_text}`` (the seed's ``set_sneak_peek``)."""
    return payloads.sneak_peek(chat, text)


# --------------------------------------------------------------------------------------------
# Properties


def update_chat_properties(chat: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """``update_chat_properties {id, properties}`` (flat ``{ns: {name: value}}``)."""
    return {"id": check.check_chat(chat), "properties": _update_properties(properties)}


def delete_chat_properties(chat: str, properties: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """``delete_chat_properties {id, properties: {ns: [names]}}``."""
    return {"id": check.check_chat(chat), "properties": _property_names(properties)}


def update_thread_properties(
    chat: str, thread: str, properties: Mapping[str, Any]
) -> dict[str, Any]:
    """``update_thread_properties {chat_id, thread_id, properties}``."""
    return {
        "chat_id": check.check_chat(chat),
        "thread_id": check.check_chat(thread, "thread"),
        "properties": _update_properties(properties),
    }


def delete_thread_properties(
    chat: str, thread: str, properties: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """``delete_thread_properties {chat_id, thread_id, properties: {ns: [names]}}``."""
    return {
        "chat_id": check.check_chat(chat),
        "thread_id": check.check_chat(thread, "thread"),
        "properties": _property_names(properties),
    }


def update_event_properties(
    chat: str, thread: str, event: str, properties: Mapping[str, Any]
) -> dict[str, Any]:
    """``update_event_properties {chat_id, thread_id, event_id, properties}``."""
    payload = delete_event(chat, thread, event)
    payload["properties"] = _update_properties(properties)
    return payload


def delete_event_properties(
    chat: str, thread: str, event: str, properties: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """``delete_event_properties {chat_id, thread_id, event_id, properties: {ns: [names]}}``."""
    payload = delete_event(chat, thread, event)
    payload["properties"] = _property_names(properties)
    return payload


def send_rating(chat: str, thread: str, value: str, comment: str | None) -> dict[str, Any]:
    """The ``update_thread_properties`` of ``send_rating``: ``{rating: {score: 1 | 0,
    comment}}`` on ``thread`` (the chat's newest, found by the engine), as LiveChat's
    ``rateChat`` does."""
    properties = payloads.rating_properties(chat, value, comment)
    return update_thread_properties(chat, thread, properties)


def cancel_rate(chat: str, thread: str, properties: Sequence[str] = ("score",)) -> dict[str, Any]:
    """``cancel_rate``: the ``delete_thread_properties {rating: [names]}`` that withdraws a
    rating from ``thread`` (LiveChat's ``cancelRate``; not an action of its own)."""
    return delete_thread_properties(chat, thread, {"rating": properties})


# --------------------------------------------------------------------------------------------
# Customers


def get_customer() -> dict[str, Any]:
    """``get_customer {}``."""
    return {}


def _customer_body(name: str | None, email: str | None, avatar: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in (("name", name), ("email", email), ("avatar", avatar)):
        if _opt_text(value, key) is not None:
            body[key] = value
    return body


def _session_fields(fields: Mapping[str, str]) -> list[dict[str, str]]:
    checked = check.check_str_fields(fields)
    if len(checked) > SESSION_FIELDS_MAX:
        raise InvalidArgumentsError(f"Too many session fields (max {SESSION_FIELDS_MAX}).")
    check.check_json(checked, "'fields'")
    return fields_to_session_fields(checked)


def update_customer(
    *,
    name: str | None = None,
    email: str | None = None,
    avatar: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The requests of the seed's ``update_customer``, in order, as ``(action, payload)``:
    ``update_customer {name?, email?, avatar?}`` when one of them is given, then
    ``set_customer_session_fields`` when ``fields`` is given. At least one must be given."""
    requests: list[tuple[str, dict[str, Any]]] = []
    body = _customer_body(name, email, avatar)
    if body:
        requests.append(("update_customer", body))
    if fields is not None:
        requests.append(("set_customer_session_fields", set_customer_session_fields(fields)))
    if not requests:
        raise InvalidArgumentsError("Give at least one of 'name', 'email', 'avatar', 'fields'.")
    return requests


def set_customer_session_fields(fields: Mapping[str, str]) -> dict[str, Any]:
    """``set_customer_session_fields {session_fields: [{key: value}, ...]}`` (max 100)."""
    return {"session_fields": _session_fields(fields)}


def update_customer_page(url: str, title: str | None = None) -> dict[str, Any]:
    """``update_customer_page {url, title?}``."""
    payload: dict[str, Any] = {"url": _text(url, "url")}
    if _opt_text(title, "title") is not None:
        payload["title"] = title
    return payload


# --------------------------------------------------------------------------------------------
# Status and other actions


def list_group_statuses(group_ids: Sequence[int] | None = None) -> dict[str, Any]:
    """``list_group_statuses {group_ids}``, or ``{all: true}`` when ``group_ids`` is None."""
    if group_ids is None:
        return {"all": True}
    return {"group_ids": _group_ids(group_ids, "group_ids")}


def get_form(group_id: int, type: str) -> dict[str, Any]:
    """``get_form {group_id, type}``; ``type`` is ``prechat``, ``postchat`` or ``ticket``."""
    if type not in _FORM_TYPES:
        raise InvalidArgumentsError("'type' must be 'prechat', 'postchat' or 'ticket'.")
    return {"group_id": _non_negative_int(group_id, "group_id"), "type": type}


def get_predicted_agent() -> dict[str, Any]:
    """``get_predicted_agent {}`` (v3.5-3.6)."""
    return {}


def get_url_info(url: str) -> dict[str, Any]:
    """``get_url_info {url}``."""
    return {"url": _text(url, "url")}


def mark_events_as_seen(chat: str, seen_up_to_ms: float) -> dict[str, Any]:
    """``mark_events_as_seen {chat_id, seen_up_to}``: milliseconds (floored) as RFC 3339."""
    check.check_chat(chat)
    if (
        isinstance(seen_up_to_ms, bool)
        or not isinstance(seen_up_to_ms, int | float)
        or not math.isfinite(seen_up_to_ms)
        or not _MIN_MS <= seen_up_to_ms < _MAX_MS
    ):
        raise InvalidArgumentsError("'seen_up_to' must be a number of milliseconds.")
    return {"chat_id": chat, "seen_up_to": format_ms(math.floor(seen_up_to_ms))}


def accept_greeting(greeting_id: int, unique_id: str) -> dict[str, Any]:
    """``accept_greeting {greeting_id, unique_id}``."""
    return {
        "greeting_id": _non_negative_int(greeting_id, "greeting_id"),
        "unique_id": _text(unique_id, "unique_id"),
    }


def cancel_greeting(unique_id: str) -> dict[str, Any]:
    """``cancel_greeting {unique_id}``."""
    return {"unique_id": _text(unique_id, "unique_id")}


def send_greeting_button_clicked(greeting_unique_id: str, button_id: str) -> dict[str, Any]:
    """``send_greeting_button_clicked {greeting_unique_id, button_id}`` (v3.6)."""
    return {
        "greeting_unique_id": _text(greeting_unique_id, "greeting_unique_id"),
        "button_id": _text(button_id, "button_id"),
    }


def request_welcome_message(
    *, welcome_message_id: str | None = None, group_id: int | None = None
) -> dict[str, Any]:
    """``request_welcome_message {id?, group_id?}`` (v3.6)."""
    payload: dict[str, Any] = {}
    if welcome_message_id is not None:
        payload["id"] = _text(welcome_message_id, "welcome_message_id")
    if group_id is not None:
        payload["group_id"] = _non_negative_int(group_id, "group_id")
    return payload


# --------------------------------------------------------------------------------------------
# Login


def login(
    token: Token,
    *,
    version: str,
    pushes: Iterable[str],
    application_version: str,
    name: str | None = None,
    email: str | None = None,
    avatar: str | None = None,
    fields: Mapping[str, str] | None = None,
    customer_side_storage: Mapping[str, Any] | None = None,
    customer_page: Mapping[str, str] | None = None,
    group_id: int | None = None,
    referrer: str | None = None,
) -> dict[str, Any]:
    """``login`` (``spec/v3.md`` section 8).

    ``token`` as ``"<token_type> <access_token>"``; ``customer`` with what the client knows
    (omitted when it knows nothing); ``customer_side_storage`` as the last
    ``customer_side_storage_updated`` gave it (``{}`` at first); ``application {name,
    version}``; ``pushes {"<version>": [names, sorted]}``; ``customer_page {url, title?}``,
    ``group_id`` and ``referrer`` only when configured. The payload holds the token: never log
    it.
    """
    if not isinstance(token, Token):
        raise InvalidArgumentsError("'token' must be a Token.")
    customer = _customer_body(name, email, avatar)
    if fields:
        customer["session_fields"] = _session_fields(fields)
    storage = check.check_mapping(
        {} if customer_side_storage is None else customer_side_storage, "customer_side_storage"
    )
    check.check_json(storage, "'customer_side_storage'")
    names = sorted({_text(push, "pushes[]") for push in pushes})
    payload: dict[str, Any] = {"token": token.authorization}
    if customer:
        payload["customer"] = customer
    payload["customer_side_storage"] = storage
    payload["application"] = {
        "name": APPLICATION_NAME,
        "version": _text(application_version, "application_version"),
    }
    payload["pushes"] = {_text(version, "version"): names}
    if customer_page is not None:
        page = check.check_mapping(customer_page, "customer_page")
        _text(page.get("url"), "customer_page.url")
        _opt_text(page.get("title"), "customer_page.title")
        payload["customer_page"] = page
    if group_id is not None:
        payload["group_id"] = _non_negative_int(group_id, "group_id")
    if _opt_text(referrer, "referrer") is not None:
        payload["referrer"] = referrer
    return payload

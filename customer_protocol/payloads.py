"""Request payloads of the SDK methods, built and checked in one place.

Each function validates its arguments (``INVALID_ARGS`` with the reason text of ``sdk.md``
section 3) and returns the payload ``wire.md`` section 4 defines. :class:`ClientProtocol
<customer_protocol.client.ClientProtocol>` sends them over RTM; a Web API client
(``adapters.webapi``) posts the same payloads over HTTP.
"""

from __future__ import annotations

import itertools
import json.encoder
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from . import args as check
from .errors import InvalidArgumentsError

__all__ = [
    "chat_properties",
    "chat_scopes",
    "close_thread",
    "custom_ids",
    "encoded_message",
    "event",
    "get_chat_threads",
    "get_chat_threads_summary",
    "get_chats_summary",
    "last_seen_timestamp",
    "rating_properties",
    "send_event",
    "send_message",
    "sneak_peek",
    "start_chat",
    "thread_properties",
    "update_customer",
]

CustomIds = Callable[[], str]
"""A source of fresh ``custom_id`` values for events that have none."""

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
# A JSON string as the codec writes it (ensure_ascii off; orjson escapes the same way).
_string: Final = json.encoder.encode_basestring


def custom_ids(rng: Callable[[], float]) -> CustomIds:
    """Fresh ``custom_id`` values ``cp-<8 base-36 chars>-<counter>``.

    The random part is drawn once, from ``rng``, so two clients of one customer do not share
    ids (exactly-once reconciliation matches on them); the counter keeps them unique.
    """
    value = int(rng() * 36**8)
    chars = []
    for _ in range(8):
        value, digit = divmod(value, 36)
        chars.append(_BASE36[digit])
    prefix = f"cp-{''.join(chars)}-"
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def event(body: Mapping[str, Any], custom_ids: CustomIds) -> dict[str, Any]:
    """An event to send: a ``type``, and a ``custom_id`` (a fresh one unless given)."""
    result = check.check_mapping(body, "event")
    if not isinstance(result.get("type"), str) or not result["type"]:
        raise InvalidArgumentsError("'event.type' must be a non-empty string.")
    custom_id = result.get("custom_id")
    if custom_id is None:
        result["custom_id"] = custom_ids()
    elif not isinstance(custom_id, str) or not custom_id:
        raise InvalidArgumentsError("'event.custom_id' must be a non-empty string.")
    check.check_json(result)
    return result


def send_message(
    chat: str, text: str, custom_id: str | None, custom_ids: CustomIds
) -> dict[str, Any]:
    """``send_event`` of a ``message``: the same checks as :func:`send_event`, without walking
    a general event (the hot path of a chat client)."""
    if type(chat) is not str or not chat or not chat.isascii():  # else the common id: valid
        check.check_chat(chat)
    if not isinstance(text, str):
        raise InvalidArgumentsError("'text' must be a string.")
    if not text.isascii():
        check.check_json(text)
    if custom_id is None:
        custom_id = custom_ids()
    elif not isinstance(custom_id, str) or not custom_id:
        raise InvalidArgumentsError("'event.custom_id' must be a non-empty string.")
    elif not custom_id.isascii():
        check.check_json(custom_id)
    return {"chat_id": chat, "event": {"type": "message", "text": text, "custom_id": custom_id}}


def encoded_message(payload: Mapping[str, Any]) -> str:
    """A :func:`send_message` payload as compact JSON text, the bytes :func:`codec.dumps
    <customer_protocol.codec.dumps>` gives (either backend) without walking the dict: only
    its three strings need escaping, and send_message checked them (no lone surrogates)."""
    event = payload["event"]
    return (
        f'{{"chat_id":{_string(payload["chat_id"])},"event":{{"type":"message",'
        f'"text":{_string(event["text"])},"custom_id":{_string(event["custom_id"])}}}}}'
    )


def message(text: str, custom_id: str | None) -> dict[str, Any]:
    """A ``message`` event body."""
    if not isinstance(text, str):
        raise InvalidArgumentsError("'text' must be a string.")
    body: dict[str, Any] = {"type": "message", "text": text}
    if custom_id is not None:
        body["custom_id"] = custom_id
    return body


def start_chat(
    events: Sequence[Mapping[str, Any]],
    scope: Mapping[str, Any] | None,
    properties: Mapping[str, Any] | None,
    custom_ids: CustomIds,
) -> dict[str, Any]:
    """``start_chat``: the routing scope (license-wide by default), first events, properties."""
    payload: dict[str, Any] = {
        "routing_scope": check.check_mapping(scope, "scope") if scope else {"type": "license"}
    }
    if not isinstance(events, list | tuple):
        raise InvalidArgumentsError("'events' must be a list of events.")
    if events:
        payload["events"] = [event(item, custom_ids) for item in events]
    if properties is not None:
        payload["properties"] = check.check_properties(properties)
    check.check_json(payload)
    return payload


def send_event(chat: str, body: Mapping[str, Any], custom_ids: CustomIds) -> dict[str, Any]:
    """``send_event``: ``{chat_id, event}``."""
    return {"chat_id": check.check_chat(chat), "event": event(body, custom_ids)}


def close_thread(chat: str) -> dict[str, Any]:
    """``close_thread``: ``{chat_id}``."""
    return {"chat_id": check.check_chat(chat)}


def get_chats_summary(offset: int, limit: int) -> dict[str, Any]:
    """``get_chats_summary``: limit at most 25."""
    return {
        "offset": check.check_offset(offset),
        "limit": check.check_limit(limit, check.CHATS_SUMMARY_MAX_LIMIT),
    }


def get_chat_threads(chat: str, thread_ids: Sequence[str]) -> dict[str, Any]:
    """``get_chat_threads``: ``{chat_id, thread_ids}``."""
    payload = {
        "chat_id": check.check_chat(chat),
        "thread_ids": check.check_str_list(thread_ids, "thread_ids"),
    }
    check.check_json(payload)
    return payload


def get_chat_threads_summary(chat: str, offset: int, limit: int) -> dict[str, Any]:
    """``get_chat_threads_summary``: limit at most 1000 (the server may allow fewer)."""
    return {
        "chat_id": check.check_chat(chat),
        "offset": check.check_offset(offset),
        "limit": check.check_limit(limit, check.THREADS_SUMMARY_MAX_LIMIT),
    }


def update_customer(
    name: str | None, email: str | None, fields: Mapping[str, str] | None
) -> dict[str, Any]:
    """``update_customer``: ``{customer: {name?, email?, fields?}}``."""
    customer: dict[str, Any] = {}
    if check.check_optional_str(name, "name") is not None:
        customer["name"] = name
    if check.check_optional_str(email, "email") is not None:
        customer["email"] = email
    if fields is not None:
        customer["fields"] = check.check_str_fields(fields)
    check.check_json(customer)
    return {"customer": customer}


def last_seen_timestamp(chat: str, timestamp_ms: float | None) -> dict[str, Any]:
    """``update_last_seen_timestamp``: ``timestamp = floor(ms / 1000)`` when given."""
    payload: dict[str, Any] = {"chat_id": check.check_chat(chat)}
    if timestamp_ms is not None:
        if not isinstance(timestamp_ms, int | float) or isinstance(timestamp_ms, bool):
            raise InvalidArgumentsError("'timestamp' must be a number of milliseconds.")
        check.check_json(timestamp_ms)
        payload["timestamp"] = int(timestamp_ms // 1000)
    return payload


def chat_properties(chat: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """``update_chat_properties``: properties in the flat update form."""
    payload = {"chat_id": check.check_chat(chat), "properties": check.check_properties(properties)}
    check.check_json(payload)
    return payload


def thread_properties(chat: str, thread: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """``update_chat_thread_properties``: properties in the flat update form."""
    payload = {
        "chat_id": check.check_chat(chat),
        "thread_id": check.check_chat(thread, "thread"),
        "properties": check.check_properties(properties),
    }
    check.check_json(payload)
    return payload


def chat_scopes(
    chat: str, add_scopes: Mapping[str, Any] | None, remove_scopes: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``update_chat_scopes``: ``{chat_id, add_scopes?, remove_scopes?}``."""
    payload: dict[str, Any] = {"chat_id": check.check_chat(chat)}
    if add_scopes is not None:
        payload["add_scopes"] = check.check_mapping(add_scopes, "add_scopes")
    if remove_scopes is not None:
        payload["remove_scopes"] = check.check_mapping(remove_scopes, "remove_scopes")
    check.check_json(payload)
    return payload


def rating_properties(chat: str, value: str, comment: str | None) -> dict[str, Any]:
    """The thread properties ``send_rating`` sets: ``{"rating": {"score", "comment"}}``."""
    check.check_chat(chat)
    if value not in ("good", "bad"):
        raise InvalidArgumentsError("'value' must be 'good' or 'bad'.")
    check.check_optional_str(comment, "comment")
    properties = {"rating": {"score": 1 if value == "good" else 0, "comment": comment}}
    check.check_json(properties)
    return properties


def sneak_peek(chat: str, text: str) -> dict[str, Any]:
    """``send_sneak_peek``: ``{chat_id, sneak_peek_text}``."""
    check.check_chat(chat)
    if not isinstance(text, str):
        raise InvalidArgumentsError("'text' must be a string.")
    check.check_json(text)
    return {"chat_id": chat, "sneak_peek_text": text}

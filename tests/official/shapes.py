"""The shapes of v3.6 responses and pushes, as LiveChat's public docs describe them.

Each ``check_*`` raises ``AssertionError`` naming the path of the first field that is missing
or of the wrong type. Written from the field tables of the docs' RTM reference, pushes and data
structures pages (``v3.md`` names the pinned commit); optional fields are checked only when
present.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")


def fields(
    value: Any,
    where: str,
    required: Mapping[str, type | tuple[type, ...]],
    optional: Mapping[str, type | tuple[type, ...]] | None = None,
) -> dict[str, Any]:
    """``value`` is an object with ``required`` fields (and ``optional`` ones, if present)."""
    assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
    for name, kind in required.items():
        assert name in value, f"{where}.{name}: missing in {sorted(value)}"
        _kind(value[name], kind, f"{where}.{name}")
    for name, kind in (optional or {}).items():
        if name in value:
            _kind(value[name], kind, f"{where}.{name}")
    return value


def _kind(value: Any, kind: type | tuple[type, ...], where: str) -> None:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    assert ok, f"{where}: expected {kinds}, got {value!r}"


def timestamp(value: Any, where: str) -> None:
    """An RFC 3339 timestamp string (``v3.md`` section 3)."""
    assert isinstance(value, str) and RFC3339.fullmatch(value), f"{where}: {value!r}"


def empty(payload: Any, where: str) -> None:
    """A response without payload: ``{}``."""
    assert payload == {}, f"{where}: expected an empty payload, got {payload!r}"


def check_event(event: Any, where: str) -> dict[str, Any]:
    """An event: ``id``, ``type``, ``created_at``, ``author_id`` (+ type-specific fields)."""
    fields(
        event,
        where,
        {"id": str, "type": str, "created_at": str},
        {"author_id": str, "recipients": str, "properties": dict, "custom_id": str},
    )
    timestamp(event["created_at"], f"{where}.created_at")
    if event["type"] == "message":
        fields(event, where, {"text": str})
    elif event["type"] == "file":
        fields(event, where, {"url": str}, {"name": str, "content_type": str, "size": int})
    elif event["type"] == "system_message":
        fields(event, where, {"text": str}, {"system_message_type": str})
    return event


def check_user(user: Any, where: str) -> dict[str, Any]:
    """A user of a chat: ``id``, ``type`` (customer or agent), ``present``."""
    fields(user, where, {"id": str, "type": str}, {"present": bool, "name": str, "avatar": str})
    assert user["type"] in ("customer", "agent"), f"{where}.type: {user['type']!r}"
    return user


def check_access(access: Any, where: str) -> None:
    """``access: {group_ids: [int]}``."""
    fields(access, where, {}, {"group_ids": list})
    for index, group in enumerate(access.get("group_ids", [])):
        _kind(group, int, f"{where}.group_ids[{index}]")


def check_thread(thread: Any, where: str) -> dict[str, Any]:
    """A thread: ``id, active, user_ids, events, properties, access, created_at``."""
    fields(
        thread,
        where,
        {"id": str, "active": bool, "user_ids": list, "events": list, "created_at": str},
        {
            "properties": dict,
            "access": dict,
            "previous_thread_id": str,
            "next_thread_id": str,
            "queue": dict,
        },
    )
    timestamp(thread["created_at"], f"{where}.created_at")
    for index, event in enumerate(thread["events"]):
        check_event(event, f"{where}.events[{index}]")
    if "access" in thread:
        check_access(thread["access"], f"{where}.access")
    return thread


def check_chat(chat: Any, where: str, *, with_thread: bool = True) -> dict[str, Any]:
    """A chat (``get_chat``, ``incoming_chat``): ``id, users, thread?, access, properties``."""
    fields(chat, where, {"id": str, "users": list}, {"access": dict, "properties": dict})
    for index, user in enumerate(chat["users"]):
        check_user(user, f"{where}.users[{index}]")
    if with_thread:
        check_thread(chat.get("thread"), f"{where}.thread")
    return chat


def check_login(payload: Any) -> dict[str, Any]:
    """The login response (``v3.md`` sections 8 and 11)."""
    fields(
        payload,
        "login",
        {"customer": dict, "has_active_thread": bool, "__priv_dynamic_config": dict},
        {"chats": list, "greeting": dict},
    )
    check_customer(payload["customer"], "login.customer", statistics=True)
    for index, chat in enumerate(payload.get("chats", [])):
        fields(chat, f"login.chats[{index}]", {"chat_id": str, "has_unread_events": bool})
    config = fields(
        payload["__priv_dynamic_config"],
        "login.__priv_dynamic_config",
        {"online_groups_ids": list, "customer_groups": dict},
    )
    monitoring = fields(config["customer_groups"], "login...customer_groups", {"monitoring": dict})[
        "monitoring"
    ]
    fields(monitoring, "...customer_groups.monitoring", {"id": int, "static_config_url": str})
    return payload


def check_customer(customer: Any, where: str, *, statistics: bool = False) -> dict[str, Any]:
    """A customer: ``id`` (+ ``type``, name, email, avatar, session_fields, statistics)."""
    fields(
        customer,
        where,
        {"id": str},
        {"type": str, "name": str, "email": str, "avatar": str, "session_fields": list},
    )
    for index, field in enumerate(customer.get("session_fields", [])):
        assert isinstance(field, dict) and len(field) == 1, f"{where}.session_fields[{index}]"
    if statistics:
        stats = fields(customer, where, {"statistics": dict})["statistics"]
        for name in ("chats_count", "threads_count", "visits_count"):
            fields(stats, f"{where}.statistics", {name: int})
    return customer


def check_chats_summary(payload: Any, where: str = "list_chats") -> list[dict[str, Any]]:
    """``list_chats``: ``{chats_summary: [...], total_chats, next_page_id?, previous_page_id?}``."""
    fields(
        payload,
        where,
        {"chats_summary": list, "total_chats": int},
        {"next_page_id": str, "previous_page_id": str},
    )
    for index, summary in enumerate(payload["chats_summary"]):
        at = f"{where}.chats_summary[{index}]"
        fields(
            summary,
            at,
            {"id": str, "users": list},
            {
                "last_thread_id": str,
                "last_thread_created_at": str,
                "last_event_per_type": dict,
                "properties": dict,
                "access": dict,
                "active": bool,
            },
        )
        for kind, entry in summary.get("last_event_per_type", {}).items():
            fields(entry, f"{at}.last_event_per_type.{kind}", {"thread_id": str, "event": dict})
            check_event(entry["event"], f"{at}.last_event_per_type.{kind}.event")
        for user_index, user in enumerate(summary["users"]):
            check_user(user, f"{at}.users[{user_index}]")
    return list(payload["chats_summary"])


def check_threads(payload: Any, where: str = "list_threads") -> list[dict[str, Any]]:
    """``list_threads``: ``{threads: [...], found_threads, next_page_id?, previous_page_id?}``."""
    fields(
        payload,
        where,
        {"threads": list, "found_threads": int},
        {"next_page_id": str, "previous_page_id": str},
    )
    for index, thread in enumerate(payload["threads"]):
        check_thread(thread, f"{where}.threads[{index}]")
    return list(payload["threads"])


def check_error(message: Any, action: str, error_type: str | Sequence[str]) -> dict[str, Any]:
    """An RTM error response: ``success: false``, ``payload.error {type, message}``."""
    fields(message, action, {"action": str, "type": str, "success": bool, "payload": dict})
    assert message["action"] == action and message["type"] == "response"
    assert message["success"] is False, f"{action}: expected an error, got {message!r}"
    error = fields(
        message["payload"].get("error"), f"{action}.error", {"type": str, "message": str}
    )
    expected = (error_type,) if isinstance(error_type, str) else tuple(error_type)
    assert error["type"] in expected, f"{action}: error {error!r}, expected {expected}"
    return error

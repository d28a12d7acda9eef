"""v3 scenarios of properties (chat, thread, event: update and delete pushes, flat form) and
of the customer (``get_customer``, ``update_customer``, session fields, events seen):
``v3.md`` §2-§5, §9-§11."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .checks import expect, expect_error, expect_keys
from .checks_v3 import expect_rfc3339
from .context import Context
from .driver import RtmConnection
from .model import scenario
from .v3help import V3_NAMESPACE, custom, expect_validation, now_rfc3339, push_for, start

__all__ = ["SCENARIOS"]

_STATISTICS = ("chats_count", "threads_count", "visits_count", "page_views_count")


async def _answered_push(
    conn: RtmConnection, action: str, payload: dict[str, Any], push: str, chat_id: str
) -> dict[str, Any]:
    """Send ``action``; it succeeds and its answering ``push`` carries the request_id (§2)."""
    rid = await conn.send(action, payload)
    await conn.ok_response(rid, action)
    message = await push_for(conn, push, chat_id)
    expect(message.get("request_id") == rid, f"{push} with request_id {rid!r}", message)
    result: dict[str, Any] = message["payload"]
    return result


Where = Callable[[RtmConnection, str, str, str], Awaitable[tuple[dict[str, Any], Any]]]


async def _chat_where(
    conn: RtmConnection, chat_id: str, thread_id: str, event_id: str
) -> tuple[dict[str, Any], Any]:
    got = await conn.ok("get_chat", {"chat_id": chat_id})
    return {"id": chat_id}, got.get("properties")


async def _thread_where(
    conn: RtmConnection, chat_id: str, thread_id: str, event_id: str
) -> tuple[dict[str, Any], Any]:
    got = await conn.ok("get_chat", {"chat_id": chat_id, "thread_id": thread_id})
    return {"chat_id": chat_id, "thread_id": thread_id}, got.get("thread", {}).get("properties")


async def _event_where(
    conn: RtmConnection, chat_id: str, thread_id: str, event_id: str
) -> tuple[dict[str, Any], Any]:
    got = await conn.ok("get_chat", {"chat_id": chat_id, "thread_id": thread_id})
    events = [e for e in got.get("thread", {}).get("events", []) if e.get("id") == event_id]
    where = {"chat_id": chat_id, "thread_id": thread_id, "event_id": event_id}
    return where, events[0].get("properties") if events else None


_LEVELS: dict[str, tuple[str, Where]] = {
    "chat": ("chat", _chat_where),
    "thread": ("thread", _thread_where),
    "event": ("event", _event_where),
}


async def _properties(ctx: Context, level: str, *, delete: bool) -> None:
    noun, where = _LEVELS[level]
    conn, _, _ = await ctx.session()
    chat_id, thread_id, _ = await start(conn)
    event_id = str(
        (await conn.ok("send_event", {"chat_id": chat_id, "event": custom("p")})).get("event_id")
    )
    address, _ = await where(conn, chat_id, thread_id, event_id)
    values = {V3_NAMESPACE: {"color": "blue", "size": 3}}
    pushed = await _answered_push(
        conn,
        f"update_{noun}_properties",
        {**address, "properties": values},
        f"{noun}_properties_updated",
        chat_id,
    )
    expect(pushed.get("properties") == values, f"the flat properties {values}", pushed)
    for key in ("thread_id", "event_id"):
        if key in address:
            expect(pushed.get(key) == address[key], f"{key} {address[key]}", pushed)
    _, stored = await where(conn, chat_id, thread_id, event_id)
    expect(
        isinstance(stored, dict) and stored.get(V3_NAMESPACE) == values[V3_NAMESPACE],
        f"read back flat: {values}",
        stored,
    )
    if not delete:
        return
    gone = {V3_NAMESPACE: ["color"]}
    pushed = await _answered_push(
        conn,
        f"delete_{noun}_properties",
        {**address, "properties": gone},
        f"{noun}_properties_deleted",
        chat_id,
    )
    expect(pushed.get("properties") == gone, f"deleted {gone}", pushed)
    _, stored = await where(conn, chat_id, thread_id, event_id)
    left = stored.get(V3_NAMESPACE, {}) if isinstance(stored, dict) else None
    expect(left == {"size": 3}, "only size left", stored)


async def chat_properties(ctx: Context) -> None:
    """``update_chat_properties {id, properties}``: ``chat_properties_updated`` (flat, with
    the request_id); ``get_chat`` reads them back flat."""
    await _properties(ctx, "chat", delete=False)


async def chat_properties_delete(ctx: Context) -> None:
    """``delete_chat_properties {id, properties: {ns: [names]}}``: ``chat_properties_deleted``;
    the rest stays."""
    await _properties(ctx, "chat", delete=True)


async def thread_properties(ctx: Context) -> None:
    """``update_thread_properties`` / ``delete_thread_properties`` and their pushes."""
    await _properties(ctx, "thread", delete=True)


async def event_properties(ctx: Context) -> None:
    """``update_event_properties`` / ``delete_event_properties`` and their pushes."""
    await _properties(ctx, "event", delete=True)


async def properties_validation(ctx: Context) -> None:
    """``update_chat_properties`` without ``id``: ``validation`` naming ``id``; without
    ``properties``: naming ``properties``."""
    conn, _, _ = await ctx.session()
    await expect_validation(
        conn, "update_chat_properties", {"properties": {V3_NAMESPACE: {"a": 1}}}, "id"
    )
    chat_id, _, _ = await start(conn)
    await expect_validation(conn, "update_chat_properties", {"id": chat_id}, "properties")


# -- the customer ------------------------------------------------------------------------------


async def get_customer(ctx: Context) -> None:
    """``get_customer`` answers the customer ``{id, type: customer, statistics, ...}`` (§11)."""
    conn, customer_id, _ = await ctx.session()
    got = expect_keys(
        await conn.ok("get_customer", {}), ("id", "type", "statistics"), "get_customer"
    )
    expect(got["id"] == customer_id and got["type"] == "customer", f"customer {customer_id}", got)
    expect_keys(got["statistics"], _STATISTICS, "statistics")


async def update_customer(ctx: Context) -> None:
    """``update_customer {name, email}`` answers ``{}`` and pushes ``customer_updated`` with
    the change; ``get_customer`` reads it back."""
    conn, _, _ = await ctx.session()
    tag = ctx.request_id()
    change = {"name": f"Conf {tag}", "email": f"{tag}@example.com"}
    await conn.ok("update_customer", change)
    push = await conn.push("customer_updated")
    expect(
        push["payload"].get("name") == change["name"],
        f"customer_updated with name {change['name']!r}",
        push,
    )
    got = await conn.ok("get_customer", {})
    expect({k: got.get(k) for k in change} == change, f"get_customer with {change}", got)


async def session_fields(ctx: Context) -> None:
    """``set_customer_session_fields`` keeps the ordered list of one-key objects (§3)."""
    conn, _, _ = await ctx.session()
    tag = ctx.request_id()
    fields = [{"plan": f"gold {tag}"}, {"amount": "42"}, {"alpha": "first-after"}]
    await conn.ok("set_customer_session_fields", {"session_fields": fields})
    got = await conn.ok("get_customer", {})
    expect(got.get("session_fields") == fields, f"session_fields {fields}", got)


async def session_fields_validation(ctx: Context) -> None:
    """``set_customer_session_fields`` without ``session_fields``: ``validation`` naming it."""
    conn, _, _ = await ctx.session()
    await expect_validation(conn, "set_customer_session_fields", {}, "session_fields")


async def mark_events_as_seen(ctx: Context) -> None:
    """``mark_events_as_seen {chat_id, seen_up_to}`` pushes ``events_marked_as_seen
    {user_id, chat_id, seen_up_to}`` (RFC 3339)."""
    conn, customer_id, _ = await ctx.session()
    chat_id, _, _ = await start(conn)
    stamp = now_rfc3339()
    await conn.ok("mark_events_as_seen", {"chat_id": chat_id, "seen_up_to": stamp})
    push = await push_for(conn, "events_marked_as_seen", chat_id)
    payload = expect_keys(push["payload"], ("user_id", "chat_id", "seen_up_to"), "payload")
    expect(payload["user_id"] == customer_id, "user_id = the customer", payload)
    expect_rfc3339(payload["seen_up_to"], "seen_up_to")


async def mark_events_as_seen_validation(ctx: Context) -> None:
    """``seen_up_to`` that is not RFC 3339 is a ``validation`` error naming it."""
    conn, _, _ = await ctx.session()
    chat_id, _, _ = await start(conn)
    payload = {"chat_id": chat_id, "seen_up_to": "yesterday at noon"}
    expect_error(await conn.request("mark_events_as_seen", payload), "validation", "seen_up_to")


SCENARIOS = (
    scenario(
        "v3.properties.chat_update",
        "v3.md §3, §5, §9",
        "chat_properties_updated flat + request_id",
        chat_properties,
    ),
    scenario(
        "v3.properties.chat_delete",
        "v3.md §3, §5, §9",
        "chat_properties_deleted {ns: [names]}",
        chat_properties_delete,
    ),
    scenario(
        "v3.properties.thread",
        "v3.md §4, §5, §9",
        "thread_properties_updated / _deleted",
        thread_properties,
    ),
    scenario(
        "v3.properties.event",
        "v3.md §5, §9",
        "event_properties_updated / _deleted",
        event_properties,
    ),
    scenario(
        "v3.properties.validation",
        "v3.md §10, §11",
        "no id / no properties -> validation",
        properties_validation,
    ),
    scenario(
        "v3.customer.get", "v3.md §5, §11 get_customer", "{id, type, statistics}", get_customer
    ),
    scenario(
        "v3.customer.update",
        "v3.md §4 update_customer, §9",
        "customer_updated; read back",
        update_customer,
    ),
    scenario(
        "v3.customer.session_fields", "v3.md §3, §5", "ordered session_fields kept", session_fields
    ),
    scenario(
        "v3.customer.session_fields_validation",
        "v3.md §10, §11",
        "no session_fields -> validation",
        session_fields_validation,
    ),
    scenario(
        "v3.seen.mark_events_as_seen",
        "v3.md §4, §9",
        "events_marked_as_seen {user_id, chat_id, seen_up_to}",
        mark_events_as_seen,
    ),
    scenario(
        "v3.seen.validation",
        "v3.md §3, §10",
        "seen_up_to not RFC 3339 -> validation",
        mark_events_as_seen_validation,
    ),
)

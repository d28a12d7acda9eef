"""Scenarios of the requests' success shapes, limits and validation: ``wire.md`` sections 3, 4
and 6."""

from __future__ import annotations

import time
from typing import Any

from .checks import (
    expect,
    expect_error,
    expect_event,
    expect_keys,
    expect_seconds,
    expect_stored_message,
    expect_thread,
)
from .context import Context
from .driver import RtmConnection, Skipped
from .model import Scenario
from .steps import expect_quiet

__all__ = ["SCENARIOS", "custom_event", "send_custom"]


def custom_event(content: Any = None) -> dict[str, Any]:
    """A ``custom`` event (simulated agents do not answer those, so counts stay exact)."""
    return {"type": "custom", "content": {"n": content}}


async def send_custom(conn: RtmConnection, chat_id: str, content: Any = None) -> dict[str, Any]:
    """``send_event`` a custom event; the response payload."""
    return await conn.ok("send_event", {"chat_id": chat_id, "event": custom_event(content)})


async def chats_summary_empty(ctx: Context) -> None:
    """A new customer has ``{chats_summary: [], total_chats: 0}``."""
    customer = await ctx.customer(fresh=True)
    conn, _ = await ctx.login(customer)
    result = await conn.ok("get_chats_summary", {})
    expect(result.get("chats_summary") == [] and result.get("total_chats") == 0, "no chats", result)


async def chats_summary_shape(ctx: Context) -> None:
    """A chat summary is ``{id, order, users, properties, scopes, last_event_per_type}``."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    await send_custom(conn, chat["id"])
    result = expect_keys(
        await conn.ok("get_chats_summary", {}), ("chats_summary", "total_chats"), "payload"
    )
    summaries = [
        s for s in result["chats_summary"] if isinstance(s, dict) and s.get("id") == chat["id"]
    ]
    expect(len(summaries) == 1, f"chat {chat['id']} in the summary", result)
    keys = ("id", "order", "users", "properties", "scopes", "last_event_per_type")
    summary = expect_keys(summaries[0], keys, "chat summary")
    expect(isinstance(summary["users"], list), "users a list", summary)
    expect(
        isinstance(result["total_chats"], int) and result["total_chats"] >= 1,
        "total_chats >= 1",
        result,
    )


async def chats_summary_limit(ctx: Context) -> None:
    """``get_chats_summary`` limit max 25: 26 is a validation error naming ``limit``."""
    conn, _, _ = await ctx.session()
    await conn.ok("get_chats_summary", {"limit": 25})
    expect_error(await conn.request("get_chats_summary", {"limit": 26}), "validation", "limit")


async def chats_summary_offset(ctx: Context) -> None:
    """``get_chats_summary`` offset max 100: 101 is a validation error naming ``offset``."""
    conn, _, _ = await ctx.session()
    await conn.ok("get_chats_summary", {"offset": 100})
    expect_error(await conn.request("get_chats_summary", {"offset": 101}), "validation", "offset")


async def chats_summary_paging(ctx: Context) -> None:
    """Pages of ``get_chats_summary`` are disjoint, cover every chat (the three new ones
    included) and agree on ``total_chats``."""
    customer = await ctx.customer()
    conn, _ = await ctx.login(customer)
    before = (await conn.ok("get_chats_summary", {"limit": 1})).get("total_chats")
    expect(isinstance(before, int), "total_chats an integer", before)
    assert isinstance(before, int)
    if before + 3 > 100 + 2:  # the last page must start at offset 100 at most
        raise Skipped(f"the customer has {before} chats: too many to page through by 2")
    ids = {(await ctx.chat(conn))["id"] for _ in range(3)}
    pages = [
        await conn.ok("get_chats_summary", {"offset": offset, "limit": 2})
        for offset in range(0, before + 3, 2)
    ]
    seen = [s.get("id") for page in pages for s in page.get("chats_summary", [])]
    expect(len(seen) == len(set(seen)) == before + 3, f"{before + 3} chats, each once", seen)
    expect(ids <= set(seen), f"the new chats {sorted(ids)} listed", seen)
    totals = {page.get("total_chats") for page in pages}
    expect(totals == {before + 3}, f"total_chats {before + 3} on every page", totals)


async def start_chat_shape(ctx: Context) -> None:
    """``start_chat`` answers ``{chat: {id, users, properties, scopes, thread}}``."""
    conn, customer_id, _ = await ctx.session()
    result = await conn.ok("start_chat", {})
    chat = expect_keys(
        result.get("chat"), ("id", "users", "properties", "scopes", "thread"), "chat"
    )
    thread = expect_thread(chat["thread"], "chat.thread")
    expect(thread["active"] is True, "the new thread active", thread)
    users = [u for u in chat["users"] if isinstance(u, dict)]
    mine = [u for u in users if u.get("id") == customer_id]
    expect(len(mine) == 1 and mine[0].get("type") == "customer", "the customer among users", chat)
    expect_keys(
        mine[0], ("id", "type", "present", "fields", "last_seen_timestamp"), "customer user"
    )


async def start_chat_documented_form(ctx: Context) -> None:
    """``start_chat`` accepts the documented ``{chat: {thread: {events}}}`` form."""
    conn, _, _ = await ctx.session()
    payload = {"chat": {"thread": {"events": [custom_event("doc")]}}}
    chat = (await conn.ok("start_chat", payload)).get("chat", {})
    events = expect_thread(chat.get("thread"), "chat.thread")["events"]
    expect(any(e.get("content") == {"n": "doc"} for e in events), "the initial event stored", chat)


async def start_chat_initial_events(ctx: Context) -> None:
    """Initial events get ``id``, ``order``, ``timestamp``, ``author_id``; ``custom_id`` kept."""
    conn, customer_id, _ = await ctx.session()
    event = {"type": "message", "text": "first words", "custom_id": "conf-initial-1"}
    chat = (await conn.ok("start_chat", {"events": [event]})).get("chat", {})
    events = expect_thread(chat.get("thread"), "chat.thread")["events"]
    expect(len(events) >= 1, "the initial event in the thread", chat)
    expect_stored_message(events[0], "conf-initial-1", customer_id, "first words")


async def start_chat_properties(ctx: Context) -> None:
    """Properties sent flat come back in the read form ``{ns: {name: {value}}}``."""
    conn, _, _ = await ctx.session()
    chat = (await conn.ok("start_chat", {"properties": {"conf": {"color": "blue"}}})).get(
        "chat", {}
    )
    expected = {"conf": {"color": {"value": "blue"}}}
    expect(chat.get("properties") == expected, f"properties {expected}", chat.get("properties"))


async def send_event_shape(ctx: Context) -> None:
    """``send_event`` answers ``{thread_id, event}``: server-set fields, seconds, text kept."""
    conn, customer_id, _ = await ctx.session()
    chat = await ctx.chat(conn)
    event = {"type": "message", "text": "hello there", "custom_id": "conf-c-1"}
    result = expect_keys(
        await conn.ok("send_event", {"chat_id": chat["id"], "event": event}),
        ("thread_id", "event"),
        "payload",
    )
    stored = expect_event(result["event"])
    expect(result["thread_id"] == chat["thread"]["id"], "the chat's active thread", result)
    expect(
        stored.get("type") == "message" and stored.get("text") == "hello there",
        "type and text kept",
        stored,
    )
    expect(stored.get("author_id") == customer_id, "author_id = the customer", stored)
    expect(stored.get("custom_id") == "conf-c-1", "custom_id kept", stored)


async def send_event_order(ctx: Context) -> None:
    """Events get distinct ids and strictly increasing ``order``."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    events = [(await send_custom(conn, chat["id"], n))["event"] for n in range(3)]
    orders = [e.get("order") for e in events]
    expect(
        all(isinstance(o, int) for o in orders) and orders == sorted(set(orders)),
        "increasing order",
        orders,
    )
    expect(len({e.get("id") for e in events}) == 3, "distinct ids", events)


async def send_event_types(ctx: Context) -> None:
    """``custom``, ``annotation`` and ``filled_form`` events keep their fields."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    sent: list[dict[str, Any]] = [
        {"type": "custom", "content": {"deep": [1, {"x": None}]}},
        {"type": "annotation", "annotation_type": "rating", "text": "ok"},
        {
            "type": "filled_form",
            "fields": [
                {"type": "text", "name": "q", "label": "Q", "required": False, "value": "a"}
            ],
        },
    ]
    for event in sent:
        stored = (await conn.ok("send_event", {"chat_id": chat["id"], "event": event}))["event"]
        kept = {k: stored.get(k) for k in event}
        expect(kept == event, f"{event['type']} fields kept", stored)


async def send_event_chat_id_required(ctx: Context) -> None:
    """``send_event`` without ``chat_id`` is a validation error naming ``chat_id``."""
    conn, _, _ = await ctx.session()
    message = await conn.request("send_event", {"event": custom_event()})
    expect_error(message, "validation", "chat_id")


async def send_event_event_required(ctx: Context) -> None:
    """``send_event`` with an event without ``type`` is a validation error naming ``event``."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    message = await conn.request("send_event", {"chat_id": chat["id"], "event": {"text": "x"}})
    expect_error(message, "validation", "event")


async def send_event_no_system_message(ctx: Context) -> None:
    """A customer cannot send a ``system_message``."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    event = {"type": "system_message", "text": "x", "system_message_type": "x"}
    expect_error(
        await conn.request("send_event", {"chat_id": chat["id"], "event": event}), "validation"
    )


async def get_chat_threads_shape(ctx: Context) -> None:
    """``get_chat_threads`` answers ``{chat: {id, users, properties, scopes, threads}}``."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    await send_custom(conn, chat["id"])
    thread_id = chat["thread"]["id"]
    result = await conn.ok("get_chat_threads", {"chat_id": chat["id"], "thread_ids": [thread_id]})
    got = expect_keys(
        result.get("chat"), ("id", "users", "properties", "scopes", "threads"), "chat"
    )
    expect(len(got["threads"]) == 1, "one thread", got)
    thread = expect_thread(got["threads"][0], "threads[0]")
    expect(
        thread["id"] == thread_id and len(thread["events"]) >= 1,
        "the thread with its event",
        thread,
    )


async def get_chat_threads_validation(ctx: Context) -> None:
    """``get_chat_threads`` without ``thread_ids`` is a validation error naming it."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    expect_error(
        await conn.request("get_chat_threads", {"chat_id": chat["id"]}), "validation", "thread_ids"
    )


async def threads_summary_total_events(ctx: Context) -> None:
    """``total_events`` counts the thread's events (as ``get_chat_threads`` lists them)."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    for n in range(3):
        await send_custom(conn, chat["id"], n)
    summary = await conn.ok("get_chat_threads_summary", {"chat_id": chat["id"]})
    expect(summary.get("total_threads") == 1, "total_threads 1", summary)
    items = summary.get("threads_summary") or [{}]
    item = expect_keys(items[0], ("id", "order", "total_events"), "thread summary")
    threads = await conn.ok("get_chat_threads", {"chat_id": chat["id"], "thread_ids": [item["id"]]})
    events = threads.get("chat", {}).get("threads", [{}])[0].get("events", [])
    expect(item["total_events"] == len(events) >= 3, f"total_events = {len(events)} (>= 3)", item)


async def threads_summary_newest_first(ctx: Context) -> None:
    """``get_chat_threads_summary`` offset 0 is the newest page; pages are consistent."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    orders = [chat["thread"]["order"]]
    for n in range(3):
        await conn.ok("close_thread", {"chat_id": chat["id"]})
        await send_custom(conn, chat["id"], n)
    query = {"chat_id": chat["id"], "limit": 2}
    newest = await conn.ok("get_chat_threads_summary", {**query, "offset": 0})
    oldest = await conn.ok("get_chat_threads_summary", {**query, "offset": 2})
    expect(
        newest.get("total_threads") == 4 == oldest.get("total_threads"),
        "total_threads 4",
        [newest, oldest],
    )
    new_orders = [t.get("order") for t in newest.get("threads_summary", [])]
    old_orders = [t.get("order") for t in oldest.get("threads_summary", [])]
    expect(
        len(new_orders) == 2 == len(old_orders), "two summaries per page", [new_orders, old_orders]
    )
    expect(
        min(new_orders) > max(old_orders),
        "offset 0 = the two newest threads",
        {"offset 0": new_orders, "offset 2": old_orders},
    )
    expect(orders[0] in old_orders, "the first thread on the oldest page", old_orders)


async def threads_summary_limit(ctx: Context) -> None:
    """``get_chat_threads_summary`` limit over 100 is a validation error naming ``limit``."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    message = await conn.request("get_chat_threads_summary", {"chat_id": chat["id"], "limit": 101})
    expect_error(message, "validation", "limit")


async def sneak_peek(ctx: Context) -> None:
    """``send_sneak_peek`` answers ``{}`` and pushes nothing to the customer."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    rid = await conn.send(
        "send_sneak_peek", {"chat_id": chat["id"], "sneak_peek_text": "typing..."}
    )
    message = await conn.response(rid)
    expect(message.get("success") is True, "success", message)
    await expect_quiet(
        conn,
        "no push for a sneak peek",
        lambda f: f.message is not None and f.message.get("request_id") == rid,
    )


async def sneak_peek_validation(ctx: Context) -> None:
    """``send_sneak_peek`` without ``sneak_peek_text`` is a validation error naming it."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    message = await conn.request("send_sneak_peek", {"chat_id": chat["id"]})
    expect_error(message, "validation", "sneak_peek_text")


async def last_seen(ctx: Context) -> None:
    """``update_last_seen_timestamp`` answers ``{timestamp}`` and pushes
    ``last_seen_timestamp_updated {user_id, chat_id, timestamp}``; default: now, seconds."""
    conn, customer_id, _ = await ctx.session()
    chat = await ctx.chat(conn)
    stamp = int(time.time()) - 60
    result = await conn.ok(
        "update_last_seen_timestamp", {"chat_id": chat["id"], "timestamp": stamp}
    )
    expect(result.get("timestamp") == stamp, f"timestamp {stamp}", result)
    push = await conn.push("last_seen_timestamp_updated")
    expected = {"user_id": customer_id, "chat_id": chat["id"], "timestamp": stamp}
    expect(
        all(push["payload"].get(k) == v for k, v in expected.items()), f"payload {expected}", push
    )
    now = await conn.ok("update_last_seen_timestamp", {"chat_id": chat["id"]})
    expect_seconds(now.get("timestamp"), "the default timestamp")


SCENARIOS = (
    Scenario(
        id="chats_summary.empty",
        spec="wire.md §4 get_chats_summary",
        title="new customer: no chats",
        run=chats_summary_empty,
    ),
    Scenario(
        id="chats_summary.shape",
        spec="wire.md §3 chat summary",
        title="summary {id, order, users, properties, scopes, last_event_per_type}",
        run=chats_summary_shape,
    ),
    Scenario(
        id="chats_summary.limit_max",
        spec="wire.md §4 get_chats_summary",
        title="limit 26 -> validation naming limit",
        run=chats_summary_limit,
    ),
    Scenario(
        id="chats_summary.offset_max",
        spec="wire.md §4 get_chats_summary",
        title="offset 101 -> validation naming offset",
        run=chats_summary_offset,
    ),
    Scenario(
        id="chats_summary.paging",
        spec="wire.md §4 get_chats_summary",
        title="pages disjoint, cover all, total_chats",
        run=chats_summary_paging,
    ),
    Scenario(
        id="start_chat.shape",
        spec="wire.md §3, §4 start_chat",
        title="start_chat {chat: {..., thread}}",
        run=start_chat_shape,
    ),
    Scenario(
        id="start_chat.documented_form",
        spec="wire.md §4 start_chat (decision)",
        title="documented {chat: {thread: {events}}} accepted",
        run=start_chat_documented_form,
    ),
    Scenario(
        id="start_chat.initial_events",
        spec="wire.md §3 Event",
        title="initial events: server fields set, custom_id kept",
        run=start_chat_initial_events,
    ),
    Scenario(
        id="start_chat.properties",
        spec="wire.md §3 Properties",
        title="properties read form {ns:{name:{value}}}",
        run=start_chat_properties,
    ),
    Scenario(
        id="send_event.shape",
        spec="wire.md §3 Event, §4 send_event",
        title="{thread_id, event}: id/order/timestamp(s)/author_id, custom_id kept",
        run=send_event_shape,
    ),
    Scenario(
        id="send_event.order",
        spec="wire.md §3",
        title="distinct ids, increasing order",
        run=send_event_order,
    ),
    Scenario(
        id="send_event.types",
        spec="wire.md §3 Event",
        title="custom/annotation/filled_form fields kept",
        run=send_event_types,
    ),
    Scenario(
        id="send_event.chat_id_required",
        spec="wire.md §4, §6",
        title="no chat_id -> validation naming chat_id",
        run=send_event_chat_id_required,
    ),
    Scenario(
        id="send_event.event_required",
        spec="wire.md §4, §6",
        title="event without type -> validation naming event",
        run=send_event_event_required,
    ),
    Scenario(
        id="send_event.no_system_message",
        spec="wire.md §3 system_message",
        title="customer system_message -> validation",
        run=send_event_no_system_message,
    ),
    Scenario(
        id="get_chat_threads.shape",
        spec="wire.md §4 get_chat_threads",
        title="{chat: {..., threads: [Thread]}}",
        run=get_chat_threads_shape,
    ),
    Scenario(
        id="get_chat_threads.validation",
        spec="wire.md §4, §6",
        title="no thread_ids -> validation naming thread_ids",
        run=get_chat_threads_validation,
    ),
    Scenario(
        id="threads_summary.total_events",
        spec="wire.md §3 Thread summary",
        title="total_events counts the thread's events",
        run=threads_summary_total_events,
    ),
    Scenario(
        id="threads_summary.newest_first",
        spec="wire.md §4 get_chat_threads_summary",
        title="offset 0 = newest page; pages consistent",
        run=threads_summary_newest_first,
    ),
    Scenario(
        id="threads_summary.limit_max",
        spec="wire.md §4 get_chat_threads_summary",
        title="limit 101 -> validation naming limit",
        run=threads_summary_limit,
    ),
    Scenario(
        id="sneak_peek.ok",
        spec="wire.md §4 send_sneak_peek",
        title="{} and no push to the customer",
        run=sneak_peek,
    ),
    Scenario(
        id="sneak_peek.validation",
        spec="wire.md §4, §6",
        title="no sneak_peek_text -> validation naming it",
        run=sneak_peek_validation,
    ),
    Scenario(
        id="last_seen.update",
        spec="wire.md §4, §5 last_seen_timestamp_updated",
        title="{timestamp} + push; default now in seconds",
        run=last_seen,
    ),
)

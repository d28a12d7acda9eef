"""v3 scenarios of reading chats: ``list_chats``, ``list_threads``, ``get_chat``, RFC 3339
timestamps, ``not_found`` and another customer's chat (``v3.md`` §3-§5, §10, §11)."""

from __future__ import annotations

from typing import Any

from .checks import expect, expect_error, expect_keys
from .checks_v3 import expect_rfc3339, expect_v3_event, expect_v3_thread
from .context import Context
from .driver import RtmConnection
from .model import scenario
from .steps import expect_no_push
from .v3help import custom, deactivate, expect_validation, message, push_for, start

__all__ = ["SCENARIOS"]

_SUMMARY = (
    "id",
    "last_thread_id",
    "last_thread_created_at",
    "users",
    "last_event_per_type",
    "active",
)


async def _summaries(
    conn: RtmConnection, payload: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    result = expect_keys(
        await conn.ok("list_chats", payload), ("chats_summary", "total_chats"), "list_chats"
    )
    expect(isinstance(result["chats_summary"], list), "chats_summary a list", result)
    return result["chats_summary"], result


async def _three_threads(conn: RtmConnection) -> tuple[str, list[str]]:
    """A chat with three threads (start, deactivate, resume twice): its id and thread ids,
    oldest first."""
    chat_id, first, _ = await start(conn)
    threads = [first]
    for n in range(2):
        await conn.ok("send_event", {"chat_id": chat_id, "event": custom(n)})
        await deactivate(conn, chat_id)
        resumed = await conn.ok("resume_chat", {"chat": {"id": chat_id}})
        await push_for(conn, "incoming_chat", chat_id)
        threads.append(str(resumed.get("thread_id")))
    return chat_id, threads


async def list_chats_shape(ctx: Context) -> None:
    """A chat summary is ``{id, last_thread_id, last_thread_created_at, users,
    last_event_per_type: {<type>: {thread_id, thread_created_at, event}}, active, ...}``."""
    conn, _, _ = await ctx.session()
    chat_id, thread_id, _ = await start(conn)
    await conn.ok("send_event", {"chat_id": chat_id, "event": message("summarise me")})
    summaries, result = await _summaries(conn, {})
    expect(
        isinstance(result["total_chats"], int) and result["total_chats"] >= 1,
        "total_chats >= 1",
        result,
    )
    mine = [s for s in summaries if isinstance(s, dict) and s.get("id") == chat_id]
    expect(len(mine) == 1, f"chat {chat_id} on the first page", summaries)
    summary = expect_keys(mine[0], _SUMMARY, "chat summary")
    expect(
        summary["last_thread_id"] == thread_id and summary["active"] is True,
        "its active thread",
        summary,
    )
    expect_rfc3339(summary["last_thread_created_at"], "last_thread_created_at")
    last = expect_keys(
        summary["last_event_per_type"].get("message"),
        ("thread_id", "thread_created_at", "event"),
        "last message",
    )
    expect(last["event"].get("text") == "summarise me", "the last message", last)
    expect_v3_event(last["event"], "last_event_per_type.message.event")


async def list_chats_paging(ctx: Context) -> None:
    """``list_chats`` is newest first by default and pages with ``next_page_id``: three new
    chats on pages of 2 come back newest first, each once."""
    conn, _, _ = await ctx.session()
    started = [(await start(conn))[0] for _ in range(3)]
    first, head = await _summaries(conn, {"limit": 2})
    expect(
        isinstance(head.get("next_page_id"), str) and head["next_page_id"], "a next_page_id", head
    )
    second, tail = await _summaries(conn, {"page_id": head["next_page_id"]})
    ids = [s.get("id") for s in first + second if isinstance(s, dict)]
    expect(len(ids) == len(set(ids)), "pages disjoint", ids)
    expect(ids[:3] == started[::-1], f"the new chats newest first: {started[::-1]}", ids[:3])
    expect(
        isinstance(tail.get("previous_page_id"), str), "the second page's previous_page_id", tail
    )


async def list_chats_limit(ctx: Context) -> None:
    """``list_chats`` limit max 25: 26 is a ``validation`` error naming ``limit``."""
    conn, _, _ = await ctx.session()
    await conn.ok("list_chats", {"limit": 25})
    await expect_validation(conn, "list_chats", {"limit": 26}, "limit")


async def list_threads_newest_first(ctx: Context) -> None:
    """``list_threads`` is newest first by default (§11); ``found_threads`` counts them; threads
    have RFC 3339 ``created_at`` and the chat's thread links."""
    conn, _, _ = await ctx.session()
    chat_id, threads = await _three_threads(conn)
    result = expect_keys(
        await conn.ok("list_threads", {"chat_id": chat_id}),
        ("threads", "found_threads"),
        "list_threads",
    )
    got = [expect_v3_thread(t, f"threads[{i}]") for i, t in enumerate(result["threads"])]
    expect(
        [t["id"] for t in got] == threads[::-1],
        f"threads newest first {threads[::-1]}",
        [t["id"] for t in got],
    )
    expect(result["found_threads"] == 3, "found_threads 3", result["found_threads"])
    asc = await conn.ok("list_threads", {"chat_id": chat_id, "sort_order": "asc"})
    expect([t.get("id") for t in asc.get("threads", [])] == threads, f"asc: {threads}", asc)


async def list_threads_paging(ctx: Context) -> None:
    """``list_threads`` pages of 1 with ``next_page_id`` cover every thread once; the last page
    has no ``next_page_id``."""
    conn, _, _ = await ctx.session()
    chat_id, threads = await _three_threads(conn)
    seen: list[str] = []
    page: dict[str, Any] = {"chat_id": chat_id, "limit": 1}
    for _ in range(4):
        result = await conn.ok("list_threads", page)
        seen += [t.get("id") for t in result.get("threads", [])]
        if not result.get("next_page_id"):
            break
        page = {"chat_id": chat_id, "page_id": result["next_page_id"]}
    expect(seen == threads[::-1], f"pages covering {threads[::-1]} once", seen)


async def list_threads_min_events(ctx: Context) -> None:
    """``list_threads {chat_id, min_events_count}`` (the history cursor's request, §6): the
    newest threads, as few as hold that many events; ``limit`` with it is a ``validation``
    error."""
    conn, _, _ = await ctx.session()
    chat_id, threads = await _three_threads(conn)
    result = await conn.ok("list_threads", {"chat_id": chat_id, "min_events_count": 2})
    got = [t for t in result.get("threads", []) if isinstance(t, dict)]
    ids = [t.get("id") for t in got]
    expect(ids == threads[::-1][: len(ids)], "a newest-first run of the chat's threads", ids)
    counts = [len(t.get("events", [])) for t in got]
    expect(
        sum(counts) >= 2 or len(ids) == len(threads), "at least 2 events (or every thread)", counts
    )
    expect(sum(counts[:-1]) < 2, "no more threads than needed for 2 events", counts)
    both = {"chat_id": chat_id, "min_events_count": 2, "limit": 2}
    expect_error(await conn.request("list_threads", both), "validation")


async def list_threads_validation(ctx: Context) -> None:
    """``list_threads`` without ``chat_id`` is a ``validation`` error naming ``chat_id``;
    ``limit`` over 100 one naming ``limit``."""
    conn, _, _ = await ctx.session()
    await expect_validation(conn, "list_threads", {}, "chat_id")
    chat_id, _, _ = await start(conn)
    await expect_validation(conn, "list_threads", {"chat_id": chat_id, "limit": 101}, "limit")


async def get_chat_shape(ctx: Context) -> None:
    """``get_chat`` answers ``{id, thread, users, ...}`` with the latest thread by default and
    the asked one with ``thread_id``."""
    conn, _, _ = await ctx.session()
    chat_id, threads = await _three_threads(conn)
    latest = expect_keys(
        await conn.ok("get_chat", {"chat_id": chat_id}), ("id", "thread", "users"), "get_chat"
    )
    expect(latest["id"] == chat_id, f"chat {chat_id}", latest)
    thread = expect_v3_thread(latest["thread"], "thread")
    expect(thread["id"] == threads[-1] and thread["active"], "the latest, active thread", thread)
    oldest = await conn.ok("get_chat", {"chat_id": chat_id, "thread_id": threads[0]})
    thread = expect_v3_thread(oldest.get("thread"), "thread")
    expect(
        thread["id"] == threads[0] and not thread["active"],
        f"thread {threads[0]}, inactive",
        thread,
    )
    expect(len(thread["events"]) >= 1, "its event", thread)


async def get_chat_not_found(ctx: Context) -> None:
    """A chat that does not exist: ``not_found``."""
    conn, _, _ = await ctx.session()
    expect_error(await conn.request("get_chat", {"chat_id": "NOSUCHCHAT0000"}), "not_found")


async def other_customers_chat(ctx: Context) -> None:
    """Another customer's chat: ``authorization`` for reading and writing; no push to it."""
    owner, _, _ = await ctx.session()
    chat_id, _, _ = await start(owner)
    intruder, _, _ = await ctx.session()
    expect_error(await intruder.request("get_chat", {"chat_id": chat_id}), "authorization")
    sent = await intruder.request("send_event", {"chat_id": chat_id, "event": custom("x")})
    expect_error(sent, "authorization")
    expect_error(await intruder.request("deactivate_chat", {"id": chat_id}), "authorization")
    await expect_no_push(owner, ("incoming_event", "chat_deactivated"), "no push to the owner")


SCENARIOS = (
    scenario(
        "v3.list_chats.shape",
        "v3.md §3 chat summary",
        "summary fields; last_event_per_type",
        list_chats_shape,
    ),
    scenario(
        "v3.list_chats.paging",
        "v3.md §4, §5 list_chats",
        "newest first; next_page_id pages",
        list_chats_paging,
    ),
    scenario(
        "v3.list_chats.limit_max",
        "v3.md §4, §10",
        "limit 26 -> validation naming limit",
        list_chats_limit,
    ),
    scenario(
        "v3.list_threads.newest_first",
        "v3.md §5, §11 list_threads",
        "desc by default, asc on request; found_threads",
        list_threads_newest_first,
    ),
    scenario(
        "v3.list_threads.paging",
        "v3.md §5, §6 list_threads",
        "pages of 1 cover every thread once",
        list_threads_paging,
    ),
    scenario(
        "v3.list_threads.min_events_count",
        "v3.md §6 History",
        "newest threads holding N events; not with limit",
        list_threads_min_events,
    ),
    scenario(
        "v3.list_threads.validation",
        "v3.md §10, §11",
        "no chat_id / limit 101 -> validation",
        list_threads_validation,
    ),
    scenario(
        "v3.get_chat.threads",
        "v3.md §5 get_chat",
        "latest thread by default; thread_id picks one",
        get_chat_shape,
    ),
    scenario("v3.get_chat.not_found", "v3.md §10", "unknown chat -> not_found", get_chat_not_found),
    scenario(
        "v3.authz.other_customers_chat",
        "v3.md §10, §11",
        "another customer's chat -> authorization",
        other_customers_chat,
    ),
)

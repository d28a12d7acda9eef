"""v3 scenarios of chats and events: ``start_chat``, ``resume_chat``, ``send_event``,
``deactivate_chat`` and who gets their pushes with or without ``request_id`` (``v3.md`` §2-§5,
§10)."""

from __future__ import annotations

from .checks import expect, expect_error, expect_keys, expect_stored_message
from .checks_v3 import expect_v3_event, expect_v3_thread
from .context import Context
from .model import scenario
from .steps import expect_quiet
from .v3help import (
    about,
    custom,
    deactivate,
    expect_no_request_id,
    expect_validation,
    message,
    push_for,
    start,
    two_connections,
)

__all__ = ["SCENARIOS"]


async def start_chat_response(ctx: Context) -> None:
    """``start_chat`` answers ``{chat_id, thread_id}``; ``incoming_chat`` carries the chat
    with its users and the new active thread."""
    conn, customer_id, _ = await ctx.session()
    chat_id, thread_id, push = await start(conn)
    chat = expect_keys(push["payload"].get("chat"), ("id", "users", "thread"), "incoming_chat chat")
    expect(chat["id"] == chat_id, f"the pushed chat {chat_id}", chat)
    thread = expect_v3_thread(chat["thread"], "chat.thread")
    expect(thread["id"] == thread_id and thread["active"] is True, "the new active thread", thread)
    users = [u for u in chat["users"] if isinstance(u, dict) and u.get("id") == customer_id]
    expect(len(users) == 1 and users[0].get("type") == "customer", "the customer in users", chat)


async def start_chat_initial_events(ctx: Context) -> None:
    """Initial events: ``event_ids`` in the response, the events in the pushed thread with
    server-set ``id``/``created_at``/``author_id`` and the ``custom_id`` kept."""
    conn, customer_id, _ = await ctx.session()
    first = message("first words", custom_id="conf-v3-initial")
    payload = {"chat": {"thread": {"events": [first]}}}
    rid = await conn.send("start_chat", payload)
    response = await conn.ok_response(rid, "start_chat")
    ids = response.get("event_ids")
    expect(isinstance(ids, list) and len(ids) == 1, "event_ids with one id", response)
    assert isinstance(ids, list)
    push = await push_for(conn, "incoming_chat", response.get("chat_id", ""))
    events = expect_v3_thread(push["payload"]["chat"].get("thread"), "chat.thread")["events"]
    mine = [e for e in events if e.get("id") in ids]
    expect(len(mine) == 1, f"event {ids} in the thread", events)
    expect_stored_message(mine[0], "conf-v3-initial", customer_id, "first words")


async def start_chat_requester_push(ctx: Context) -> None:
    """The requester's ``incoming_chat`` carries the ``start_chat`` request_id (§2)."""
    conn, _, _ = await ctx.session()
    rid = await conn.send("start_chat", {})
    chat_id = (await conn.ok_response(rid, "start_chat")).get("chat_id", "")
    push = await push_for(conn, "incoming_chat", chat_id)
    expect(push.get("request_id") == rid, f"incoming_chat with request_id {rid!r}", push)


async def start_chat_others(ctx: Context) -> None:
    """The customer's other connection gets ``incoming_chat`` without the request_id (§2)."""
    first, second, _ = await two_connections(ctx)
    chat_id, _, _ = await start(first)
    expect_no_request_id(await push_for(second, "incoming_chat", chat_id), "incoming_chat")


async def send_event_response(ctx: Context) -> None:
    """``send_event`` answers ``{event_id}``; the requester's ``incoming_event`` carries the
    request_id and the event (``id`` = event_id, RFC 3339 ``created_at``, no ``order``)."""
    conn, customer_id, _ = await ctx.session()
    chat_id, thread_id, _ = await start(conn)
    event = message("hello there", custom_id="conf-v3-1")
    rid = await conn.send("send_event", {"chat_id": chat_id, "event": event})
    result = expect_keys(await conn.ok_response(rid, "send_event"), ("event_id",), "payload")
    push = await push_for(conn, "incoming_event", chat_id)
    expect(push.get("request_id") == rid, f"incoming_event with request_id {rid!r}", push)
    expect(push["payload"].get("thread_id") == thread_id, "the active thread", push)
    stored = expect_v3_event(push["payload"]["event"])
    expect(stored["id"] == result["event_id"], "the event's id = event_id", [result, stored])
    expect(stored.get("author_id") == customer_id, "author_id = the customer", stored)
    kept = {k: stored.get(k) for k in ("type", "text", "custom_id")}
    expect(
        kept == {"type": "message", "text": "hello there", "custom_id": "conf-v3-1"}, "kept", stored
    )


async def send_event_others(ctx: Context) -> None:
    """The other connection's ``incoming_event`` comes without the request_id (§2)."""
    first, second, _ = await two_connections(ctx)
    chat_id, _, _ = await start(first)
    await first.ok("send_event", {"chat_id": chat_id, "event": custom("fan")})
    push = await second.push(
        "incoming_event",
        lambda m: about(chat_id)(m) and m["payload"].get("event", {}).get("type") == "custom",
    )
    expect_no_request_id(push, "incoming_event")


async def send_event_validation(ctx: Context) -> None:
    """``send_event`` without ``chat_id`` is a ``validation`` error naming ``chat_id``; an
    event without ``type`` one naming ``event``."""
    conn, _, _ = await ctx.session()
    await expect_validation(conn, "send_event", {"event": custom()}, "chat_id")
    chat_id, _, _ = await start(conn)
    await expect_validation(
        conn, "send_event", {"chat_id": chat_id, "event": {"text": "x"}}, "event"
    )


async def send_event_chat_inactive(ctx: Context) -> None:
    """An event to a deactivated chat fails with ``chat_inactive`` (§4, §10)."""
    conn, _, _ = await ctx.session()
    chat_id, _, _ = await start(conn)
    await deactivate(conn, chat_id)
    answer = await conn.request("send_event", {"chat_id": chat_id, "event": custom("late")})
    expect_error(answer, "chat_inactive")


async def send_event_attach(ctx: Context) -> None:
    """``attach_to_last_thread: true`` adds the event to an inactive chat's last thread."""
    conn, _, _ = await ctx.session()
    chat_id, thread_id, _ = await start(conn)
    await deactivate(conn, chat_id)
    payload = {"chat_id": chat_id, "event": custom("attached"), "attach_to_last_thread": True}
    event_id = (await conn.ok("send_event", payload)).get("event_id")
    got = await conn.ok("get_chat", {"chat_id": chat_id, "thread_id": thread_id})
    ids = [e.get("id") for e in got.get("thread", {}).get("events", [])]
    expect(event_id in ids, f"event {event_id} in the last thread {thread_id}", ids)


async def resume_chat(ctx: Context) -> None:
    """``resume_chat`` answers ``{thread_id}`` (a new active thread); the requester's
    ``incoming_chat`` carries the request_id; ``get_chat`` shows the new thread."""
    conn, _, _ = await ctx.session()
    chat_id, old_thread, _ = await start(conn)
    await deactivate(conn, chat_id)
    rid = await conn.send("resume_chat", {"chat": {"id": chat_id}})
    result = expect_keys(await conn.ok_response(rid, "resume_chat"), ("thread_id",), "payload")
    expect(result["thread_id"] != old_thread, "a new thread", result)
    push = await push_for(conn, "incoming_chat", chat_id)
    expect(push.get("request_id") == rid, f"incoming_chat with request_id {rid!r}", push)
    thread = expect_v3_thread(push["payload"]["chat"].get("thread"), "chat.thread")
    expect(
        thread["id"] == result["thread_id"] and thread["active"], "the new active thread", thread
    )
    got = await conn.ok("get_chat", {"chat_id": chat_id})
    expect(got.get("thread", {}).get("id") == result["thread_id"], "get_chat: the new thread", got)


async def resume_with_events(ctx: Context) -> None:
    """``resume_chat`` with events: ``event_ids``, and the events in the new thread."""
    conn, _, _ = await ctx.session()
    chat_id, _, _ = await start(conn)
    await deactivate(conn, chat_id)
    payload = {"chat": {"id": chat_id, "thread": {"events": [custom("resumed")]}}}
    result = await conn.ok("resume_chat", payload)
    ids = result.get("event_ids")
    expect(isinstance(ids, list) and len(ids) == 1, "event_ids with one id", result)
    assert isinstance(ids, list)
    push = await push_for(conn, "incoming_chat", chat_id)
    events = push["payload"]["chat"].get("thread", {}).get("events", [])
    expect(any(e.get("id") in ids for e in events), "the event in the new thread", events)


async def resume_others(ctx: Context) -> None:
    """The other connection's ``incoming_chat`` for ``resume_chat`` comes without the
    request_id (§2)."""
    first, second, _ = await two_connections(ctx)
    chat_id, _, _ = await start(first)
    await push_for(second, "incoming_chat", chat_id)
    await deactivate(first, chat_id)
    rid = await first.send("resume_chat", {"chat": {"id": chat_id}})
    await first.ok_response(rid, "resume_chat")
    expect_no_request_id(await push_for(second, "incoming_chat", chat_id), "incoming_chat")


async def deactivate_chat(ctx: Context) -> None:
    """``deactivate_chat {id}`` answers ``{}``; the requester's ``chat_deactivated {chat_id,
    thread_id, user_id}`` carries the request_id."""
    conn, customer_id, _ = await ctx.session()
    chat_id, thread_id, _ = await start(conn)
    rid = await conn.send("deactivate_chat", {"id": chat_id})
    await conn.ok_response(rid, "deactivate_chat")
    push = await push_for(conn, "chat_deactivated", chat_id)
    expected = {"chat_id": chat_id, "thread_id": thread_id, "user_id": customer_id}
    seen = {k: push["payload"].get(k) for k in expected}
    expect(seen == expected, f"payload {expected}", push)
    expect(push.get("request_id") == rid, f"chat_deactivated with request_id {rid!r}", push)


async def deactivate_side_effects(ctx: Context) -> None:
    """Side-effect pushes of ``deactivate_chat`` (e.g. its system message) carry no
    request_id: only the answering ``chat_deactivated`` does (§2 decision)."""
    conn, _, _ = await ctx.session()
    chat_id, _, _ = await start(conn)
    rid = await conn.send("deactivate_chat", {"id": chat_id})
    await conn.ok_response(rid, "deactivate_chat")
    await push_for(conn, "chat_deactivated", chat_id)
    await expect_quiet(
        conn,
        f"no other push with request_id {rid!r}",
        lambda f: (
            f.message is not None
            and f.message.get("type") == "push"
            and f.message.get("request_id") == rid
        ),
    )


async def deactivate_others(ctx: Context) -> None:
    """The other connection's ``chat_deactivated`` comes without the request_id."""
    first, second, _ = await two_connections(ctx)
    chat_id, _, _ = await start(first)
    await deactivate(first, chat_id)
    expect_no_request_id(await push_for(second, "chat_deactivated", chat_id), "chat_deactivated")


async def deactivate_validation(ctx: Context) -> None:
    """``deactivate_chat`` without ``id`` is a ``validation`` error naming ``id``; a chat
    already inactive fails (``chat_inactive``)."""
    conn, _, _ = await ctx.session()
    await expect_validation(conn, "deactivate_chat", {}, "id")
    chat_id, _, _ = await start(conn)
    await deactivate(conn, chat_id)
    expect_error(await conn.request("deactivate_chat", {"id": chat_id}), "chat_inactive")


_s = scenario

SCENARIOS = (
    _s(
        "v3.start_chat.response",
        "v3.md §4 start_chat",
        "{chat_id, thread_id}; incoming_chat with the thread",
        start_chat_response,
    ),
    _s(
        "v3.start_chat.initial_events",
        "v3.md §3, §4",
        "event_ids; events stored with server fields",
        start_chat_initial_events,
    ),
    _s(
        "v3.start_chat.requester_push",
        "v3.md §2",
        "requester's incoming_chat carries request_id",
        start_chat_requester_push,
    ),
    _s(
        "v3.start_chat.others_no_request_id",
        "v3.md §2",
        "other connection: incoming_chat without request_id",
        start_chat_others,
    ),
    _s(
        "v3.send_event.response",
        "v3.md §2, §3, §4",
        "{event_id}; incoming_event with request_id",
        send_event_response,
    ),
    _s(
        "v3.send_event.others_no_request_id",
        "v3.md §2",
        "other connection: incoming_event without request_id",
        send_event_others,
    ),
    _s(
        "v3.send_event.validation",
        "v3.md §10, §11",
        "validation naming chat_id / event",
        send_event_validation,
    ),
    _s(
        "v3.send_event.chat_inactive",
        "v3.md §4, §10",
        "event to an inactive chat -> chat_inactive",
        send_event_chat_inactive,
    ),
    _s(
        "v3.send_event.attach_to_last_thread",
        "v3.md §4 send_event",
        "attach_to_last_thread adds to the last thread",
        send_event_attach,
    ),
    _s(
        "v3.resume_chat.new_thread",
        "v3.md §5 resume_chat",
        "{thread_id}; incoming_chat with request_id",
        resume_chat,
    ),
    _s(
        "v3.resume_chat.events",
        "v3.md §5 resume_chat",
        "resume with events: event_ids",
        resume_with_events,
    ),
    _s(
        "v3.resume_chat.others_no_request_id",
        "v3.md §2",
        "other connection: incoming_chat without request_id",
        resume_others,
    ),
    _s(
        "v3.deactivate_chat.push",
        "v3.md §4, §9",
        "chat_deactivated {chat_id, thread_id, user_id} + request_id",
        deactivate_chat,
    ),
    _s(
        "v3.deactivate_chat.side_effects",
        "v3.md §2",
        "side-effect pushes without request_id",
        deactivate_side_effects,
    ),
    _s(
        "v3.deactivate_chat.others_no_request_id",
        "v3.md §2",
        "other connection: chat_deactivated without request_id",
        deactivate_others,
    ),
    _s(
        "v3.deactivate_chat.validation",
        "v3.md §10, §11",
        "no id -> validation; twice -> chat_inactive",
        deactivate_validation,
    ),
)

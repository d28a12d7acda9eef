"""Scenarios of pushes: who gets them with or without ``request_id``, thread lifecycle,
properties, scopes, customers, authorization and connection limits (``wire.md`` §2, §4-§6)."""

from __future__ import annotations

import contextlib
from typing import Any

from .checks import expect, expect_error, expect_keys, expect_thread, payload_of
from .context import Context
from .driver import Failed, Skipped
from .model import Scenario
from .scenarios_requests import custom_event
from .steps import expect_no_push

__all__ = ["SCENARIOS"]


def _no_request_id(message: dict[str, Any]) -> bool:
    return message.get("request_id") in (None, "")


async def echo_carries_request_id(ctx: Context) -> None:
    """The push caused by a request carries its request_id on the requester's connection."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    rid = await conn.send("send_event", {"chat_id": chat["id"], "event": custom_event("echo")})
    push = await conn.push(
        "incoming_event", lambda m: m.get("payload", {}).get("chat_id") == chat["id"]
    )
    expect(push.get("request_id") == rid, f"the requester's incoming_event to carry {rid!r}", push)
    await conn.response(rid)


async def others_without_request_id(ctx: Context) -> None:
    """Another connection of the same customer gets the same push without the request_id."""
    customer = await ctx.customer()
    first, _ = await ctx.login(customer)
    second, _ = await ctx.login(customer)
    chat = await ctx.chat(first)
    await second.push("incoming_chat_thread")
    rid = await first.send("send_event", {"chat_id": chat["id"], "event": custom_event("fan")})
    await first.response(rid)
    push = await second.push(
        "incoming_event", lambda m: m.get("payload", {}).get("chat_id") == chat["id"]
    )
    expect(_no_request_id(push), "the other connection's push without request_id", push)


async def start_chat_push(ctx: Context) -> None:
    """``start_chat`` pushes ``incoming_chat_thread`` (request_id for the requester only)."""
    customer = await ctx.customer()
    first, _ = await ctx.login(customer)
    second, _ = await ctx.login(customer)
    rid = await first.send("start_chat", {})
    chat_id = payload_of(await first.response(rid)).get("chat", {}).get("id")
    mine = await first.push("incoming_chat_thread")
    theirs = await second.push("incoming_chat_thread")
    for push, what in ((mine, "requester's"), (theirs, "other connection's")):
        chat = expect_keys(
            push["payload"].get("chat"),
            ("id", "users", "properties", "scopes", "thread"),
            f"{what} chat",
        )
        expect(chat["id"] == chat_id, f"the {what} push for chat {chat_id}", push)
        expect_thread(chat["thread"], "chat.thread")
    expect(mine.get("request_id") == rid, f"the requester's push with {rid!r}", mine)
    expect(_no_request_id(theirs), "the other push without request_id", theirs)


async def close_thread(ctx: Context) -> None:
    """``close_thread`` answers ``{}``; pushes ``thread_closed {chat_id, thread_id, user_id}``."""
    conn, customer_id, _ = await ctx.session()
    chat = await ctx.chat(conn)
    rid = await conn.send("close_thread", {"chat_id": chat["id"]})
    push = await conn.push("thread_closed")
    expected = {"chat_id": chat["id"], "thread_id": chat["thread"]["id"], "user_id": customer_id}
    expect(
        all(push["payload"].get(k) == v for k, v in expected.items()), f"payload {expected}", push
    )
    expect(push.get("request_id") == rid, f"thread_closed with {rid!r}", push)
    message = await conn.response(rid)
    expect(message.get("success") is True, "close_thread to succeed", message)


async def event_opens_thread(ctx: Context) -> None:
    """After ``close_thread`` the next event opens a new thread: ``incoming_chat_thread``, not
    ``incoming_event``."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    await conn.ok("close_thread", {"chat_id": chat["id"]})
    rid = await conn.send("send_event", {"chat_id": chat["id"], "event": custom_event("reopen")})
    frame = await conn.wait(
        "incoming_chat_thread (or incoming_event) for the event",
        lambda f: (
            f.message is not None
            and f.message.get("action") in ("incoming_chat_thread", "incoming_event")
            and f.message.get("request_id") == rid
        ),
    )
    push = frame.message or {}
    expect(
        push.get("action") == "incoming_chat_thread",
        "incoming_chat_thread, not incoming_event",
        push,
    )
    thread = expect_thread(push["payload"].get("chat", {}).get("thread"), "chat.thread")
    expect(thread["id"] != chat["thread"]["id"] and thread["active"], "a new active thread", thread)
    result = payload_of(await conn.response(rid))
    expect(result.get("thread_id") == thread["id"], "the response naming the new thread", result)


async def scopes(ctx: Context) -> None:
    """``update_chat_scopes`` pushes ``chat_scopes_updated`` with what was added/removed."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    await conn.ok("update_chat_scopes", {"chat_id": chat["id"], "add_scopes": {"groups": [7]}})
    push = await conn.push("chat_scopes_updated")
    payload = push["payload"]
    expect(
        payload.get("chat_id") == chat["id"] and payload.get("scopes_added") == {"groups": [7]},
        "scopes_added {groups: [7]}",
        push,
    )
    got = await conn.ok(
        "get_chat_threads", {"chat_id": chat["id"], "thread_ids": [chat["thread"]["id"]]}
    )
    expect(
        got.get("chat", {}).get("scopes") == {"groups": [7]},
        "chat scopes {groups: [7]}",
        got.get("chat"),
    )


async def update_customer(ctx: Context) -> None:
    """``update_customer`` answers ``{customer}`` and pushes ``customer_updated`` once per
    chat with an active thread (threads left active by earlier runs are closed first)."""
    conn, customer_id, _ = await ctx.session()
    await ctx.close_active_threads(conn)
    active = await ctx.chat(conn)
    closed = await ctx.chat(conn)
    await conn.ok("close_thread", {"chat_id": closed["id"]})
    result = await conn.ok(
        "update_customer", {"customer": {"name": "Conf Ormance", "fields": {"k": "v"}}}
    )
    customer = expect_keys(result.get("customer"), ("id", "type", "fields"), "customer")
    expect(
        customer["id"] == customer_id and customer.get("name") == "Conf Ormance",
        "the updated customer",
        customer,
    )
    await conn.listen()
    pushes = [
        f.message
        for f in conn.frames
        if f.message and f.message.get("action") == "customer_updated"
    ]
    chats = sorted(p.get("payload", {}).get("chat_id", "") for p in pushes)
    expect(
        chats == [active["id"]], f"one customer_updated, for the active chat {active['id']}", chats
    )


async def login_customer_data(ctx: Context) -> None:
    """``login.customer`` (name, email, fields) shows in the chat's users (fields set before
    by another login may stay beside them)."""
    customer = await ctx.customer()
    tag = ctx.request_id()
    data = {"name": f"Ann {tag}", "email": "ann@example.com", "fields": {"plan": f"gold {tag}"}}
    conn, customer_id = await ctx.login(customer, {"customer": data})
    chat = await ctx.chat(conn)
    users = [u for u in chat.get("users", []) if isinstance(u, dict) and u.get("id") == customer_id]
    user = users[0] if users else {}
    fields = user.get("fields")
    seen = {
        "name": user.get("name"),
        "email": user.get("email"),
        "fields": {k: fields.get(k) for k in data["fields"]} if isinstance(fields, dict) else None,
    }
    expect(seen == data, f"the customer user with {data}", user)


async def chat_properties(ctx: Context) -> None:
    """``update_chat_properties`` pushes only what changed, in the read form."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    await conn.ok(
        "update_chat_properties",
        {"chat_id": chat["id"], "properties": {"conf": {"a": 1, "b": "x"}}},
    )
    push = await conn.push("chat_properties_updated")
    expected = {"conf": {"a": {"value": 1}, "b": {"value": "x"}}}
    expect(push["payload"].get("properties") == expected, f"properties {expected}", push)
    await conn.ok(
        "update_chat_properties",
        {"chat_id": chat["id"], "properties": {"conf": {"a": 1, "b": "y"}}},
    )
    push = await conn.push("chat_properties_updated")
    expected = {"conf": {"b": {"value": "y"}}}
    expect(push["payload"].get("properties") == expected, f"only the change {expected}", push)


async def chat_properties_unchanged(ctx: Context) -> None:
    """An ``update_chat_properties`` that changes nothing sends no push."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    update = {"chat_id": chat["id"], "properties": {"conf": {"same": True}}}
    await conn.ok("update_chat_properties", update)
    await conn.push("chat_properties_updated")
    await conn.ok("update_chat_properties", update)
    await expect_no_push(
        conn, ("chat_properties_updated",), "no chat_properties_updated when nothing changed"
    )


async def thread_properties(ctx: Context) -> None:
    """``update_chat_thread_properties`` pushes ``{chat_id, thread_id, properties}`` and the
    thread reads them back in the read form."""
    conn, _, _ = await ctx.session()
    chat = await ctx.chat(conn)
    thread_id = chat["thread"]["id"]
    update = {"chat_id": chat["id"], "thread_id": thread_id, "properties": {"rating": {"score": 1}}}
    await conn.ok("update_chat_thread_properties", update)
    push = await conn.push("chat_thread_properties_updated")
    expected = {"rating": {"score": {"value": 1}}}
    expect(
        push["payload"].get("thread_id") == thread_id
        and push["payload"].get("properties") == expected,
        f"thread {thread_id} properties {expected}",
        push,
    )
    got = await conn.ok("get_chat_threads", {"chat_id": chat["id"], "thread_ids": [thread_id]})
    props = got.get("chat", {}).get("threads", [{}])[0].get("properties")
    expect(props == expected, f"thread properties {expected}", props)


async def other_customers_chat(ctx: Context) -> None:
    """Another customer's chat: ``authorization`` errors, and its owner sees no push."""
    owner, _, _ = await ctx.session()
    chat = await ctx.chat(owner)
    intruder, _, _ = await ctx.session()
    sent = await intruder.request("send_event", {"chat_id": chat["id"], "event": custom_event("x")})
    expect_error(sent, "authorization")
    read = await intruder.request(
        "get_chat_threads", {"chat_id": chat["id"], "thread_ids": [chat["thread"]["id"]]}
    )
    expect_error(read, "authorization")
    await expect_no_push(owner, ("incoming_event",), "no push to the owner")


async def too_many_connections(ctx: Context) -> None:
    """Past the server's limit, a connection gets ``customer_disconnected too_many_connections``."""
    customer = await ctx.customer()
    for _ in range(ctx.target.max_connections_probe):
        with contextlib.suppress(Failed):  # a refused newest connection is checked below
            await ctx.login(customer)
        await ctx.connections[0].listen(0.1)
        kicked = [
            f.message
            for conn in ctx.connections
            for f in conn.frames
            if f.message and f.message.get("action") == "customer_disconnected"
        ]
        if kicked:
            reason = kicked[0].get("payload", {}).get("reason")
            expect(reason == "too_many_connections", "reason too_many_connections", kicked[0])
            return
    raise Skipped(f"no connection limit up to {ctx.target.max_connections_probe} connections")


SCENARIOS = (
    Scenario(
        id="push.echo_request_id",
        spec="wire.md §2",
        title="requester's push carries its request_id",
        run=echo_carries_request_id,
    ),
    Scenario(
        id="push.others_no_request_id",
        spec="wire.md §2",
        title="other connections get the push without request_id",
        run=others_without_request_id,
    ),
    Scenario(
        id="push.start_chat",
        spec="wire.md §4 start_chat, §5",
        title="incoming_chat_thread to every connection",
        run=start_chat_push,
    ),
    Scenario(
        id="thread.close",
        spec="wire.md §4 close_thread, §5",
        title="close_thread -> thread_closed {chat_id, thread_id, user_id}",
        run=close_thread,
    ),
    Scenario(
        id="thread.event_opens_thread",
        spec="wire.md §4 send_event",
        title="event after close -> incoming_chat_thread, new thread",
        run=event_opens_thread,
    ),
    Scenario(
        id="scopes.update",
        spec="wire.md §4 update_chat_scopes, §5",
        title="chat_scopes_updated; scopes read back",
        run=scopes,
    ),
    Scenario(
        id="customer.update",
        spec="wire.md §4 update_customer, §5",
        title="{customer}; customer_updated per active chat",
        run=update_customer,
    ),
    Scenario(
        id="customer.login_data",
        spec="wire.md §4 login",
        title="login.customer name/email/fields kept",
        run=login_customer_data,
    ),
    Scenario(
        id="properties.chat",
        spec="wire.md §3 Properties, §5",
        title="chat_properties_updated with only the change",
        run=chat_properties,
    ),
    Scenario(
        id="properties.no_push_unchanged",
        spec="wire.md §4 update_chat_properties",
        title="no push when nothing changed",
        run=chat_properties_unchanged,
    ),
    Scenario(
        id="properties.thread",
        spec="wire.md §3 Properties, §5",
        title="chat_thread_properties_updated; read form",
        run=thread_properties,
    ),
    Scenario(
        id="authz.other_customers_chat",
        spec="wire.md §6",
        title="another customer's chat -> authorization, no push",
        run=other_customers_chat,
    ),
    Scenario(
        id="conn.too_many_connections",
        spec="wire.md §5 customer_disconnected",
        title="over the limit -> too_many_connections",
        run=too_many_connections,
    ),
)

"""v3 scenarios of the endpoint, the envelope and connection rules, and login: ``v3.md``
sections 1, 2, 8 and 11."""

from __future__ import annotations

import json
import time
from typing import Any

from .checks import error_of, expect, expect_error, expect_keys, payload_of
from .context import Context
from .driver import Failed, Frame, Skipped, brief
from .model import Scenario
from .steps import (
    expect_answered_once,
    expect_refused_before_login,
    expect_response_envelope,
    login_refusal,
)
from .v3help import deactivate, expect_validation, start

__all__ = ["SCENARIOS"]

_STATISTICS = (
    "chats_count",
    "threads_count",
    "visits_count",
    "page_views_count",
    "greetings_shown_count",
    "greetings_accepted_count",
)
_PENDING_LIMIT = 10
_BURST = 14


async def upgrade(ctx: Context) -> None:
    """The upgrade at ``/v<ver>/customer/rtm/ws?organization_id=`` is accepted."""
    conn = await ctx.open()
    expect(conn.closed is None, "the connection open after the upgrade", str(conn.closed))


async def organization_required(ctx: Context) -> None:
    """Without ``organization_id`` the upgrade is refused (or nobody can log in on it)."""
    target = ctx.target
    if not target.organization_id:
        raise Skipped("no --organization-id given")
    try:
        conn = await ctx.open(organization_id="")
    except Failed:
        return  # refused at the upgrade: fine
    customer = await ctx.customer()
    if conn.closed is not None:
        return
    message = await login_refusal(
        conn,
        customer.access_token,
        "an error, customer_disconnected or a close for a login without organization_id",
    )
    expect(message.get("success") is not True, "no successful login", brief(message))


async def login_must_be_first(ctx: Context) -> None:
    """A request before ``login`` is refused: an error response or a close (§2)."""
    await expect_refused_before_login(await ctx.open(), "list_chats")


async def response_envelope(ctx: Context) -> None:
    """A response is ``{request_id, action, type: response, success, payload}``."""
    conn, _, _ = await ctx.session()
    await expect_response_envelope(conn, "list_chats", "v3-echo-me-42")


async def push_version(ctx: Context) -> None:
    """Pushes carry ``version``: the connection's API version (§2)."""
    conn, _, _ = await ctx.session()
    _, _, push = await start(conn)
    expect(push.get("version") == ctx.target.api, f"version {ctx.target.api!r}", push)


def _ping_answer(frame: Frame) -> bool:
    return frame.message is not None and frame.message.get("action") == "ping"


async def ping_answered(ctx: Context) -> None:
    """``{"action": "ping", "payload": {}}`` after login gets a ``ping`` response (§2)."""
    conn, _, _ = await ctx.session()
    rid = ctx.request_id()
    await conn.send_raw(json.dumps({"request_id": rid, "action": "ping", "payload": {}}))
    frame = await conn.wait("a ping response", _ping_answer)
    answer = frame.message or {}
    expect(answer.get("type") == "response", "a response (not a push)", answer)
    expect(answer.get("success") is True, "success: true", answer)
    expect(answer.get("request_id") in (rid, None), f"request_id {rid!r} (or none)", answer)
    await conn.ok("list_chats", {})


async def ping_without_payload(ctx: Context) -> None:
    """A ``ping`` without ``payload`` is answered too (§11: LiveChat's clients send both)."""
    conn, _, _ = await ctx.session()
    await conn.send_raw(json.dumps({"action": "ping"}))
    frame = await conn.wait("a ping response", _ping_answer)
    expect((frame.message or {}).get("success") is True, "success: true", frame.describe())


async def pending_limit(ctx: Context) -> None:
    """At most 10 requests pending per connection: in a burst, each request is answered once,
    successes or ``pending_requests_limit_reached``, never more than 10 held at once (§2)."""
    conn, _, _ = await ctx.session()
    started = time.monotonic()  # (a ping: its answer is never held back)
    await conn.send_raw(json.dumps({"action": "ping", "payload": {}}))
    await conn.wait("a ping response", _ping_answer)
    round_trip = time.monotonic() - started
    ids = [ctx.request_id() for _ in range(_BURST)]
    texts = [json.dumps({"request_id": r, "action": "get_customer", "payload": {}}) for r in ids]
    sent = time.monotonic()
    await conn.send_burst(texts)
    answers: dict[str, dict[str, Any]] = {}
    first_answer: float | None = None
    for rid in ids:
        answers[rid] = await conn.response(rid, "get_customer")
        first_answer = first_answer or time.monotonic()
    await expect_answered_once(conn, ids)
    limited = [r for r in ids if answers[r].get("success") is False]
    for rid in limited:
        expect_error(answers[rid], "pending_requests_limit_reached")
    if limited:
        expect(
            len(ids) - len(limited) >= _PENDING_LIMIT,
            f"at least {_PENDING_LIMIT} of {len(ids)} served",
            f"{len(ids) - len(limited)} served",
        )
        return
    held = (first_answer or sent) - sent
    if held > 2 * round_trip + ctx.target.quiet:
        raise Failed(
            f"pending_requests_limit_reached past {_PENDING_LIMIT} pending requests",
            f"all {len(ids)} held {held:.2f} s, then all answered with success",
        )
    raise Skipped("the server answered faster than 10 requests could be pending")


async def request_version(ctx: Context) -> None:
    """A request may carry ``version``: the connection's is accepted, a lower one refused (§2)."""
    conn, _, _ = await ctx.session()
    same = ctx.request_id()
    await conn.send_raw(
        json.dumps({"version": ctx.target.api, "request_id": same, "action": "get_customer"})
    )
    answer = await conn.response(same, "get_customer")
    expect(answer.get("success") is True, f"version {ctx.target.api} accepted", answer)
    lower = ctx.request_id()
    await conn.send_raw(
        json.dumps({"version": "3.3", "request_id": lower, "action": "get_customer"})
    )
    error_of(await conn.response(lower, "get_customer"))


async def unknown_action(ctx: Context) -> None:
    """An unknown action gets an error response (``validation``, §11: like v0.3)."""
    conn, _, _ = await ctx.session()
    expect_error(await conn.request("no_such_action_xyz", {}), "validation")


# -- login (§8, §11) ---------------------------------------------------------------------------


async def _login_payload(ctx: Context, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    customer = await ctx.customer()
    conn = await ctx.open()
    payload: dict[str, Any] = {"token": f"Bearer {customer.access_token}", **(extra or {})}
    return await conn.ok("login", payload)


async def login_response(ctx: Context) -> None:
    """``login`` answers ``{customer: {id, ...}, has_active_thread, chats,
    __priv_dynamic_config}``."""
    result = await _login_payload(ctx)
    expect_keys(
        result, ("customer", "has_active_thread", "chats", "__priv_dynamic_config"), "login"
    )
    expect(isinstance(result["has_active_thread"], bool), "has_active_thread a boolean", result)
    expect(isinstance(result["chats"], list), "chats a list", result)
    for item in result["chats"]:
        expect_keys(item, ("chat_id", "has_unread_events"), "login chats[]")
    config = expect_keys(
        result["__priv_dynamic_config"], ("online_groups_ids", "customer_groups"), "config"
    )
    monitoring = expect_keys(config["customer_groups"], ("monitoring",), "customer_groups")
    expect_keys(monitoring["monitoring"], ("id", "static_config_url"), "monitoring")


async def login_statistics(ctx: Context) -> None:
    """``login``'s ``customer.statistics`` has the six counters, as integers."""
    result = await _login_payload(ctx)
    customer = expect_keys(result.get("customer"), ("id", "statistics"), "customer")
    stats = expect_keys(customer["statistics"], _STATISTICS, "customer.statistics")
    bad = {k: v for k, v in stats.items() if k in _STATISTICS and not isinstance(v, int)}
    expect(not bad, "integer counters", bad)


async def login_active_thread(ctx: Context) -> None:
    """``has_active_thread`` and ``chats`` follow the customer's chats: true with the new chat
    listed after ``start_chat``, false after ``deactivate_chat``."""
    customer = await ctx.customer()
    conn, _ = await ctx.login(customer)
    await ctx.close_active_threads(conn)
    chat_id, _, _ = await start(conn)
    second = await ctx.open()
    login = await second.ok("login", {"token": f"Bearer {customer.access_token}"})
    expect(login.get("has_active_thread") is True, "has_active_thread true", login)
    listed = [c.get("chat_id") for c in login.get("chats", []) if isinstance(c, dict)]
    expect(chat_id in listed, f"chat {chat_id} in login.chats", login.get("chats"))
    await deactivate(conn, chat_id)
    third = await ctx.open()
    login = await third.ok("login", {"token": f"Bearer {customer.access_token}"})
    expect(login.get("has_active_thread") is False, "has_active_thread false", login)


async def login_bad_token(ctx: Context) -> None:
    """``login`` with an unknown token fails with ``authentication``."""
    conn = await ctx.open()
    expect_error(
        await conn.request("login", {"token": "Bearer not-a-token-0000"}), "authentication"
    )


async def login_token_required(ctx: Context) -> None:
    """``login`` without ``token`` fails with ``validation`` naming ``token``."""
    conn = await ctx.open()
    await expect_validation(conn, "login", {}, "token")


async def login_full_payload(ctx: Context) -> None:
    """A login as LiveChat's clients send it (``pushes`` for the version, ``application``,
    ``customer_side_storage``, ``customer: {}``) is accepted, and the pushes asked for arrive."""
    customer = await ctx.customer()
    conn = await ctx.open()
    api = ctx.target.api
    extra = {
        "customer": {},
        "customer_side_storage": {},
        "application": {"name": "conformance", "version": "1"},
        "pushes": {api: ["incoming_chat", "incoming_event", "chat_deactivated"]},
        "is_mobile": False,
    }
    result = await conn.ok("login", {"token": f"Bearer {customer.access_token}", **extra})
    expect_keys(result, ("customer",), "login")
    await start(conn)


async def login_customer_data(ctx: Context) -> None:
    """``login.customer`` (name, email) is applied: ``get_customer`` shows it."""
    customer = await ctx.customer()
    tag = ctx.request_id()
    data = {"name": f"Conf {tag}", "email": f"{tag}@example.com"}
    conn, _ = await ctx.login(customer, {"customer": data})
    got = await conn.ok("get_customer", {})
    seen = {k: got.get(k) for k in data}
    expect(seen == data, f"get_customer with {data}", payload_of({"payload": got}))


SCENARIOS = (
    Scenario(
        id="v3.rtm.upgrade",
        spec="v3.md §1",
        title="RTM upgrade with organization_id accepted",
        run=upgrade,
    ),
    Scenario(
        id="v3.rtm.organization_required",
        spec="v3.md §1",
        title="no organization_id -> refused",
        run=organization_required,
    ),
    Scenario(
        id="v3.rtm.login_must_be_first",
        spec="v3.md §2",
        title="a request before login is refused",
        run=login_must_be_first,
    ),
    Scenario(
        id="v3.rtm.response_envelope",
        spec="v3.md §2",
        title="response echoes request_id and action",
        run=response_envelope,
    ),
    Scenario(
        id="v3.rtm.push_version",
        spec="v3.md §2",
        title="pushes carry the connection's version",
        run=push_version,
    ),
    Scenario(
        id="v3.rtm.ping_answered",
        spec="v3.md §2",
        title="protocol ping answered with a ping response",
        run=ping_answered,
    ),
    Scenario(
        id="v3.rtm.ping_without_payload",
        spec="v3.md §11",
        title="ping without payload answered",
        run=ping_without_payload,
    ),
    Scenario(
        id="v3.rtm.pending_limit",
        spec="v3.md §2",
        title="at most 10 pending -> pending_requests_limit_reached",
        run=pending_limit,
    ),
    Scenario(
        id="v3.rtm.request_version",
        spec="v3.md §2",
        title="request version: same ok, lower refused",
        run=request_version,
    ),
    Scenario(
        id="v3.rtm.unknown_action",
        spec="v3.md §11",
        title="unknown action -> validation",
        run=unknown_action,
    ),
    Scenario(
        id="v3.login.response",
        spec="v3.md §8",
        title="{customer, has_active_thread, chats, __priv_dynamic_config}",
        run=login_response,
    ),
    Scenario(
        id="v3.login.statistics",
        spec="v3.md §3, §8",
        title="customer.statistics: six integer counters",
        run=login_statistics,
    ),
    Scenario(
        id="v3.login.has_active_thread",
        spec="v3.md §8",
        title="has_active_thread/chats follow start and deactivate",
        run=login_active_thread,
    ),
    Scenario(
        id="v3.login.bad_token",
        spec="v3.md §8, §10",
        title="bad token -> authentication",
        run=login_bad_token,
    ),
    Scenario(
        id="v3.login.token_required",
        spec="v3.md §8, §10",
        title="no token -> validation naming token",
        run=login_token_required,
    ),
    Scenario(
        id="v3.login.client_payload",
        spec="v3.md §8, §11",
        title="pushes/application/customer_side_storage accepted",
        run=login_full_payload,
    ),
    Scenario(
        id="v3.login.customer_data",
        spec="v3.md §8",
        title="login.customer name/email applied",
        run=login_customer_data,
    ),
)

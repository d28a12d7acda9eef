"""Scenarios of the RTM endpoint and envelope: ``wire.md`` sections 1, 2 and 6, and login."""

from __future__ import annotations

import json

from .checks import error_of, expect, expect_error, expect_keys, payload_of
from .context import Context
from .driver import Frame, brief
from .model import Scenario
from .steps import (
    expect_answered_once,
    expect_quiet,
    expect_refused_before_login,
    expect_response_envelope,
    login_refusal,
)

__all__ = ["SCENARIOS"]


async def upgrade(ctx: Context) -> None:
    """The RTM WebSocket upgrade with ``license_id`` is accepted."""
    await ctx.open()


async def login_must_be_first(ctx: Context) -> None:
    """A request before ``login`` is refused (an error response, or the connection closes)."""
    await expect_refused_before_login(await ctx.open(), "get_chats_summary")


async def login_success(ctx: Context) -> None:
    """``login`` answers ``{customer_id, static_config_path}`` echoing request_id and action."""
    customer = await ctx.customer()
    conn = await ctx.open()
    rid = await conn.send("login", {"token": f"Bearer {customer.access_token}"})
    message = await conn.response(rid, "login")
    expect(message.get("success") is True, "login to succeed", message)
    expect(message.get("action") == "login", "the response to echo action 'login'", message)
    payload = expect_keys(payload_of(message), ("customer_id", "static_config_path"), "payload")
    expect(isinstance(payload["customer_id"], str), "customer_id a string", payload)


async def login_bad_token(ctx: Context) -> None:
    """``login`` with an unknown token fails with ``authentication``."""
    conn = await ctx.open()
    message = await conn.request("login", {"token": "Bearer not-a-valid-token-0000"})
    expect_error(message, "authentication")


async def login_token_required(ctx: Context) -> None:
    """``login`` without ``token`` fails with ``validation`` naming ``token``."""
    conn = await ctx.open()
    expect_error(await conn.request("login", {}), "validation", "token")


async def response_envelope(ctx: Context) -> None:
    """A response is ``{request_id, action, type: response, success, payload}``."""
    conn, _, _ = await ctx.session()
    await expect_response_envelope(conn, "get_chats_summary", "echo-me-42")


async def pipelined_requests(ctx: Context) -> None:
    """Several requests in flight are each answered once, with their own request_id."""
    conn, _, _ = await ctx.session()
    ids = [await conn.send("get_chats_summary", {"limit": n}) for n in (1, 2, 3)]
    for rid in ids:
        message = await conn.response(rid)
        expect(message.get("success") is True, f"{rid} to succeed", message)
    await expect_answered_once(conn, ids)


async def error_envelope(ctx: Context) -> None:
    """An error response echoes request_id and action; ``payload.error = {type, message}``."""
    conn, _, _ = await ctx.session()
    rid = await conn.send("get_chat_threads", {"thread_ids": []})
    message = await conn.response(rid)
    error_of(message)
    expect(message.get("action") == "get_chat_threads", "the action echoed", message)


async def ping_no_response(ctx: Context) -> None:
    """``{"action": "ping"}`` gets no response, and the connection goes on."""
    conn, _, _ = await ctx.session()
    await conn.send_raw(json.dumps({"action": "ping"}))
    await expect_quiet(
        conn,
        "no response to ping (and no close)",
        lambda f: (
            f.closed is not None or (f.message is not None and f.message.get("type") == "response")
        ),
    )
    await conn.ok("get_chats_summary", {})


async def unknown_action(ctx: Context) -> None:
    """An unknown action gets a ``validation`` error."""
    conn, _, _ = await ctx.session()
    expect_error(await conn.request("no_such_action_xyz", {}), "validation")


def _answer_or_close(frame: Frame) -> bool:
    return frame.closed is not None or (
        frame.message is not None
        and frame.message.get("type") == "response"
        and frame.message.get("success") is False
    )


async def malformed_json(ctx: Context) -> None:
    """A frame that is not JSON gets an error response or a close, never silence."""
    conn, _, _ = await ctx.session()
    await conn.send_raw('{"request_id": "x", "action": ')
    await conn.wait("an error response or a close after malformed JSON", _answer_or_close)


async def payload_not_object(ctx: Context) -> None:
    """A payload that is not an object gets a ``validation`` error."""
    conn, _, _ = await ctx.session()
    rid = ctx.request_id()
    await conn.send_raw(
        json.dumps({"request_id": rid, "action": "get_chats_summary", "payload": [1]})
    )
    expect_error(await conn.response(rid), "validation")


async def license_not_found(ctx: Context) -> None:
    """An unknown license gets ``customer_disconnected {reason: license_not_found}`` (or a
    refusal), never a working session."""
    customer = await ctx.customer()
    conn = await ctx.open(license_id=ctx.target.license_id + 1_000_000)
    message = await login_refusal(
        conn, customer.access_token, "customer_disconnected license_not_found, an error or a close"
    )
    if message.get("action") == "customer_disconnected":
        reason = payload_of(message).get("reason")
        expect(reason == "license_not_found", "reason license_not_found", message)
    else:
        expect(message.get("success") is not True, "no successful login", brief(message))


SCENARIOS = (
    Scenario(
        id="rtm.upgrade", spec="wire.md §1", title="RTM WebSocket upgrade accepted", run=upgrade
    ),
    Scenario(
        id="rtm.login_must_be_first",
        spec="wire.md §2",
        title="a request before login is refused",
        run=login_must_be_first,
    ),
    Scenario(
        id="rtm.login_success",
        spec="wire.md §4 login",
        title="login answers {customer_id, static_config_path}",
        run=login_success,
    ),
    Scenario(
        id="rtm.login_bad_token",
        spec="wire.md §6",
        title="login with a bad token -> authentication",
        run=login_bad_token,
    ),
    Scenario(
        id="rtm.login_token_required",
        spec="wire.md §4 login, §6",
        title="login without token -> validation naming token",
        run=login_token_required,
    ),
    Scenario(
        id="rtm.response_envelope",
        spec="wire.md §2",
        title="response echoes request_id and action",
        run=response_envelope,
    ),
    Scenario(
        id="rtm.pipelined_requests",
        spec="wire.md §2",
        title="requests in flight answered once each by request_id",
        run=pipelined_requests,
    ),
    Scenario(
        id="rtm.error_envelope",
        spec="wire.md §2, §6",
        title="error response {success:false, error:{type,message}}",
        run=error_envelope,
    ),
    Scenario(
        id="rtm.ping_no_response",
        spec="wire.md §2",
        title="ping gets no response; the connection goes on",
        run=ping_no_response,
    ),
    Scenario(
        id="rtm.unknown_action",
        spec="wire.md §4, §6",
        title="unknown action -> validation",
        run=unknown_action,
    ),
    Scenario(
        id="rtm.malformed_json",
        spec="wire.md §2, §6",
        title="malformed JSON -> error response or close",
        run=malformed_json,
    ),
    Scenario(
        id="rtm.payload_not_object",
        spec="wire.md §2, §6",
        title="payload not an object -> validation",
        run=payload_not_object,
    ),
    Scenario(
        id="rtm.license_not_found",
        spec="wire.md §1, §5",
        title="unknown license -> customer_disconnected license_not_found",
        run=license_not_found,
    ),
)

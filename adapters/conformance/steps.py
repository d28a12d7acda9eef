"""Scenario steps both dialects run the same way (the v0.3 and v3 scenarios differ only in the
actions they name): refusals before and at login, the response envelope, one answer each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .checks import error_of, expect
from .driver import Frame, RtmConnection

__all__ = [
    "expect_answered_once",
    "expect_no_push",
    "expect_quiet",
    "expect_refused_before_login",
    "expect_response_envelope",
    "login_refusal",
]


async def expect_refused_before_login(conn: RtmConnection, action: str) -> None:
    """A request of ``action`` before ``login`` is refused: an error response echoing its
    ``request_id``, or a close."""
    rid = await conn.send(action, {})
    frame = await conn.wait(
        "an error response to a request sent before login (or a close)",
        lambda f: (
            f.closed is not None or (f.message is not None and f.message.get("type") == "response")
        ),
    )
    if frame.message is not None:
        expect(frame.message.get("success") is False, "no success before login", frame.message)
        error_of(frame.message)
        expect(frame.message.get("request_id") == rid, f"the error to echo {rid!r}", frame.message)


async def login_refusal(conn: RtmConnection, access_token: str, what: str) -> dict[str, Any]:
    """Log in (unless the server closed already) and wait for the answer, a
    ``customer_disconnected`` push or a close; return that message (``{}`` for a close)."""
    rid = "not-sent"
    if conn.closed is None:  # (a server may refuse and close at once)
        rid = await conn.send("login", {"token": f"Bearer {access_token}"})
    frame = await conn.wait(
        what,
        lambda f: (
            f.closed is not None
            or (
                f.message is not None
                and (
                    f.message.get("action") == "customer_disconnected"
                    or f.message.get("request_id") == rid
                )
            )
        ),
    )
    return frame.message or {}


async def expect_response_envelope(conn: RtmConnection, action: str, request_id: str) -> None:
    """A successful ``action`` answers ``{request_id, action, type: response, success,
    payload}`` echoing ``request_id`` and ``action``."""
    rid = await conn.send(action, {}, request_id=request_id)
    message = await conn.response(rid)
    expect(message.get("action") == action, "action echoed", message)
    expect(message.get("success") is True, "success: true", message)
    expect(isinstance(message.get("payload"), dict), "a payload object", message)


async def expect_quiet(
    conn: RtmConnection, expected: str, matches: Callable[[Frame], bool]
) -> None:
    """Listen for the target's ``quiet`` time: no unused frame ``matches`` (``expected`` says
    what should not have come)."""
    heard = [f.describe() for f in await conn.listen() if matches(f)]
    expect(not heard, expected, heard)


async def expect_answered_once(conn: RtmConnection, ids: list[str]) -> None:
    """No further response to any of ``ids`` arrives (each was answered already)."""
    await expect_quiet(
        conn,
        "exactly one response per request",
        lambda f: f.message is not None and f.message.get("request_id") in ids,
    )


async def expect_no_push(conn: RtmConnection, actions: tuple[str, ...], expected: str) -> None:
    """No push named one of ``actions`` arrives while the connection is listened to."""
    await expect_quiet(
        conn, expected, lambda f: f.message is not None and f.message.get("action") in actions
    )

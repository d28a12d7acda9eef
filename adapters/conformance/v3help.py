"""Small helpers the v3 scenarios share: starting chats, finding pushes, event payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .checks import expect, expect_error, expect_keys
from .context import Context
from .driver import Failed, RtmConnection, brief

__all__ = [
    "V3_NAMESPACE",
    "about",
    "custom",
    "deactivate",
    "expect_no_request_id",
    "expect_validation",
    "message",
    "now_rfc3339",
    "push_for",
    "start",
    "two_connections",
]

V3_NAMESPACE = "conformance"
"""The property namespace the scenarios write to."""


def custom(n: Any = None) -> dict[str, Any]:
    """A ``custom`` event (simulated agents do not answer those)."""
    return {"type": "custom", "content": {"n": n}}


def message(text: str, custom_id: str | None = None) -> dict[str, Any]:
    """A ``message`` event to all recipients."""
    event: dict[str, Any] = {"type": "message", "text": text, "recipients": "all"}
    if custom_id is not None:
        event["custom_id"] = custom_id
    return event


def now_rfc3339() -> str:
    """Now as an RFC 3339 string with microseconds (``v3.md`` §3)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def about(chat_id: str) -> Any:
    """A push filter: the push's payload names ``chat_id`` (as ``chat_id`` or ``chat.id``)."""

    def match(push: dict[str, Any]) -> bool:
        payload = push.get("payload", {})
        if not isinstance(payload, dict):
            return False
        chat = payload.get("chat")
        return payload.get("chat_id") == chat_id or (
            isinstance(chat, dict) and chat.get("id") == chat_id
        )

    return match


async def push_for(conn: RtmConnection, action: str, chat_id: str) -> dict[str, Any]:
    """The push ``action`` about ``chat_id``."""
    return await conn.push(action, about(chat_id))


def expect_no_request_id(push: dict[str, Any], what: str) -> None:
    """The push carries no ``request_id`` (it goes to a connection that did not ask)."""
    expect(push.get("request_id") in (None, ""), f"{what} without request_id", push)


async def start(
    conn: RtmConnection, payload: dict[str, Any] | None = None
) -> tuple[str, str, dict[str, Any]]:
    """``start_chat`` (must succeed) and its ``incoming_chat`` push on ``conn``: the chat id,
    the thread id and the push."""
    rid = await conn.send("start_chat", payload or {})
    response = await conn.response(rid, "start_chat")
    if response.get("success") is not True:
        raise Failed("start_chat to succeed", brief(response))
    result = expect_keys(response.get("payload"), ("chat_id", "thread_id"), "start_chat payload")
    expect(
        isinstance(result["chat_id"], str) and isinstance(result["thread_id"], str),
        "string chat_id and thread_id",
        result,
    )
    push = await push_for(conn, "incoming_chat", result["chat_id"])
    return result["chat_id"], result["thread_id"], push


async def deactivate(conn: RtmConnection, chat_id: str) -> None:
    """``deactivate_chat`` (must succeed) and its ``chat_deactivated`` push."""
    await conn.ok("deactivate_chat", {"id": chat_id})
    await push_for(conn, "chat_deactivated", chat_id)


async def two_connections(ctx: Context) -> tuple[RtmConnection, RtmConnection, str]:
    """One customer logged in twice: the two connections and the customer id."""
    customer = await ctx.customer()
    first, customer_id = await ctx.login(customer)
    second, _ = await ctx.login(customer)
    return first, second, customer_id


async def expect_validation(
    conn: RtmConnection, action: str, payload: dict[str, Any], field: str
) -> None:
    """``action`` with ``payload`` fails with ``validation`` naming ``field``."""
    expect_error(await conn.request(action, payload), "validation", field)

"""v3 scenarios of the Web API (bare payloads, errors, multipart ``upload_file``) and of the
customer tokens (``POST /v2/customer/token``): ``v3.md`` §1, §7, §10."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from transports.multipart import FilePart, MultipartBody

from .checks import expect, expect_http_error, expect_keys
from .checks_v3 import expect_v3_event
from .context import Context
from .driver import HttpAnswer, Skipped
from .model import scenario
from .v3help import custom, expect_no_request_id, push_for, start

__all__ = ["SCENARIOS"]

_TEN_MIB = 10 * 1024 * 1024
_TOKEN = ("access_token", "client_id", "entity_id", "expires_in", "token_type", "organization_id")


def _bare(answer: HttpAnswer, what: str) -> dict[str, Any]:
    """A 2xx answer whose body is the bare payload object (§1)."""
    expect(200 <= answer.status < 300, f"{what}: a 2xx answer", answer.describe())
    expect(isinstance(answer.json, dict), f"{what}: a JSON object body", answer.describe())
    assert isinstance(answer.json, dict)
    expect(
        "payload" not in answer.json or len(answer.json) > 1,
        f"{what}: the bare payload",
        answer.describe(),
    )
    return answer.json


async def requires_token(ctx: Context) -> None:
    """A Web API call without ``Authorization``: 4xx ``authentication``."""
    expect_http_error(await ctx.web_api("list_chats", {}, token=None), "authentication")


async def bad_token(ctx: Context) -> None:
    """A Web API call with an unknown bearer token: 4xx ``authentication``."""
    expect_http_error(
        await ctx.web_api("list_chats", {}, token="not-a-token-0000"), "authentication"
    )


async def web_start_chat(ctx: Context) -> None:
    """Web ``start_chat`` answers the bare ``{chat_id, thread_id}``; the customer's RTM
    connection gets ``incoming_chat`` without a request_id."""
    conn, _, customer = await ctx.session()
    answer = await ctx.web_api("start_chat", {}, token=customer.access_token)
    result = expect_keys(_bare(answer, "start_chat"), ("chat_id", "thread_id"), "payload")
    expect_no_request_id(await push_for(conn, "incoming_chat", result["chat_id"]), "incoming_chat")


async def web_send_event(ctx: Context) -> None:
    """Web ``send_event`` answers ``{event_id}``; RTM gets the ``incoming_event``."""
    conn, _, customer = await ctx.session()
    chat_id, _, _ = await start(conn)
    payload = {"chat_id": chat_id, "event": custom("web")}
    answer = await ctx.web_api("send_event", payload, token=customer.access_token)
    result = expect_keys(_bare(answer, "send_event"), ("event_id",), "payload")
    push = await conn.push(
        "incoming_event", lambda m: m["payload"].get("event", {}).get("id") == result["event_id"]
    )
    expect_no_request_id(push, "incoming_event")
    expect_v3_event(push["payload"]["event"])


async def web_list_chats(ctx: Context) -> None:
    """Web ``list_chats`` answers the bare ``{chats_summary, total_chats}``."""
    conn, _, customer = await ctx.session()
    chat_id, _, _ = await start(conn)
    answer = await ctx.web_api("list_chats", {}, token=customer.access_token)
    result = expect_keys(_bare(answer, "list_chats"), ("chats_summary", "total_chats"), "payload")
    ids = [s.get("id") for s in result["chats_summary"] if isinstance(s, dict)]
    expect(chat_id in ids, f"chat {chat_id} listed", ids)


async def web_validation(ctx: Context) -> None:
    """A Web validation error: 4xx ``{"error": {"type": "validation", ...}}`` naming the field."""
    _, _, customer = await ctx.session()
    answer = await ctx.web_api("send_event", {"event": custom()}, token=customer.access_token)
    expect_http_error(answer, "validation", "chat_id")


async def web_authorization(ctx: Context) -> None:
    """Another customer's chat over the Web API: 4xx ``authorization``."""
    owner, _, _ = await ctx.session()
    chat_id, _, _ = await start(owner)
    other = await ctx.customer()
    answer = await ctx.web_api("deactivate_chat", {"id": chat_id}, token=other.access_token)
    expect_http_error(answer, "authorization")


def _upload(ctx: Context, token: str, data: bytes) -> tuple[Any, MultipartBody]:
    body = MultipartBody(
        files=[
            ("file", FilePart(filename="conformance.txt", content_type="text/plain", data=data))
        ],
        boundary="conformanceBoundary0123456789",
    )
    head = ctx.web_api_request("upload_file", b"", token=token, content_type=body.content_type)
    size = str(body.bytes_total)
    headers = tuple((k, size if k == "Content-Length" else v) for k, v in head.headers)
    return replace(head, headers=headers, body=None), body


async def upload_file(ctx: Context) -> None:
    """Multipart ``upload_file`` (field ``file``) answers ``{url}``; a ``file`` event with that
    url is stored with ``name``, ``url``, ``content_type`` and ``size``."""
    conn, _, customer = await ctx.session()
    chat_id, _, _ = await start(conn)
    head, body = _upload(ctx, customer.access_token, b"hello file\n")
    result = _bare(await ctx.http(head, body=body), "upload_file")
    expect(isinstance(result.get("url"), str) and result["url"], "{url}", result)
    event = {"type": "file", "url": result["url"]}
    sent = await conn.ok("send_event", {"chat_id": chat_id, "event": event})
    push = await conn.push(
        "incoming_event", lambda m: m["payload"].get("event", {}).get("id") == sent.get("event_id")
    )
    stored = expect_keys(push["payload"]["event"], ("name", "url", "content_type"), "file event")
    expect(stored["name"] == "conformance.txt", "name conformance.txt", stored)
    expect(stored.get("size") in (11, None), "size 11 (when given)", stored)


async def upload_file_too_big(ctx: Context) -> None:
    """A file over 10 MiB is refused: 413, or a 4xx ``entity_too_large``/``validation``."""
    _, _, customer = await ctx.session()
    head, body = _upload(ctx, customer.access_token, bytes(_TEN_MIB + 1))
    answer = await ctx.http(head, body=body)
    error = answer.json.get("error", {}) if isinstance(answer.json, dict) else {}
    expect(
        answer.status == 413
        or (400 <= answer.status < 500 and error.get("type") in ("entity_too_large", "validation")),
        "HTTP 413 (or 4xx entity_too_large)",
        answer.describe(),
    )


# -- tokens (§7) -------------------------------------------------------------------------------


async def agent_token_grant(ctx: Context) -> None:
    """The agent-token grant answers ``{access_token, client_id, entity_id, expires_in,
    token_type: Bearer, organization_id}``; login as that token is customer ``entity_id``."""
    answer = await ctx.agent_token_grant()
    expect(answer.status == 200, "HTTP 200", answer.describe())
    token = expect_keys(answer.json, _TOKEN, "token answer")
    expect(token["token_type"] == "Bearer", "token_type Bearer", token["token_type"])
    expect(
        isinstance(token["expires_in"], int) and token["expires_in"] > 0,
        "expires_in > 0",
        token["expires_in"],
    )
    if ctx.target.organization_id:
        expect(token["organization_id"] == ctx.target.organization_id, "the organization", token)
    conn = await ctx.open()
    result = await conn.ok("login", {"token": f"{token['token_type']} {token['access_token']}"})
    expect(
        result.get("customer", {}).get("id") == token["entity_id"],
        f"customer {token['entity_id']}",
        result,
    )


async def agent_token_same_customer(ctx: Context) -> None:
    """``entity_id`` in the grant brings the same customer back; none makes a new one."""
    first = await ctx.v3_customer()
    again = await ctx.v3_customer(entity_id=first.customer_id)
    expect(
        again.customer_id == first.customer_id, f"entity_id {first.customer_id}", again.customer_id
    )
    other = await ctx.v3_customer()
    expect(
        other.customer_id != first.customer_id,
        "a new customer without entity_id",
        other.customer_id,
    )
    _, customer_id = await ctx.login(again)
    expect(customer_id == first.customer_id, "login as the same customer", customer_id)


async def agent_token_refused(ctx: Context) -> None:
    """A grant with a wrong agent token is refused (4xx)."""
    answer = await ctx.agent_token_grant(agent_token="wrong-agent-token-0000")
    expect(400 <= answer.status < 500, "a 4xx answer", answer.describe())


def _cookies(answer: HttpAnswer) -> str:
    pairs = [v.split(";", 1)[0].strip() for v in answer.header_values("set-cookie")]
    return "; ".join(p for p in pairs if "=" in p)


async def cookie_grant(ctx: Context) -> None:
    """The cookie grant gives a token and identity cookies (``Set-Cookie``); sent back, they
    bring the same ``entity_id``; without them, a new customer."""
    creds = ctx.v3_credentials()
    if not ctx.target.organization_id:
        raise Skipped("the cookie grant needs --organization-id")
    body = {
        "grant_type": "cookie",
        "client_id": creds.client_id,
        "response_type": "token",
        "organization_id": ctx.target.organization_id,
        "redirect_uri": "https://example.com",
    }
    first = await ctx.token_v2(body, origin="https://example.com")
    expect(first.status == 200, "HTTP 200", first.describe())
    token = expect_keys(
        first.json, ("access_token", "entity_id", "expires_in", "token_type"), "token answer"
    )
    cookies = _cookies(first)
    expect(bool(cookies), "identity cookies (Set-Cookie)", first.headers)
    again = await ctx.token_v2(body, cookie=cookies, origin="https://example.com")
    expect(
        isinstance(again.json, dict) and again.json.get("entity_id") == token["entity_id"],
        "the same entity_id",
        again.describe(),
    )
    fresh = await ctx.token_v2(body, origin="https://example.com")
    expect(
        isinstance(fresh.json, dict) and fresh.json.get("entity_id") != token["entity_id"],
        "a new entity_id",
        fresh.describe(),
    )


SCENARIOS = (
    scenario(
        "v3.web.requires_token",
        "v3.md §1, §10",
        "no Authorization -> 4xx authentication",
        requires_token,
    ),
    scenario("v3.web.bad_token", "v3.md §1, §10", "unknown token -> 4xx authentication", bad_token),
    scenario(
        "v3.web.start_chat",
        "v3.md §1, §4",
        "bare {chat_id, thread_id}; RTM push without request_id",
        web_start_chat,
    ),
    scenario(
        "v3.web.send_event",
        "v3.md §1, §4",
        "bare {event_id}; incoming_event over RTM",
        web_send_event,
    ),
    scenario(
        "v3.web.list_chats", "v3.md §1, §5", "bare {chats_summary, total_chats}", web_list_chats
    ),
    scenario(
        "v3.web.validation",
        "v3.md §1, §10",
        "4xx {error: validation} naming chat_id",
        web_validation,
    ),
    scenario(
        "v3.web.authorization",
        "v3.md §1, §10",
        "another customer's chat -> 4xx authorization",
        web_authorization,
    ),
    scenario(
        "v3.web.upload_file",
        "v3.md §1, §4 send_file",
        "multipart upload_file -> {url}; file event",
        upload_file,
    ),
    scenario(
        "v3.web.upload_file_too_big",
        "v3.md §4 send_file",
        "10 MiB + 1 byte -> 413",
        upload_file_too_big,
    ),
    scenario(
        "v3.token.agent_grant",
        "v3.md §7",
        "agent_token grant shape; login as entity_id",
        agent_token_grant,
    ),
    scenario(
        "v3.token.same_customer",
        "v3.md §7",
        "entity_id keeps the customer",
        agent_token_same_customer,
    ),
    scenario(
        "v3.token.bad_agent_token", "v3.md §7", "wrong agent token -> 4xx", agent_token_refused
    ),
    scenario(
        "v3.token.cookie_grant", "v3.md §7", "cookie grant: Set-Cookie identity kept", cookie_grant
    ),
)

"""Scenarios of the Web API (``wire.md`` §1, §4, §6) and the accounts flow (§7)."""

from __future__ import annotations

from typing import Any

import anyio

from transports.multipart import FilePart, MultipartBody, build_send_file_body
from transports.webapi import build_send_file_request

from .checks import expect, expect_event, expect_http_error, expect_keys
from .context import Context
from .driver import Failed, HttpAnswer, Skipped, brief
from .model import Scenario
from .scenarios_requests import custom_event

__all__ = ["SCENARIOS"]

_TEN_MIB = 10 * 1024 * 1024


def _payload(answer: HttpAnswer, what: str) -> dict[str, Any]:
    """A 2xx answer's payload: ``{"payload": {...}}`` or the bare object."""
    expect(200 <= answer.status < 300, f"{what}: a 2xx answer", answer.describe())
    body = answer.json
    expect(isinstance(body, dict), f"{what}: a JSON object body", answer.describe())
    payload = body.get("payload", body)
    expect(isinstance(payload, dict), f"{what}: an object payload", answer.describe())
    assert isinstance(payload, dict)
    return payload


async def requires_token(ctx: Context) -> None:
    """A Web API call without ``Authorization`` gets 4xx ``authentication``."""
    expect_http_error(await ctx.web_api("start_chat", {}, token=None), "authentication")


async def bad_token(ctx: Context) -> None:
    """A Web API call with an unknown bearer token gets 4xx ``authentication``."""
    expect_http_error(
        await ctx.web_api("start_chat", {}, token="not-a-valid-token-0000"), "authentication"
    )


async def web_start_chat(ctx: Context) -> None:
    """Web API ``start_chat``; the customer's RTM connection gets the push without request_id."""
    conn, _, customer = await ctx.session()
    chat = _payload(
        await ctx.web_api("start_chat", {}, token=customer.access_token), "start_chat"
    ).get("chat")
    chat = expect_keys(chat, ("id", "users", "thread"), "chat")
    push = await conn.push(
        "incoming_chat_thread",
        lambda m: m.get("payload", {}).get("chat", {}).get("id") == chat["id"],
    )
    expect(push.get("request_id") in (None, ""), "the push without request_id", push)


async def web_send_event(ctx: Context) -> None:
    """Web API ``send_event`` answers ``{thread_id, event}`` and pushes ``incoming_event``."""
    conn, _, customer = await ctx.session()
    chat = await ctx.chat(conn)
    answer = await ctx.web_api(
        "send_event",
        {"chat_id": chat["id"], "event": custom_event("web")},
        token=customer.access_token,
    )
    result = expect_keys(_payload(answer, "send_event"), ("thread_id", "event"), "payload")
    event = expect_event(result["event"])
    push = await conn.push(
        "incoming_event", lambda m: m.get("payload", {}).get("event", {}).get("id") == event["id"]
    )
    expect(push.get("request_id") in (None, ""), "the push without request_id", push)


async def web_validation(ctx: Context) -> None:
    """A Web API validation error: 4xx ``{"error": {"type": "validation"}}`` naming the field."""
    _, _, customer = await ctx.session()
    answer = await ctx.web_api("send_event", {"event": custom_event()}, token=customer.access_token)
    expect_http_error(answer, "validation", "chat_id")


async def web_authorization(ctx: Context) -> None:
    """Another customer's chat over the Web API: 4xx ``authorization``."""
    owner, _, _ = await ctx.session()
    chat = await ctx.chat(owner)
    other = await ctx.customer()
    answer = await ctx.web_api("close_thread", {"chat_id": chat["id"]}, token=other.access_token)
    expect_http_error(answer, "authorization")


async def web_properties(ctx: Context) -> None:
    """Web API ``update_chat_properties`` pushes ``chat_properties_updated`` over RTM."""
    conn, _, customer = await ctx.session()
    chat = await ctx.chat(conn)
    update = {"chat_id": chat["id"], "properties": {"web": {"k": "v"}}}
    _payload(
        await ctx.web_api("update_chat_properties", update, token=customer.access_token),
        "update_chat_properties",
    )
    push = await conn.push("chat_properties_updated")
    expect(
        push["payload"].get("properties") == {"web": {"k": {"value": "v"}}},
        "the change in read form",
        push,
    )


def _file_upload(ctx: Context, token: str, chat_id: str, data: bytes) -> tuple[Any, MultipartBody]:
    """The head and body of a ``send_file`` upload (no client-side size limit)."""
    body = build_send_file_body(
        chat_id=chat_id,
        file=FilePart(filename="conformance.txt", content_type="text/plain", data=data),
        boundary="conformanceBoundary0123456789",
        custom_id="conf-file-1",
        max_file_size=len(data) + 1,
    )
    base = ctx.target.base
    head = build_send_file_request(
        host=base.host_header,
        access_token=token,
        license_id=ctx.target.license_id,
        body=body,
        prefix=base.prefix,
    )
    return head, body


async def send_file(ctx: Context) -> None:
    """``send_file`` (multipart) answers ``{url}`` and pushes a ``file`` event."""
    conn, _, customer = await ctx.session()
    chat = await ctx.chat(conn)
    head, body = _file_upload(ctx, customer.access_token, chat["id"], b"hello file\n")
    result = _payload(await ctx.http(head, body=body), "send_file")
    expect(isinstance(result.get("url"), str) and result["url"], "{url}", result)
    push = await conn.push(
        "incoming_event", lambda m: m.get("payload", {}).get("event", {}).get("type") == "file"
    )
    event = expect_keys(
        push["payload"]["event"], ("name", "url", "content_type", "size"), "file event"
    )
    expect(event["size"] == 11 and event["url"] == result["url"], "size 11 and the same url", event)
    expect(event.get("custom_id") == "conf-file-1", "custom_id kept", event)


async def send_file_too_big(ctx: Context) -> None:
    """A file over 10 MiB gets ``413``."""
    conn, _, customer = await ctx.session()
    chat = await ctx.chat(conn)
    head, body = _file_upload(ctx, customer.access_token, chat["id"], bytes(_TEN_MIB + 1))
    answer = await ctx.http(head, body=body)
    expect(answer.status == 413, "HTTP 413", answer.describe())


# -- accounts (wire.md section 7) ---------------------------------------------------------------


async def _code(ctx: Context, **kwargs: Any) -> dict[str, Any]:
    answer = await ctx.accounts_code(**kwargs)
    expect(answer.status == 200, "POST /customer/ -> 200", answer.describe())
    return expect_keys(answer.json, ("code", "customer_id", "customer_key"), "code answer")


async def accounts_flow(ctx: Context) -> None:
    """Code then token: ``{access_token, expires_in, token_type: Bearer}``; login gives the
    same ``customer_id``."""
    code = await _code(ctx)
    answer = await ctx.accounts_token(code["code"])
    expect(answer.status == 200, "POST /customer/token -> 200", answer.describe())
    token = expect_keys(answer.json, ("access_token", "expires_in", "token_type"), "token answer")
    expect(token["token_type"] == "Bearer", "token_type Bearer", token["token_type"])
    expect(
        isinstance(token["expires_in"], int) and token["expires_in"] > 0,
        "expires_in > 0 s",
        token["expires_in"],
    )
    conn = await ctx.open()
    result = await conn.ok("login", {"token": f"Bearer {token['access_token']}"})
    expect(
        result.get("customer_id") == code["customer_id"],
        f"customer_id {code['customer_id']}",
        result,
    )


async def accounts_same_customer(ctx: Context) -> None:
    """``customer_id`` + ``customer_key`` bring the same customer back."""
    first = await ctx.accounts_customer()
    again = await ctx.accounts_customer(first.customer_id, first.customer_key)
    expect(
        again.customer_id == first.customer_id,
        f"customer_id {first.customer_id}",
        again.customer_id,
    )
    _, customer_id = await ctx.login(again)
    expect(customer_id == first.customer_id, "login as the same customer", customer_id)


async def accounts_wrong_key(ctx: Context) -> None:
    """A wrong ``customer_key`` is rejected."""
    first = await ctx.accounts_customer()
    answer = await ctx.accounts_code(customer_id=first.customer_id, customer_key="wrong-key-0000")
    expect(400 <= answer.status < 500, "a 4xx answer", answer.describe())


async def accounts_bad_secret(ctx: Context) -> None:
    """A wrong ``client_secret`` is rejected."""
    code = await _code(ctx)
    answer = await ctx.accounts_token(code["code"], client_secret="wrong-secret-0000")
    expect(400 <= answer.status < 500, "a 4xx answer", answer.describe())


async def accounts_bad_app_token(ctx: Context) -> None:
    """A wrong app access token is rejected."""
    answer = await ctx.accounts_code(app_access_token="wrong-app-token-0000")
    expect(400 <= answer.status < 500, "a 4xx answer", answer.describe())


async def token_expiry(ctx: Context) -> None:
    """An expired token is refused with ``authentication`` (when ``expires_in`` is short
    enough to wait for)."""
    code = await _code(ctx)
    answer = await ctx.accounts_token(code["code"])
    token = expect_keys(answer.json, ("access_token", "expires_in"), "token answer")
    lifetime = token["expires_in"]
    if not isinstance(lifetime, int) or lifetime > ctx.target.max_expiry_wait:
        raise Skipped(f"expires_in {brief(lifetime)} s is longer than --max-expiry-wait")
    await anyio.sleep(lifetime + 1.2)
    conn = await ctx.open()
    message = await conn.request("login", {"token": f"Bearer {token['access_token']}"})
    error = message.get("payload", {}).get("error", {})
    if message.get("success") is not False or error.get("type") != "authentication":
        raise Failed("login with an expired token -> authentication", brief(message))


SCENARIOS = (
    Scenario(
        id="webapi.requires_token",
        spec="wire.md §1, §6",
        title="no Authorization -> 4xx authentication",
        run=requires_token,
    ),
    Scenario(
        id="webapi.bad_token",
        spec="wire.md §6",
        title="unknown bearer token -> 4xx authentication",
        run=bad_token,
    ),
    Scenario(
        id="webapi.start_chat",
        spec="wire.md §4 Web API",
        title="start_chat over HTTP; RTM push without request_id",
        run=web_start_chat,
    ),
    Scenario(
        id="webapi.send_event",
        spec="wire.md §4 Web API",
        title="{thread_id, event}; incoming_event over RTM",
        run=web_send_event,
    ),
    Scenario(
        id="webapi.validation",
        spec="wire.md §4 Web API, §6",
        title="4xx {error: validation} naming chat_id",
        run=web_validation,
    ),
    Scenario(
        id="webapi.authorization",
        spec="wire.md §6",
        title="another customer's chat -> 4xx authorization",
        run=web_authorization,
    ),
    Scenario(
        id="webapi.properties",
        spec="wire.md §4 Web API, §5",
        title="update_chat_properties over HTTP; push over RTM",
        run=web_properties,
    ),
    Scenario(
        id="webapi.send_file",
        spec="wire.md §4 send_file",
        title="multipart upload -> {url}; file event pushed",
        run=send_file,
    ),
    Scenario(
        id="webapi.send_file_too_big",
        spec="wire.md §4 send_file",
        title="10 MiB + 1 byte -> 413",
        run=send_file_too_big,
    ),
    Scenario(
        id="accounts.code_and_token",
        spec="wire.md §7",
        title="code -> token -> login as that customer",
        run=accounts_flow,
    ),
    Scenario(
        id="accounts.same_customer",
        spec="wire.md §7",
        title="customer_id + customer_key -> same customer",
        run=accounts_same_customer,
    ),
    Scenario(
        id="accounts.wrong_customer_key",
        spec="wire.md §7",
        title="wrong customer_key rejected",
        run=accounts_wrong_key,
    ),
    Scenario(
        id="accounts.bad_client_secret",
        spec="wire.md §7",
        title="wrong client_secret rejected",
        run=accounts_bad_secret,
    ),
    Scenario(
        id="accounts.bad_app_token",
        spec="wire.md §7",
        title="wrong app access token rejected",
        run=accounts_bad_app_token,
    ),
    Scenario(
        id="accounts.token_expiry",
        spec="wire.md §6, §7",
        title="expired token -> authentication",
        run=token_expiry,
    ),
)

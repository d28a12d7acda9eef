"""v3 scenarios of the "other" methods: group statuses, forms, URL info, sneak peeks
(``v3.md`` §4, §5, §10)."""

from __future__ import annotations

from .checks import expect, expect_keys
from .context import Context
from .model import scenario
from .v3help import expect_validation, start

__all__ = ["SCENARIOS"]

_STATUSES = ("online", "online_for_queue", "offline")
_UNKNOWN_GROUP = 987654


async def group_statuses_all(ctx: Context) -> None:
    """``list_group_statuses {all: true}`` answers ``{groups_status: {<id>: <status>}}``."""
    conn, _, _ = await ctx.session()
    result = expect_keys(
        await conn.ok("list_group_statuses", {"all": True}), ("groups_status",), "payload"
    )
    statuses = result["groups_status"]
    expect(
        isinstance(statuses, dict) and bool(statuses), "a non-empty groups_status object", statuses
    )
    bad = {k: v for k, v in statuses.items() if v not in _STATUSES}
    expect(not bad, f"statuses among {_STATUSES}", bad)


async def group_statuses_ids(ctx: Context) -> None:
    """``list_group_statuses {group_ids}``: the known groups, an unknown one left out."""
    conn, _, _ = await ctx.session()
    everything = await conn.ok("list_group_statuses", {"all": True})
    known = sorted(str(k) for k in everything.get("groups_status", {}))
    expect(bool(known), "at least one group", everything)
    asked = [int(known[0]), _UNKNOWN_GROUP]
    result = await conn.ok("list_group_statuses", {"group_ids": asked})
    keys = sorted(str(k) for k in result.get("groups_status", {}))
    expect(keys == [known[0]], f"only group {known[0]} (not {_UNKNOWN_GROUP})", result)


async def get_form(ctx: Context) -> None:
    """``get_form {group_id, type}`` answers ``{enabled}``, with the ``form`` ``{fields}``
    when enabled."""
    conn, _, _ = await ctx.session()
    for kind in ("prechat", "postchat"):
        result = expect_keys(
            await conn.ok("get_form", {"group_id": 0, "type": kind}), ("enabled",), kind
        )
        expect(isinstance(result["enabled"], bool), f"{kind}: enabled a boolean", result)
        if result["enabled"]:
            form = expect_keys(result.get("form"), ("fields",), f"{kind} form")
            for field in form["fields"]:
                expect_keys(field, ("type", "label"), f"{kind} form field")


async def get_form_validation(ctx: Context) -> None:
    """``get_form`` with an unknown ``type`` is a ``validation`` error naming ``type``."""
    conn, _, _ = await ctx.session()
    await expect_validation(conn, "get_form", {"group_id": 0, "type": "no-such-form"}, "type")


async def get_url_info(ctx: Context) -> None:
    """``get_url_info {url}`` answers an object describing that URL."""
    conn, _, _ = await ctx.session()
    url = "https://example.com/conformance"
    result = await conn.ok("get_url_info", {"url": url})
    expect(result.get("url") in (url, None), f"url {url} (if given)", result)
    texts = {k: result.get(k, "") for k in ("title", "description")}
    expect(all(isinstance(v, str) for v in texts.values()), "title/description strings", result)


async def get_url_info_validation(ctx: Context) -> None:
    """``get_url_info`` without ``url`` is a ``validation`` error naming ``url``."""
    conn, _, _ = await ctx.session()
    await expect_validation(conn, "get_url_info", {}, "url")


async def sneak_peek(ctx: Context) -> None:
    """``send_sneak_peek {chat_id, sneak_peek_text}`` answers ``{}``; no push to the customer."""
    conn, _, _ = await ctx.session()
    chat_id, _, _ = await start(conn)
    rid = await conn.send("send_sneak_peek", {"chat_id": chat_id, "sneak_peek_text": "typing..."})
    await conn.ok_response(rid, "send_sneak_peek")
    echoed = [
        f.describe()
        for f in await conn.listen()
        if f.message and f.message.get("request_id") == rid
    ]
    expect(not echoed, "nothing else for a sneak peek", echoed)
    await expect_validation(conn, "send_sneak_peek", {"chat_id": chat_id}, "sneak_peek_text")


SCENARIOS = (
    scenario(
        "v3.groups.all",
        "v3.md §5 list_group_statuses",
        "{all: true} -> groups_status",
        group_statuses_all,
    ),
    scenario(
        "v3.groups.ids",
        "v3.md §5 list_group_statuses",
        "group_ids: unknown group left out",
        group_statuses_ids,
    ),
    scenario("v3.form.get", "v3.md §5 get_form", "{enabled, form: {fields}}", get_form),
    scenario(
        "v3.form.validation",
        "v3.md §10, §11",
        "unknown form type -> validation naming type",
        get_form_validation,
    ),
    scenario("v3.url_info.get", "v3.md §5 get_url_info", "an object about the URL", get_url_info),
    scenario(
        "v3.url_info.validation",
        "v3.md §10, §11",
        "no url -> validation naming url",
        get_url_info_validation,
    ),
    scenario(
        "v3.sneak_peek",
        "v3.md §4 set_sneak_peek",
        "{}; no echo; validation naming sneak_peek_text",
        sneak_peek,
    ),
)

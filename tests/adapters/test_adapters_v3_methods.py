"""The methods new in v3 (v3.md section 5) in the three adapters against the reference server.

Grouped in few tests to keep CI short: chats, threads and events; the customer, groups, forms
and greetings; and ``NOT_SUPPORTED`` for every one of them on a v0.3 connection.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import anyio
import pytest
from adapters_helpers import FAST, V3_METHODS, WAIT, Client, make_client
from test_adapters_v3 import v3_client

import adapters.asyncio
import adapters.sync
import adapters.trio
from adapters._surface import Surface, request
from adapters.server import ReferenceServer
from adapters.tokens import AgentTokenGrant
from customer_protocol import (
    AuthenticationError,
    Chat,
    ChatsPage,
    Config,
    Customer,
    FormResult,
    GetChatResult,
    MessageEvent,
    NotSupportedError,
    PredictedAgent,
    RequestTimeoutError,
    ThreadsPage,
    UrlInfo,
    WelcomeMessage,
)
from customer_protocol.server.faults import FaultKind, FaultRule

pytestmark = pytest.mark.anyio


async def test_v3_chats_threads_and_events(adapter: str, server: ReferenceServer) -> None:
    _, client = v3_client(adapter, server)
    wait = client.recorder.wait_for
    async with client:
        chat = await client.start_chat(events=[{"type": "message", "text": "hello"}])
        first = chat.threads[0]

        page = await client.list_chats(limit=1)
        assert isinstance(page, ChatsPage)
        assert ([c.id for c in page.chats], page.total_chats) == ([chat.id], 1)
        got = await client.get_chat(chat.id)
        assert isinstance(got, GetChatResult)
        assert (got.chat.id, got.thread and got.thread.id) == (chat.id, first)
        own = next(e for e in got.thread.events if getattr(e, "text", None) == "hello")

        mark = client.recorder.mark()
        properties = {"shop": {"sku": "A-1"}}
        assert await client.update_event_properties(chat.id, first, own.id, properties) is True
        updated = await wait("event_properties_updated", after=mark)
        assert (updated.event, updated.properties) == (own.id, properties)
        assert await client.delete_event_properties(chat.id, first, own.id, {"shop": ["sku"]})
        deleted = await wait("event_properties_deleted", after=mark)
        assert deleted.properties == {"shop": ("sku",)}
        await client.update_chat_properties(chat.id, {"shop": {"cart": 3}})
        assert await client.delete_chat_properties(chat.id, {"shop": ["cart"]}) is True
        await wait("chat_properties_deleted", lambda e: e.chat == chat.id, after=mark)
        await client.update_chat_thread_properties(chat.id, first, {"shop": {"step": 2}})
        assert await client.delete_thread_properties(chat.id, first, {"shop": ["step"]}) is True
        await wait("thread_properties_deleted", lambda e: e.thread == first, after=mark)

        assert await client.send_rich_message_postback(
            chat.id, first, own.id, postback_id="yes", toggled=True, button_type="message"
        )
        postback = await wait("incoming_rich_message_postback", after=mark)
        assert (postback.event, postback.postback_id, postback.toggled) == (own.id, "yes", True)

        await client.send_rating(chat.id, "good", "fine")
        assert await client.cancel_rate(chat.id) is True
        rated = await client.get_chat(chat.id, first)
        assert rated.thread is not None and "score" not in rated.thread.properties.get("rating", {})

        oops = await client.send_message(chat.id, "oops")
        assert await client.delete_event(chat.id, first, oops.id) is True
        await wait("event_deleted", lambda e: e.event == oops.id, after=mark)

        seen = int(time.time() * 1000)
        assert await client.mark_events_as_seen(chat.id, seen) is True
        await wait("last_seen_timestamp_updated", after=mark)

        assert await client.deactivate_chat(chat.id) is True
        await wait("thread_closed", lambda e: e.chat == chat.id, after=mark)
        resumed = await client.resume_chat(chat.id, events=[{"type": "message", "text": "again"}])
        assert isinstance(resumed, Chat) and resumed.id == chat.id
        second = resumed.threads[-1]
        assert second != first

        newest = await client.list_threads(chat.id, limit=1)
        assert isinstance(newest, ThreadsPage)
        assert [t.id for t in newest.threads] == [second] and newest.next_page_id
        older = await client.list_threads(chat.id, page_id=newest.next_page_id)
        assert [t.id for t in older.threads] == [first]
        ascending = await client.list_threads(chat.id, sort_order="asc", min_events_count=1)
        assert [t.id for t in ascending.threads][:1] == [first]

        url = await client.upload_file(b"receipt", filename="receipt.txt")
        assert url.endswith("receipt.txt")
        sent = await client.send_event(chat.id, {"type": "file", "url": url})
        assert (sent.type, sent.thread) == ("file", second)


async def test_v3_customer_groups_forms_and_greetings(
    adapter: str, server: ReferenceServer
) -> None:
    customer_id, client = v3_client(adapter, server)
    wait = client.recorder.wait_for
    async with client:
        assert await client.set_customer_session_fields({"plan": "gold"}) is True
        customer = await client.get_customer()
        assert isinstance(customer, Customer)
        assert (customer.id, dict(customer.fields)) == (customer_id, {"plan": "gold"})
        assert customer.statistics is not None

        everything = await client.list_group_statuses()
        assert everything and all(isinstance(group, int) for group in everything)
        assert set(await client.list_group_statuses([0])) == {0}
        assert isinstance(
            await client.update_customer_page("https://shop.example/", "Shop"), Mapping
        )
        assert isinstance(await client.get_form(0, "prechat"), FormResult)
        predicted = await client.get_predicted_agent()
        assert isinstance(predicted, PredictedAgent)
        assert predicted.agent.id == server.config.agent.id  # type: ignore[union-attr]
        assert isinstance(await client.get_url_info("https://example.com/"), UrlInfo)

        mark = client.recorder.mark()
        welcome = await client.request_welcome_message(group_id=0)
        assert isinstance(welcome, WelcomeMessage)
        await wait("incoming_welcome_message", after=mark)

        server.apply(server.core.send_greeting(customer_id, "Need help?", time.monotonic()))
        greeting = (await wait("incoming_greeting", after=mark)).greeting
        assert isinstance(greeting.event, MessageEvent) and greeting.event.text == "Need help?"
        assert await client.accept_greeting(greeting.id, greeting.unique_id) is True
        await wait("greeting_accepted", lambda e: e.unique_id == greeting.unique_id, after=mark)

        server.apply(server.core.send_greeting(customer_id, "Still there?", time.monotonic()))
        later = (
            await wait("incoming_greeting", lambda e: e.greeting.id != greeting.id, after=mark)
        ).greeting
        assert await client.send_greeting_button_clicked(later.unique_id, "yes") is True
        assert await client.cancel_greeting(later.unique_id) is True
        await wait("greeting_canceled", lambda e: e.unique_id == later.unique_id, after=mark)


def _dummy_arguments(name: str) -> tuple[list[Any], dict[str, Any]]:
    """Valid-looking arguments for each required parameter of ``name``'s declaration."""
    func = vars(Surface)[name].func
    samples: dict[str, Any] = {
        "file": b"x",
        "fields": {"a": "b"},
        "properties": {"ns": ["a"]},
        "seen_up_to_ms": 1,
        "greeting_id": 1,
        "group_id": 0,
        "type": "prechat",
        "toggled": True,
    }
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in list(inspect.signature(func).parameters.values())[1:]:
        if parameter.default is not inspect.Parameter.empty:
            continue
        value = samples.get(parameter.name, "X1")
        if parameter.kind is parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    return args, kwargs


def test_every_section_5_method_is_declared() -> None:
    declared = {name for name, value in vars(Surface).items() if isinstance(value, request)}
    assert set(V3_METHODS) <= declared


async def test_v3_methods_are_not_supported_on_a_v03_connection(
    adapter: str, server: ReferenceServer
) -> None:
    client: Client = make_client(adapter, server)
    async with client:
        for name in V3_METHODS:
            args, kwargs = _dummy_arguments(name)
            with pytest.raises(NotSupportedError):
                await getattr(client, name)(*args, **kwargs)
        assert client.state == "connected"


async def test_the_agent_token_grant_keeps_the_customer(
    adapter: str, server: ReferenceServer
) -> None:
    grant = AgentTokenGrant.demo(organization_id=server.config.organization_id)
    client = Client(adapter, _v3_connect(adapter, server, grant))
    async with client:
        assert client.customer_id is not None
        assert client.customer_id == grant.entity_id == grant.customer_id
        first = await client.start_chat()
    assert "demo-agent-token" not in repr(grant)
    again = AgentTokenGrant.demo(entity_id=grant.entity_id)  # the organization is optional
    client = Client(adapter, _v3_connect(adapter, server, again))
    async with client:
        assert client.customer_id == grant.entity_id
        page = await client.list_chats()
        assert [c.id for c in page.chats] == [first.id]
    wrong = AgentTokenGrant(agent_token="not-the-agent", client_id="demo-client")
    with pytest.raises(AuthenticationError):
        async with Client(adapter, _v3_connect(adapter, server, wrong)):
            pass


def _v3_connect(kind: str, server: ReferenceServer, token: Any, config: Config = FAST) -> Any:
    module = {"asyncio": adapters.asyncio, "trio": adapters.trio, "sync": adapters.sync}[kind]
    return module.connect(
        api="3.6",
        organization_id=server.config.organization_id,
        token=token,
        url=server.url,
        config=config,
        open_timeout=WAIT,
    )


async def test_v3_guarantees_timeouts_outbox_stray_ids_and_throttle(
    adapter: str, server: ReferenceServer
) -> None:
    """What LiveChat's own SDKs lack, shown end to end in v3.6 (docs/livechat-v3.md)."""
    customer_id, token = server.create_customer()
    config = replace(FAST, request_timeout=1.0, sneak_peek_interval=1.0)
    raw = _v3_connect(adapter, server, token, config=config)
    client = Client(adapter, raw)
    other = Client(adapter, _v3_connect(adapter, server, token))  # the same customer, twice
    async with client, other:
        chat = await client.start_chat()

        # a request with no answer ends with REQUEST_TIMEOUT; the client stays connected
        server.faults.add(FaultRule(kind=FaultKind.DELAY, action="get_customer", delay=1.5))
        with pytest.raises(RequestTimeoutError):
            await client.get_customer()
        assert (await client.get_customer()).id == customer_id

        # 15 calls at once, right after the timeout: never more than 10 in flight, counting
        # the timed-out get_customer the server still holds until its late answer (the server
        # would refuse an 11th), the rest wait in the outbox
        server.faults.add(
            FaultRule(kind=FaultKind.DELAY, action="get_url_info", times=None, delay=0.1)
        )
        results: list[Any] = []

        async def info(n: int) -> None:
            results.append(await client.get_url_info(f"https://example.com/{n}"))

        async with anyio.create_task_group() as tasks:
            for n in range(15):
                tasks.start_soon(info, n)
        server.faults.clear()
        assert len(results) == 15 and all(isinstance(r, UrlInfo) for r in results)

        # a push carrying another connection's request_id is an ordinary push, not a crash
        mark = other.recorder.mark()
        server.faults.add(FaultRule(kind=FaultKind.REQUEST_ID_TO_ALL, action="send_event"))
        await client.send_message(chat.id, "seen twice")
        pushed = await other.recorder.wait_for(
            "new_event", lambda e: getattr(e.event, "text", None) == "seen twice", after=mark
        )
        assert pushed.chat == chat.id and other.state == "connected"

        # sneak peeks: at most one per interval per chat, the newest text last
        for text in ("W", "Wh", "Whe", "Wher", "Where"):
            raw.set_sneak_peek(chat.id, text)
        await anyio.sleep(1.5)
        peeks = [p.text for p in server.core.sneak_peeks if p.chat_id == chat.id]
        assert peeks == ["W", "Where"]

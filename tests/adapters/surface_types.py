"""Checked by mypy --strict in ``test_surface.py`` (never run): the declared surface's types.

Each ``assert_type`` fails if a driver's method loses its result type (becomes ``Any``, or a
coroutine where a value is due); each ``type: ignore`` fails (unused ignore, under --strict)
if a method loses its signature and accepts anything.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, assert_type

from adapters.asyncio import AsyncClient, AsyncHistory
from adapters.asyncio import connect as connect_async
from adapters.sync import Client, History
from adapters.sync import connect as connect_sync
from adapters.trio import connect as connect_trio
from adapters.webapi import WebAPIClient
from customer_protocol import (
    Chat,
    ChatsPage,
    ChatsSummary,
    Customer,
    Event,
    FormResult,
    GetChatResult,
    HistoryBatch,
    Rating,
    Thread,
    ThreadsPage,
    ThreadsSummary,
    WelcomeMessage,
)


async def async_client() -> None:
    client = connect_async(license_id=1, token="t")
    assert_type(client, AsyncClient)
    assert_type(connect_trio(license_id=1, token="t"), AsyncClient)
    pending = assert_type(client.start_chat(), Coroutine[Any, Any, Chat])
    pending.close()
    assert_type(await client.start_chat(), Chat)
    assert_type(await client.send_event("c", {"type": "message"}), Event)
    assert_type(await client.send_message("c", "hi", custom_id="x"), Event)
    assert_type(await client.close_thread("c"), bool)
    assert_type(await client.get_chats_summary(offset=0, limit=5), ChatsSummary)
    assert_type(await client.get_chat_threads("c", ["t"]), tuple[Thread, ...])
    assert_type(await client.get_chat_threads_summary("c", limit=5), ThreadsSummary)
    assert_type(await client.update_customer(name="n"), bool)
    assert_type(await client.update_last_seen_timestamp("c", 5), int)
    assert_type(await client.update_chat_properties("c", {}), bool)
    assert_type(await client.update_chat_thread_properties("c", "t", {}), bool)
    assert_type(await client.update_chat_scopes("c", add_scopes={}), bool)
    assert_type(await client.send_rating("c", "good"), Rating)
    assert_type(await client.send_file("c", b"x", filename="a.txt"), str)
    history = client.get_chat_history("c")
    assert_type(history, AsyncHistory)
    assert_type(await history.next(), HistoryBatch)
    await client.start_chat(1)  # type: ignore[call-arg, arg-type]
    await client.send_rating("c", "meh")  # type: ignore[arg-type]
    await client.send_message("c")  # type: ignore[call-arg]
    # v3.md section 5
    assert_type(await client.list_chats(limit=5), ChatsPage)
    assert_type(await client.list_threads("c", sort_order="asc", page_id="p"), ThreadsPage)
    assert_type(await client.get_chat("c", "t"), GetChatResult)
    assert_type(await client.resume_chat("c", events=[{"type": "message"}]), Chat)
    assert_type(await client.get_customer(), Customer)
    assert_type(await client.list_group_statuses([1]), Mapping[int, str])
    assert_type(await client.get_form(0, "prechat"), FormResult)
    assert_type(await client.upload_file(b"x", filename="a.txt"), str)
    await client.list_threads("c", sort_order="up")  # type: ignore[arg-type]
    await client.get_form(0, "survey")  # type: ignore[arg-type]
    await client.mark_events_as_seen("c")  # type: ignore[call-arg]


def sync_client() -> None:
    client = connect_sync(license_id=1, token="t")
    assert_type(client, Client)
    assert_type(client.start_chat(), Chat)
    assert_type(client.send_message("c", "hi"), Event)
    assert_type(client.get_chats_summary(), ChatsSummary)
    assert_type(client.get_chat_threads("c", ["t"]), tuple[Thread, ...])
    assert_type(client.update_last_seen_timestamp("c"), int)
    assert_type(client.send_rating("c", "bad", "slow"), Rating)
    assert_type(client.send_file("c", b"x"), str)
    history = client.get_chat_history("c")
    assert_type(history, History)
    assert_type(history.next(), HistoryBatch)
    client.close_thread()  # type: ignore[call-arg]
    client.get_chats_summary(offset="0")  # type: ignore[arg-type]
    assert_type(client.deactivate_chat("c"), bool)
    assert_type(client.request_welcome_message(group_id=0), WelcomeMessage)
    assert_type(client.cancel_rate("c"), bool)
    client.delete_event("c", "t")  # type: ignore[call-arg]


def web_client() -> None:
    client = WebAPIClient(license_id=1, token="t", url="http://localhost")
    assert_type(client.start_chat(), Chat)
    assert_type(client.send_message("c", "hi"), Event)
    assert_type(client.send_rating("c", "good"), Rating)
    assert_type(client.send_file("c", b"x"), str)
    client.update_chat_properties("c")  # type: ignore[call-arg]
    v3 = WebAPIClient(api="3.6", organization_id="o", token="t", url="http://localhost")
    assert_type(v3.list_chats(), ChatsPage)
    assert_type(v3.upload_file(b"x"), str)

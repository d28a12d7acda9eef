"""The Web API client in LiveChat v3.6 (``v3.md`` section 1) against the reference server.

``POST /v3.6/customer/action/<action>?organization_id=``, bare payloads, ``{"error": {...}}``
as typed errors, ``upload_file`` as multipart; the seed's methods and those of section 5 are
the core's own, one HTTP exchange per request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from adapters import webapi
from adapters.server import ThreadedServer, run_in_thread
from adapters.tokens import AgentTokenGrant
from adapters.webapi import NotSupportedError, WebAPIClient
from customer_protocol import (
    AuthenticationError,
    CancelledError,
    Chat,
    ChatsPage,
    ChatsSummary,
    ConnectionLostError,
    Customer,
    GetChatResult,
    MessageEvent,
    RequestFailedError,
    ThreadsPage,
    errors,
)


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    with run_in_thread() as running:
        yield running


def web_client(server: ThreadedServer, token: Any = None, **options: Any) -> WebAPIClient:
    if token is None:
        token = server.create_customer()[1]
    return WebAPIClient(
        api="3.6",
        organization_id=server.core.config.organization_id,
        token=token,
        url=server.url,
        timeout=10,
        **options,
    )


@pytest.fixture
def client(server: ThreadedServer) -> WebAPIClient:
    return web_client(server)


def test_the_seed_methods_over_v3_web_actions(server: ThreadedServer, client: WebAPIClient) -> None:
    chat = client.start_chat(
        events=[{"type": "message", "text": "first"}], properties={"ns": {"k": "v"}}
    )
    assert isinstance(chat, Chat) and len(chat.threads) == 1
    first = chat.threads[0]
    event = client.send_message(chat.id, "over plain HTTP", custom_id="mine-1")
    assert isinstance(event, MessageEvent)
    assert (event.text, event.custom_id, event.id) == ("over plain HTTP", "mine-1", event.id)
    assert client.update_chat_properties(chat.id, {"ns": {"k": 1}}) is True
    assert client.update_chat_thread_properties(chat.id, first, {"ns": {"t": 2}}) is True
    assert client.update_customer(name="Web", fields={"plan": "pro"}) is True
    client.set_sneak_peek(chat.id, "typing over v3 http")
    assert "typing over v3 http" in [peek.text for peek in server.core.sneak_peeks]
    rating = client.send_rating(chat.id, "good", "fine")
    assert (rating.thread, rating.value) == (first, "good")
    summary = client.get_chats_summary()
    assert isinstance(summary, ChatsSummary) and [c.id for c in summary.chats_summary] == [chat.id]
    assert [t.id for t in client.get_chat_threads(chat.id, [first])] == [first]
    assert client.get_chat_threads_summary(chat.id).threads_summary[0].id == first
    assert client.update_last_seen_timestamp(chat.id, 1_700_000_000_000) == 1_700_000_000_000
    assert client.close_thread(chat.id) is True
    # a message to the closed chat opens a new thread (resume_chat), as over RTM
    again = client.send_message(chat.id, "back again")
    assert again.thread not in (None, first)
    url = client.send_file(chat.id, b"file body", filename="a.txt")
    assert url.endswith("a.txt")
    with pytest.raises(errors.NotSupportedError):
        client.update_chat_scopes(chat.id, add_scopes={"groups": [1]})


def test_the_v3_methods_over_web_actions(server: ThreadedServer) -> None:
    customer_id, token = server.create_customer()
    client = web_client(server, token)
    chat = client.start_chat(events=[{"type": "message", "text": "hello"}])
    first = chat.threads[0]
    page = client.list_chats(limit=5)
    assert isinstance(page, ChatsPage) and [c.id for c in page.chats] == [chat.id]
    got = client.get_chat(chat.id, first)
    assert isinstance(got, GetChatResult) and got.thread is not None
    own = next(e for e in got.thread.events if getattr(e, "text", None) == "hello")
    assert client.update_event_properties(chat.id, first, own.id, {"ns": {"a": 1}}) is True
    assert client.delete_event_properties(chat.id, first, own.id, {"ns": ["a"]}) is True
    assert client.delete_chat_properties(chat.id, {"ns": ["x"]}) is True
    assert client.delete_thread_properties(chat.id, first, {"ns": ["x"]}) is True
    assert client.send_rich_message_postback(chat.id, first, own.id, postback_id="p", toggled=False)
    client.send_rating(chat.id, "bad")
    assert client.cancel_rate(chat.id) is True
    assert client.mark_events_as_seen(chat.id, int(time.time() * 1000)) is True
    assert client.delete_event(chat.id, first, own.id) is True
    assert client.deactivate_chat(chat.id) is True
    resumed = client.resume_chat(chat.id, events=[{"type": "message", "text": "again"}])
    assert resumed.id == chat.id and resumed.threads[-1] != first
    threads = client.list_threads(chat.id, limit=1)
    assert isinstance(threads, ThreadsPage) and threads.next_page_id
    assert [t.id for t in client.list_threads(chat.id, page_id=threads.next_page_id).threads] == [
        first
    ]

    assert client.set_customer_session_fields({"plan": "gold"}) is True
    customer = client.get_customer()
    assert isinstance(customer, Customer) and customer.id == customer_id
    assert customer.fields == {"plan": "gold"}
    assert client.list_group_statuses() and set(client.list_group_statuses([0])) == {0}
    assert client.get_form(0, "postchat").enabled in (True, False)
    assert client.get_predicted_agent().agent.id
    assert client.get_url_info("https://example.com/").url is not None
    assert client.request_welcome_message().id

    server.call(server.core.send_greeting, customer_id, "Hi", time.monotonic())
    greeting_id, unique_id = _last_greeting(server, customer_id)
    assert client.send_greeting_button_clicked(unique_id, "b") is True
    assert client.accept_greeting(greeting_id, unique_id) is True
    server.call(server.core.send_greeting, customer_id, "Hi again", time.monotonic())
    assert client.cancel_greeting(_last_greeting(server, customer_id)[1]) is True

    url = client.upload_file(b"plain upload", filename="u.txt")
    assert url.endswith("u.txt")
    assert client.send_event(chat.id, {"type": "file", "url": url}).type == "file"


def _last_greeting(server: ThreadedServer, customer_id: str) -> tuple[int, str]:
    """The newest greeting the server made for ``customer_id`` (a Web client gets no push)."""
    mine = [g for g in server.core.v3.greetings.values() if g["customer_id"] == customer_id]
    return mine[-1]["id"], mine[-1]["unique_id"]


def test_v3_web_errors_are_typed(server: ThreadedServer, client: WebAPIClient) -> None:
    with pytest.raises(RequestFailedError) as info:
        client.send_message("CH-does-not-exist", "hi")
    assert info.value.type == "not_found"
    with pytest.raises(RequestFailedError) as greeting:
        client.accept_greeting(1, "no-such-greeting")
    assert greeting.value.type == "greeting_not_found"
    bad = web_client(server, token="nope")
    with pytest.raises(AuthenticationError) as auth:
        bad.get_customer()
    assert "nope" not in str(auth.value)
    offline = WebAPIClient(api="3.6", organization_id="o", token="t", url="http://127.0.0.1:9")
    with pytest.raises(ConnectionLostError):  # every call ends, with a typed error
        offline.get_customer()


def test_v3_web_upload_progress_and_cancel(client: WebAPIClient) -> None:
    seen: list[tuple[int, int]] = []
    url = client.upload_file(
        b"x" * 200_000, filename="big.bin", on_progress=lambda s, t: seen.append((s, t))
    )
    assert url.endswith("big.bin") and seen[-1][0] == seen[-1][1]
    with pytest.raises(CancelledError):
        client.upload_file(b"y" * 200_000, on_progress=lambda s, t: False)


@pytest.mark.parametrize("method", ["update_customer_page", "get_chat_history", "on", "events"])
def test_rtm_only_methods_fail_at_once_in_v3(client: WebAPIClient, method: str) -> None:
    with pytest.raises(NotSupportedError, match="needs the RTM"):
        getattr(client, method)("https://example.com/")


def test_the_v3_web_client_posts_to_the_v3_paths(
    server: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets: list[str] = []
    build = webapi.build_web_api_request

    def spy(**kwargs: Any) -> Any:
        request = build(**kwargs)
        targets.append(request.target)
        return request

    monkeypatch.setattr(webapi, "build_web_api_request", spy)
    client = web_client(server)
    chat = client.start_chat()
    client.close_thread(chat.id)
    org = server.core.config.organization_id
    assert targets == [
        f"/v3.6/customer/action/start_chat?organization_id={org}",
        f"/v3.6/customer/action/deactivate_chat?organization_id={org}",
    ]


def test_the_agent_token_grant_over_the_web_api(server: ThreadedServer) -> None:
    grant = AgentTokenGrant.demo()
    client = web_client(server, token=grant)
    customer = client.get_customer()
    assert grant.entity_id is not None and customer.id == grant.entity_id
    same = web_client(server, token=AgentTokenGrant.demo(entity_id=grant.entity_id))
    assert same.get_customer().id == customer.id

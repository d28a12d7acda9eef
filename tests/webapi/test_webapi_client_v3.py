"""The Web API client in LiveChat v3.6 against the reference server (v3.md sections 1, 4, 5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.server import ThreadedServer, run_in_thread
from adapters.webapi import NotSupportedError, WebAPIClient
from customer_protocol import Chat, MessageEvent
from customer_protocol.server import ServerConfig


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    with run_in_thread(config=ServerConfig(agent=None)) as running:
        yield running


def client_for(server: ThreadedServer) -> WebAPIClient:
    _, token = server.create_customer()
    return WebAPIClient(
        api="3.6",
        organization_id=server.server.config.organization_id,
        token=token,
        url=server.http_url,
    )


def test_the_seed_methods_over_the_v3_web_api(server: ThreadedServer) -> None:
    with client_for(server) as client:
        chat = client.start_chat(events=[{"type": "message", "text": "first"}])
        assert isinstance(chat, Chat) and len(chat.threads) == 1
        event = client.send_message(chat.id, "second", custom_id="w1")
        assert isinstance(event, MessageEvent)
        assert (event.text, event.custom_id) == ("second", "w1")
        assert client.update_chat_properties(chat.id, {"ns": {"k": 1}}) is True
        assert client.update_chat_thread_properties(chat.id, chat.threads[0], {"ns": {"k": 2}})
        assert client.update_customer(name="Ann", fields={"plan": "pro"}) is True
        rating = client.send_rating(chat.id, "good", "thanks")
        assert rating.thread == chat.threads[0]
        assert client.close_thread(chat.id) is True
        again = client.send_message(chat.id, "back")  # resume_chat: a new thread
        assert again.thread not in (None, chat.threads[0])
        url = client.send_file(chat.id, b"web file", filename="w.txt")
        assert url.endswith("w.txt")
        with pytest.raises(NotSupportedError):
            client.update_chat_scopes(chat.id)


def test_the_v3_methods_over_the_web_api(server: ThreadedServer) -> None:
    with client_for(server) as client:
        chat = client.start_chat()
        page = client.list_chats()
        assert [c.id for c in page.chats] == [chat.id]
        threads = client.list_threads(chat.id)
        assert [t.id for t in threads.threads] == list(chat.threads)
        assert client.get_chat(chat.id).chat.id == chat.id
        assert client.get_customer().id
        assert client.deactivate_chat(chat.id) is True
        resumed = client.resume_chat(chat.id, events=[{"type": "message", "text": "x"}])
        assert resumed.id == chat.id
        client.send_rating(chat.id, "bad")
        assert client.cancel_rate(chat.id) is True

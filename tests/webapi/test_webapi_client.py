"""The Web-API-only client: the SDK's Web API actions over HTTP with no WebSocket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.server import ThreadedServer, run_in_thread
from adapters.tokens import AccountsFlow
from adapters.webapi import NotSupportedError, WebAPIClient
from customer_protocol import (
    AuthenticationError,
    CancelledError,
    Chat,
    InvalidArgumentsError,
    MessageEvent,
    RequestFailedError,
)


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    with run_in_thread() as running:
        yield running


@pytest.fixture
def client(server: ThreadedServer) -> WebAPIClient:
    return WebAPIClient(license_id=1, token=AccountsFlow.demo(), url=server.url, timeout=10)


def test_every_web_api_action_round_trips(server: ThreadedServer, client: WebAPIClient) -> None:
    chat = client.start_chat(properties={"ns": {"source": "test"}})
    assert isinstance(chat, Chat) and chat.threads
    event = client.send_message(chat.id, "over plain HTTP", custom_id="mine-1")
    assert isinstance(event, MessageEvent)
    assert (event.text, event.custom_id, event.thread) == (
        "over plain HTTP",
        "mine-1",
        chat.threads[0],
    )
    assert client.update_chat_properties(chat.id, {"ns": {"k": 1}}) is True
    assert client.update_chat_thread_properties(chat.id, chat.threads[0], {"ns": {"t": 2}}) is True
    assert client.update_chat_scopes(chat.id, add_scopes={"groups": [1]}) is True
    assert client.update_customer(name="Web", fields={"plan": "pro"}) is True
    client.set_sneak_peek(chat.id, "typing over http")
    assert "typing over http" in [peek.text for peek in server.core.sneak_peeks]
    rating = client.send_rating(chat.id, "good", "fine")
    assert (rating.thread, rating.value) == (chat.threads[0], "good")
    assert client.close_thread(chat.id) is True


def test_send_file_reports_progress_and_can_be_cancelled(client: WebAPIClient) -> None:
    chat = client.start_chat()
    seen: list[tuple[int, int]] = []
    url = client.send_file(
        chat.id, b"x" * 200_000, filename="big.bin", on_progress=lambda s, t: seen.append((s, t))
    )
    assert url.endswith("/big.bin")
    assert seen and seen[-1][0] == seen[-1][1]
    with pytest.raises(CancelledError):
        client.send_file(chat.id, b"y" * 200_000, on_progress=lambda s, t: False)


def test_file_over_ten_mib_fails_before_sending(client: WebAPIClient) -> None:
    with pytest.raises(
        InvalidArgumentsError, match=r"The file is too big \(max size is 10.00 MB\)."
    ):
        client.send_file("CH1", b"z" * (10 * 1024 * 1024 + 1))


@pytest.mark.parametrize(
    "method",
    [
        "get_chats_summary",
        "get_chat_threads",
        "get_chat_threads_summary",
        "get_chat_history",
        "update_last_seen_timestamp",
        "on",
        "off",
        "events",
    ],
)
def test_rtm_only_methods_fail_at_once_with_a_clear_error(
    client: WebAPIClient, method: str
) -> None:
    with pytest.raises(NotSupportedError, match="needs the RTM"):
        getattr(client, method)("CH1")


def test_rating_an_unseen_chat_needs_rtm(client: WebAPIClient) -> None:
    with pytest.raises(NotSupportedError):
        client.send_rating("CH-unknown", "bad")


def test_server_errors_are_typed(client: WebAPIClient) -> None:
    with pytest.raises(RequestFailedError) as info:
        client.send_message("CH-does-not-exist", "hi")
    assert info.value.type == "validation"


def test_a_rejected_token_is_replaced_once(server: ThreadedServer) -> None:
    _, good = server.create_customer()
    handed: list[bool] = []

    def provider(fresh: bool) -> str:
        handed.append(fresh)
        return good if fresh else "not-a-valid-token"

    client = WebAPIClient(license_id=1, token=provider, url=server.http_url, timeout=10)
    assert isinstance(client.start_chat(), Chat)
    assert handed == [False, True]
    always_bad = WebAPIClient(license_id=1, token="nope", url=server.http_url, timeout=10)
    with pytest.raises(AuthenticationError) as info:
        always_bad.start_chat()
    assert "nope" not in str(info.value)

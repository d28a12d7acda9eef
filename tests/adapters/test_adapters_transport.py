"""The WebSocket transport the adapters pick: ``Config.websocket`` and what ``"auto"`` means."""

from __future__ import annotations

import dataclasses

import anyio
import pytest
from adapters_helpers import FAST, make_client

from adapters import _transport
from adapters.server import ReferenceServer
from customer_protocol import AuthenticationError, Config, InvalidArgumentsError
from transports.websocket import WebSocketClient
from transports.websocket_fast import FastWebSocketClient

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("wsproto", WebSocketClient), ("websockets", FastWebSocketClient)],
)
async def test_config_forces_the_transport(
    adapter: str, server: ReferenceServer, choice: str, expected: type
) -> None:
    config = dataclasses.replace(FAST, websocket=choice)
    async with make_client(adapter, server, config=config) as client:
        assert type(client.raw._link.transport) is expected
        chat = await client.start_chat()
        event = await client.send_message(chat.id, "over " + choice)
        assert event.text == "over " + choice


def test_auto_picks_wsproto_even_with_websockets_installed(
    websocket_transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _transport.FAST is FastWebSocketClient  # the test extras install websockets
    assert _transport.websocket_client_class("auto").__name__ == websocket_transport
    monkeypatch.undo()  # this run's forced choice (conftest), if any
    assert _transport.AUTO is WebSocketClient
    assert _transport.websocket_client_class("wsproto") is WebSocketClient
    assert _transport.websocket_client_class("websockets") is FastWebSocketClient
    assert Config().websocket == "auto"


async def test_a_token_given_as_an_unusable_value_fails_entering(
    adapter: str, server: ReferenceServer
) -> None:
    # The sync client gives a token that is a value (not a provider) without a worker thread;
    # an unusable one must still end in the same error as with every other adapter.
    client = make_client(adapter, server, token={"not": "a token"})
    with anyio.fail_after(10), pytest.raises(AuthenticationError):
        async with client:
            pytest.fail("entered without a usable token")
    assert [e.reason for e in client.recorder.named("disconnected")] == ["authentication"]


def test_forcing_websockets_without_the_package_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_transport, "FAST", None)  # as in the plain install
    with pytest.raises(InvalidArgumentsError, match=r"customer-protocol\[websockets\]"):
        _transport.websocket_client_class("websockets")
    assert _transport.websocket_client_class("wsproto") is WebSocketClient

"""The WebSocket transport the adapters pick: ``Config.websocket`` and what ``"auto"`` means."""

from __future__ import annotations

import dataclasses

import pytest
from adapters_helpers import FAST, make_client

from adapters import _transport
from adapters.server import ReferenceServer
from customer_protocol import Config
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


def test_auto_prefers_websockets_when_installed(websocket_transport: str) -> None:
    assert _transport.FAST is FastWebSocketClient  # the test extras install websockets
    assert _transport.websocket_client_class("auto").__name__ == websocket_transport
    assert _transport.websocket_client_class("wsproto") is WebSocketClient
    assert _transport.websocket_client_class("websockets") is FastWebSocketClient
    assert Config().websocket == "auto"

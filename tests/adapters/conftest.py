"""Fixtures of the adapter end-to-end tests: every test runs for asyncio, trio and sync.

``adapter`` names the client under test; the anyio backend follows it (the blocking client is
driven from worker threads of an asyncio test, next to the in-process reference server).

The clients use the WebSocket transport ``Config.websocket="auto"`` picks: wsproto's.
``CUSTOMER_PROTOCOL_TEST_WEBSOCKET=websockets`` makes ``"auto"`` pick the one on websockets'
protocol instead (installed by the test extras); ``scripts/test`` runs this directory a second
time so.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from adapters_helpers import ADAPTERS, FAST_SERVER

from adapters import _transport
from adapters.server import ReferenceServer, serve

_FORCED = os.environ.get("CUSTOMER_PROTOCOL_TEST_WEBSOCKET")


@pytest.fixture(autouse=True)
def websocket_transport(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The transport ``"auto"`` resolves to in this run (see the module docstring)."""
    if _FORCED is not None:
        monkeypatch.setattr(_transport, "AUTO", _transport.websocket_client_class(_FORCED))
    yield _transport.AUTO.__name__


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    """``asyncio``, ``trio`` or ``sync``: the client the test drives."""
    return str(request.param)


@pytest.fixture
def anyio_backend(adapter: str) -> str:
    """The event loop of the test: trio for the trio client, asyncio otherwise."""
    return "trio" if adapter == "trio" else "asyncio"


@pytest.fixture
async def server() -> AsyncIterator[ReferenceServer]:
    """A reference server on a free loopback port with a quick simulated agent."""
    async with serve(config=FAST_SERVER) as running:
        yield running

"""Fixtures of the adapter end-to-end tests: every test runs for asyncio, trio and sync.

``adapter`` names the client under test; the anyio backend follows it (the blocking client is
driven from worker threads of an asyncio test, next to the in-process reference server).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from adapters_helpers import ADAPTERS, FAST_SERVER

from adapters.server import ReferenceServer, serve


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

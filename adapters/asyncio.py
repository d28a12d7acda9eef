"""The asyncio entry point: ``from adapters.asyncio import connect``.

The client is the same anyio implementation as ``adapters.trio`` (see ``adapters._async``)::

    from adapters.asyncio import connect

    async def main() -> None:
        async with connect(license_id=1, token="...", url="ws://127.0.0.1:8080") as client:
            chat = await client.start_chat()
            await client.send_message(chat.id, "Hello")

    asyncio.run(main())
"""

from __future__ import annotations

from ._async import AsyncClient, AsyncHistory, connect
from .tokens import AccountsFlow

__all__ = ["AccountsFlow", "AsyncClient", "AsyncHistory", "connect"]

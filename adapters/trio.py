"""The trio entry point: ``from adapters.trio import connect``.

The client is the same anyio implementation as ``adapters.asyncio`` (see ``adapters._async``)::

    import trio
    from adapters.trio import connect

    async def main() -> None:
        async with connect(license_id=1, token="...", url="ws://127.0.0.1:8080") as client:
            chat = await client.start_chat()
            await client.send_message(chat.id, "Hello")

    trio.run(main)
"""

from __future__ import annotations

from ._async import AsyncClient, AsyncHistory, connect
from .tokens import AccountsFlow

__all__ = ["AccountsFlow", "AsyncClient", "AsyncHistory", "connect"]

"""A short conversation with the simulated agent, on trio.

    python examples/trio_chat.py                       # starts a reference server in-process
    python examples/trio_chat.py ws://127.0.0.1:8080   # or talks to `customer-protocol serve`

The same conversation as ``asyncio_chat.py``: the client is the same anyio code, only the
entry point (``adapters.trio``) and the way the example waits for events differ. Listeners
feed a trio memory channel; ``trio.fail_after`` bounds every wait.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import TypeVar

import trio

from adapters import server as reference
from adapters.trio import AccountsFlow, AsyncClient, connect
from customer_protocol import (
    Agent,
    MessageEvent,
    NewEvent,
    SDKEvent,
    ThreadClosed,
    UserData,
    UserIsTyping,
)
from customer_protocol.server import AgentConfig, ServerConfig

T = TypeVar("T")

QUICK_AGENT = AgentConfig(join_delay=0.1, typing_delay=0.1, reply_delay=0.3)
"""The in-process server's agent answers quickly, so the example runs in about a second."""


@contextlib.asynccontextmanager
async def api_url(url: str | None) -> AsyncIterator[str]:
    """``url`` itself, or the URL of a reference server running for the duration of the block."""
    if url is not None:
        yield url
        return
    async with reference.serve(port=0, config=ServerConfig(agent=QUICK_AGENT)) as server:
        yield server.url


async def next_of(events: trio.MemoryReceiveChannel[SDKEvent], kind: type[T], timeout: float) -> T:
    """Wait for the next event of class ``kind`` (others are skipped)."""
    with trio.fail_after(timeout):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise trio.EndOfChannel


async def agent_says(
    events: trio.MemoryReceiveChannel[SDKEvent], me: str | None, timeout: float
) -> str:
    """Wait for the next message written by someone else; return its text."""
    while True:
        event = await next_of(events, NewEvent, timeout)
        if isinstance(event.event, MessageEvent) and event.event.author != me:
            return event.event.text


def show(names: dict[str, str], me: str | None, event: SDKEvent) -> None:
    """A listener: print what happens in the chat."""
    if isinstance(event, UserData) and isinstance(event.user, Agent) and event.user.name:
        names[event.user.id] = event.user.name
    elif isinstance(event, UserIsTyping):
        print(f"  ({names.get(event.user, event.user)} is typing...)")
    elif isinstance(event, NewEvent) and isinstance(event.event, MessageEvent):
        author = event.event.author or "system"
        print(f"{'you' if author == me else names.get(author, author)}: {event.event.text}")
    elif isinstance(event, ThreadClosed):
        print("  (the thread was closed)")


async def converse(
    client: AsyncClient, events: trio.MemoryReceiveChannel[SDKEvent], timeout: float
) -> None:
    """The conversation itself: everything a customer does, in order."""
    me = client.customer_id
    chat = await client.start_chat()
    print(f"  (chat {chat.id} started as customer {me})")

    print("you: Hello! Is anybody there?")
    await client.send_message(chat.id, "Hello! Is anybody there?")
    await agent_says(events, me, timeout)

    rating = await client.send_rating(chat.id, "good", "Quick answer, thanks")
    print(f"  (rated thread {rating.thread} {rating.value!r})")

    print("you: Thanks, bye!")
    await client.send_message(chat.id, "Thanks, bye!")
    await next_of(events, ThreadClosed, timeout)

    total = 0
    async for batch in client.get_chat_history(chat.id):  # newest batch first
        total += len(batch)
    print(f"  (the history holds {total} events)")


async def main(url: str | None, license_id: int, timeout: float) -> int:
    async with api_url(url) as base:
        send, receive = trio.open_memory_channel[SDKEvent](1000)
        names: dict[str, str] = {}
        # connect() returns before connecting, so listeners see every event from the first one.
        client = connect(license_id=license_id, token=AccountsFlow.demo(), url=base)
        client.on("*", lambda event: show(names, client.customer_id, event))
        client.on("*", send.send_nowait)
        async with client:  # connects; leaving the block destroys the client
            try:
                await converse(client, receive, timeout)
            except trio.TooSlowError:
                print(f"no answer within {timeout} s: is the agent simulator on?", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="API base URL (default: an in-process server)")
    parser.add_argument("--license-id", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait per answer")
    args = parser.parse_args()
    sys.exit(trio.run(main, args.url, args.license_id, args.timeout))

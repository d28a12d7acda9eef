"""A short conversation with the simulated agent, with the blocking client.

    python examples/sync_chat.py                       # starts a reference server in a thread
    python examples/sync_chat.py ws://127.0.0.1:8080   # or talks to `customer-protocol serve`

The same conversation as ``asyncio_chat.py`` with plain blocking calls. Listeners run on the
client's event thread, so they hand events to the main thread through a ``queue.Queue``.
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import sys
import time
from collections.abc import Iterator
from typing import TypeVar

from adapters import server as reference
from adapters.sync import AccountsFlow, Client, connect
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


@contextlib.contextmanager
def api_url(url: str | None) -> Iterator[str]:
    """``url`` itself, or the URL of a reference server running in a background thread."""
    if url is not None:
        yield url
        return
    with reference.run_in_thread(port=0, config=ServerConfig(agent=QUICK_AGENT)) as server:
        yield server.url


def next_of(events: queue.Queue[SDKEvent], kind: type[T], timeout: float) -> T:
    """Wait for the next event of class ``kind`` (others are skipped); ``TimeoutError``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            event = events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError from None
        if isinstance(event, kind):
            return event


def agent_says(events: queue.Queue[SDKEvent], me: str | None, timeout: float) -> str:
    """Wait for the next message written by someone else; return its text."""
    while True:
        event = next_of(events, NewEvent, timeout)
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


def converse(client: Client, events: queue.Queue[SDKEvent], timeout: float) -> None:
    """The conversation itself: everything a customer does, in order."""
    me = client.customer_id
    chat = client.start_chat()
    print(f"  (chat {chat.id} started as customer {me})")

    print("you: Hello! Is anybody there?")
    client.send_message(chat.id, "Hello! Is anybody there?")
    agent_says(events, me, timeout)

    rating = client.send_rating(chat.id, "good", "Quick answer, thanks")
    print(f"  (rated thread {rating.thread} {rating.value!r})")

    print("you: Thanks, bye!")
    client.send_message(chat.id, "Thanks, bye!")
    next_of(events, ThreadClosed, timeout)

    total = sum(len(batch) for batch in client.get_chat_history(chat.id))  # newest batch first
    print(f"  (the history holds {total} events)")


def main(url: str | None, license_id: int, timeout: float) -> int:
    with api_url(url) as base:
        events: queue.Queue[SDKEvent] = queue.Queue()
        names: dict[str, str] = {}
        # connect() returns before connecting, so listeners see every event from the first one.
        client = connect(license_id=license_id, token=AccountsFlow.demo(), url=base)
        client.on("*", lambda event: show(names, client.customer_id, event))
        client.on("*", events.put)
        with client:  # connects; leaving the block destroys the client
            try:
                converse(client, events, timeout)
            except TimeoutError:
                print(f"no answer within {timeout} s: is the agent simulator on?", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="API base URL (default: an in-process server)")
    parser.add_argument("--license-id", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait per answer")
    args = parser.parse_args()
    sys.exit(main(args.url, args.license_id, args.timeout))

"""The ``customer-protocol`` command: ``demo`` (the main job), ``serve`` and ``chat``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

import anyio

from customer_protocol import Config, MessageEvent
from customer_protocol.events import (
    ConnectionLost,
    ConnectionRestored,
    Disconnected,
    NewEvent,
    SDKEvent,
    ThreadClosed,
    UserData,
    UserIsTyping,
    UserJoinedChat,
    UserLeftChat,
)
from customer_protocol.server.config import AgentConfig, ServerConfig
from customer_protocol.server.faults import FaultKind, FaultRule

from . import serve_cli
from . import server as reference
from ._common import APIS
from .conformance import add_conformance_arguments, run_conformance
from .tokens import AccountsFlow, AgentTokenGrant

__all__ = ["main"]

DEMO_AGENT = AgentConfig(join_delay=0.2, typing_delay=0.2, reply_delay=0.6)
DEMO_CONFIG = Config(backoff_base=0.2, backoff_cap=1.0, history_batch_events=2)
_DROP_DEMO = (
    (
        FaultKind.DROP_BEFORE_STORE,
        "BEFORE",
        "Is it shipped yet?",
        "delivered after the reconnect (not found by custom_id, so resent)",
    ),
    (
        FaultKind.DROP_AFTER_STORE,
        "AFTER",
        "Thanks for checking.",
        "confirmed after the reconnect (found by custom_id, so not resent)",
    ),
)
"""The forced reconnects of the demo: the fault, when it drops, the message, what happens."""
"""Quick reconnects, and small history batches so the demo shows paging."""


class Transcript:
    """Prints what happens, with the time since the start."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.start = time.monotonic()
        self.customer_id: str | None = None
        self.names: dict[str, str] = {}

    def say(self, text: str) -> None:
        """Print one line of the transcript."""
        print(f"[{time.monotonic() - self.start:6.2f}s] {text}", file=self.out, flush=True)

    def heading(self, text: str) -> None:
        """Print a section heading."""
        print(f"\n== {text}", file=self.out, flush=True)

    def who(self, user: str | None) -> str:
        """``you`` or the user's name."""
        if user is not None and user == self.customer_id:
            return "you"
        return self.names.get(user or "", user or "system")

    def event(self, event: SDKEvent) -> None:
        """Describe an SDK event (the listener of the demo and of ``chat``)."""
        if isinstance(event, UserData) and getattr(event.user, "name", None):
            self.names[event.user.id] = getattr(event.user, "name", "")
        elif isinstance(event, NewEvent):
            item = event.event
            text = getattr(item, "text", None) or f"<{item.type}>"
            self.say(f"{self.who(item.author)}: {text}")
        elif isinstance(event, UserIsTyping):
            self.say(f"{self.who(event.user)} is typing...")
        elif isinstance(event, UserJoinedChat | UserLeftChat):
            self.say(f"{self.who(event.user)} {event.name.split('_')[1]} the chat")
        elif isinstance(event, Disconnected):
            self.say(f"* disconnected ({event.reason})")
        elif isinstance(event, ThreadClosed | ConnectionLost | ConnectionRestored):
            self.say(f"* {event.name.replace('_', ' ')}")


def _account(api: str, config: ServerConfig, accounts_url: str | None) -> dict[str, Any]:
    """``connect()``'s account and token arguments for ``api`` on the reference server."""
    if api == "0.3":
        return {"license_id": config.license_id, "token": AccountsFlow.demo(accounts_url)}
    grant = AgentTokenGrant(
        agent_token=config.agent_token,
        client_id=config.client_id,
        organization_id=config.organization_id,
        accounts_url=accounts_url,
    )
    return {"api": api, "organization_id": config.organization_id, "token": grant}


async def run_demo(out: TextIO, api: str = "0.3") -> int:
    """The whole conversation against an in-process reference server; 0 on success."""
    from .asyncio import connect  # noqa: PLC0415 - keeps `serve` and `chat` import-light

    log = Transcript(out)
    server_config = ServerConfig(agent=DEMO_AGENT)
    v3 = api != "0.3"
    async with reference.serve(config=server_config) as server:
        account = _account(api, server.config, server.http_url)
        where = "license 1" if api == "0.3" else f"LiveChat v{api}"
        log.heading(f"Reference server on {server.url} ({where}, simulated agent on)")
        client = connect(url=server.url, config=DEMO_CONFIG, **account)
        client.on("*", log.event)
        with anyio.fail_after(60):
            async with client:
                log.customer_id = client.customer_id
                source = "/customer/token" if api == "0.3" else "/v2/customer/token"
                log.say(f"* logged in as customer {client.customer_id} (token from {source})")
                chat = await client.start_chat()
                log.say(f"* you started chat {chat.id} (thread {chat.threads[0]})")
                for text in ("Hello! I have a question about my order.", "It is order #1234."):
                    log.say(f"you: {text}")
                    await client.send_message(chat.id, text)
                    await anyio.sleep(0.8)

                log.heading("Sneak peek: the agent sees what you type before you send it")
                for partial in ("Where", "Where is my", "Where is my parcel"):
                    client.set_sneak_peek(chat.id, partial)
                    await anyio.sleep(0.3)
                await anyio.sleep(2.2)
                seen = [peek.text for peek in server.core.sneak_peeks]
                log.say(f"* the agent saw these sneak peeks: {seen}")
                log.say("you: Where is my parcel?")
                await client.send_message(chat.id, "Where is my parcel?")
                await anyio.sleep(0.8)

                log.heading("Forced reconnects: every message is delivered exactly once")
                for kind, when, text, outcome in _DROP_DEMO:
                    server.faults.add(FaultRule(kind=kind, action="send_event"))
                    log.say(
                        f"* the server will drop the connection {when} storing the next message"
                    )
                    log.say(f"you: {text}")
                    await client.send_message(chat.id, text)
                    log.say(f"* {outcome}")
                    await anyio.sleep(0.8)

                log.heading("Rating and goodbye")
                rating = await client.send_rating(chat.id, "good", "Quick and friendly!")
                log.say(f"* you rated thread {rating.thread}: {rating.value} ({rating.comment})")
                log.say("you: Thanks, bye!")
                await client.send_message(chat.id, "Thanks, bye!")
                await anyio.sleep(1.2)
                log.say("you: Oh, one more thing: do you ship abroad?")
                event = await client.send_message(
                    chat.id, "Oh, one more thing: do you ship abroad?"
                )
                log.say(f"* that message opened a new thread, {event.thread}")
                await anyio.sleep(1.0)
                if v3:
                    await _v3_extras(client, chat.id, log)

                log.heading("History, read back in batches (newest first)")
                counts: dict[str, int] = {}
                history = client.get_chat_history(chat.id)
                async for batch in history:
                    texts = [e.text for e in batch if isinstance(e, MessageEvent)]
                    log.say(f"batch of {len(batch)} events: {texts}")
                    for text in texts:
                        counts[text] = counts.get(text, 0) + 1
                duplicates = {text: n for text, n in counts.items() if n > 1}
                for text in ("Is it shipped yet?", "Thanks for checking."):
                    log.say(f"* {text!r} appears {counts.get(text, 0)} time(s) in the history")
                ok = not duplicates and all(
                    counts.get(t) == 1 for t in ("Is it shipped yet?", "Thanks for checking.")
                )
        log.heading("Done: " + ("every message exactly once" if ok else f"PROBLEM: {counts}"))
    return 0 if ok else 1


async def _v3_extras(client: Any, chat: str, log: Transcript) -> None:
    """What only v3 has: the customer as the server knows it, chat pages, deactivate_chat."""
    log.heading("LiveChat v3 only: customer, chat list, closing the chat yourself")
    customer = await client.get_customer()
    log.say(f"* get_customer: {customer.id}, statistics {dict(customer.statistics or {})}")
    page = await client.list_chats(limit=5)
    log.say(f"* list_chats: {[c.id for c in page.chats]} (total {page.total_chats})")
    await client.deactivate_chat(chat)
    log.say("* you deactivated the chat (deactivate_chat)")
    await anyio.sleep(0.3)


@contextlib.contextmanager
def _embedded_server(url: str | None) -> Iterator[tuple[str, str | None, ServerConfig]]:
    config = ServerConfig(agent=AgentConfig(join_delay=0.5, typing_delay=0.5, reply_delay=1.5))
    if url is not None:
        yield url, None, config
        return
    with reference.run_in_thread(config=config) as server:
        yield server.url, server.http_url, server.server.config


def run_chat(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    """An interactive terminal chat: lines are messages; /history, /rate good, /close, /quit."""
    from .sync import connect  # noqa: PLC0415

    log = Transcript(out)
    with _embedded_server(args.url) as (url, accounts, config):
        account = _account(args.api, config, accounts)
        if args.api == "0.3":
            account["license_id"] = args.license_id
        elif args.organization_id is not None:
            account["organization_id"] = args.organization_id
        if args.token:
            account["token"] = args.token
        client = connect(url=url, **account)
        client.on("*", log.event)
        with client:
            log.customer_id = client.customer_id
            chat = client.start_chat()
            log.say(f"* connected to {url}; chat {chat.id} started")
            print(
                "Type a message, or /history, /rate good|bad, /close, /quit", file=out, flush=True
            )
            for line in stdin:
                if not _chat_command(client, chat.id, line.strip(), log):
                    break
    return 0


def _chat_command(client: Any, chat: str, line: str, log: Transcript) -> bool:
    if not line:
        return True
    if line == "/quit":
        return False
    try:
        if line == "/history":
            for batch in client.get_chat_history(chat):
                for event in batch:
                    text = event.text if isinstance(event, MessageEvent) else f"<{event.type}>"
                    log.say(f"  (history) {log.who(event.author)}: {text}")
        elif line.startswith("/rate"):
            value = [*line.split(), "good"][1]
            rating = client.send_rating(chat, value)
            log.say(f"* rated {rating.value}")
        elif line == "/close":
            client.close_thread(chat)
            log.say("* thread closed")
        else:
            client.send_message(chat, line)
    except Exception as exc:  # the terminal user sees it and goes on
        log.say(f"! {exc}")
    return True


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="customer-protocol",
        description=(
            "chat.io Customer SDK (API v0.3) and LiveChat Customer Chat API v3.5/v3.6 client: "
            "demo, reference server, terminal chat."
        ),
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: all)")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run a whole conversation against an embedded server")
    demo.add_argument("--api", choices=APIS, default="0.3", help="protocol (default %(default)s)")
    serve = commands.add_parser("serve", help="run the reference server")
    serve_cli.add_serve_arguments(serve)
    chat = commands.add_parser("chat", help="chat from the terminal")
    chat.add_argument("--url", help="API base URL (default: an embedded reference server)")
    chat.add_argument("--api", choices=APIS, default="0.3", help="protocol (default %(default)s)")
    chat.add_argument("--license-id", type=int, default=1, help="v0.3's license")
    chat.add_argument("--organization-id", help="v3's organization (default: the embedded one)")
    chat.add_argument("--token", help="an access token (default: the demo accounts flow)")
    conformance = commands.add_parser("conformance", help="conformance-test any server")
    add_conformance_arguments(conformance)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``customer-protocol`` command."""
    args = _parser().parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    commands: dict[str, Callable[[], int]] = {
        "demo": lambda: anyio.run(run_demo, sys.stdout, args.api),
        "serve": lambda: serve_cli.run_serve(args),
        "chat": lambda: run_chat(args, sys.stdin, sys.stdout),
        "conformance": lambda: run_conformance(args),
    }
    try:
        return commands[args.command]()
    except KeyboardInterrupt:
        return 130

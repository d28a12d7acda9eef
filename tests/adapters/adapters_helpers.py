"""The three adapters behind one awaitable facade, for tests that run once per adapter.

``Client`` wraps an ``adapters.asyncio``/``adapters.trio`` client (methods awaited directly) or
an ``adapters.sync`` client (each blocking call runs in a worker thread, so the in-process
reference server keeps running in the test's event loop). A :class:`Recorder` listening to
``"*"`` keeps every event the client emitted, and tests wait on it with a deadline.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import aclosing
from types import TracebackType
from typing import Any, Final, Self

import anyio
import anyio.to_thread

import adapters.asyncio
import adapters.sync
import adapters.trio
from adapters._surface import Surface, request
from customer_protocol import Config, Event, HistoryBatch, MessageEvent
from customer_protocol.events import SDKEvent
from customer_protocol.server import AgentConfig, ServerConfig

ADAPTERS: Final = ("asyncio", "trio", "sync")
FAST_AGENT: Final = AgentConfig(join_delay=0.05, typing_delay=0.05, reply_delay=0.1)
FAST_SERVER: Final = ServerConfig(agent=FAST_AGENT)
QUIET_SERVER: Final = ServerConfig(agent=None)
FAST: Final = Config(
    request_timeout=5.0,
    login_timeout=5.0,
    connect_timeout=5.0,
    indirect_grace=1.0,
    backoff_base=0.05,
    backoff_cap=0.2,
    kicked_retry_delay=0.05,
    sneak_peek_interval=0.2,
)
"""Client timings for loopback tests: quick reconnects, short timeouts."""
WAIT: Final = 10.0
"""The longest a test waits for one thing to happen."""

_MODULES: Final[dict[str, Any]] = {
    "asyncio": adapters.asyncio,
    "trio": adapters.trio,
    "sync": adapters.sync,
}
_CALLS: Final = frozenset(
    {name for name, value in vars(Surface).items() if isinstance(value, request)}
    | {"disconnect", "connect", "destroy"}
)
"""Every declared request method (adapters._surface) and the blocking lifecycle calls."""


class Recorder:
    """A ``"*"`` listener keeping every event, with deadline-bounded waits."""

    def __init__(self) -> None:
        self.events: list[SDKEvent] = []

    def __call__(self, event: SDKEvent) -> None:
        self.events.append(event)

    def mark(self) -> int:
        """A position: pass it as ``after`` to look only at later events.

        The sync client delivers events on its event thread: an event emitted just before the
        mark may still be recorded after it, so look for names that cannot come earlier.
        """
        return len(self.events)

    def names(self, after: int = 0) -> list[str]:
        """The names of the events recorded since ``after``."""
        return [event.name for event in self.events[after:]]

    def named(self, name: str, after: int = 0) -> list[Any]:
        """The events called ``name`` recorded since ``after``."""
        return [event for event in self.events[after:] if event.name == name]

    async def wait_for(
        self,
        name: str,
        predicate: Callable[[Any], bool] | None = None,
        *,
        after: int = 0,
        timeout: float = WAIT,
    ) -> Any:
        """The first event ``name`` (matching ``predicate``) since ``after``; fails at timeout."""
        with anyio.fail_after(timeout):
            while True:
                for event in self.events[after:]:
                    if event.name == name and (predicate is None or predicate(event)):
                        return event
                await anyio.sleep(0.005)

    async def wait_count(
        self, name: str, count: int, *, after: int = 0, timeout: float = WAIT
    ) -> list[Any]:
        """Wait until ``count`` events ``name`` were recorded since ``after``; returns them."""
        with anyio.fail_after(timeout):
            while len(found := self.named(name, after)) < count:
                await anyio.sleep(0.005)
        return found


class History:
    """An awaitable history cursor over either kind of client."""

    def __init__(self, client: Client, cursor: Any) -> None:
        self._client = client
        self.cursor = cursor

    async def next(self) -> HistoryBatch:
        """``cursor.next()``."""
        return await self._client.run(self.cursor.next)  # type: ignore[no-any-return]

    @property
    def position(self) -> Any:
        """``cursor.position`` (a :class:`HistoryPosition`)."""
        return self.cursor.position

    async def batches(self) -> list[tuple[Event, ...]]:
        """Iterate the cursor to its end (``async for`` or ``for``); every batch."""
        if self._client.kind == "sync":
            return await self._client.run(list, self.cursor)  # type: ignore[no-any-return]
        return [batch async for batch in self.cursor]


class Client:
    """One client of any adapter; every blocking or async SDK method is awaitable here."""

    def __init__(self, kind: str, raw: Any) -> None:
        self.kind = kind
        self.raw = raw
        self.recorder = Recorder()
        raw.on("*", self.recorder)

    async def run(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``func``: awaited (async client) or in a worker thread (sync client)."""
        if self.kind == "sync":
            call = functools.partial(func, *args, **kwargs)
            return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        return await func(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.raw, name)
        if name in _CALLS:
            return functools.partial(self.run, attribute)
        return attribute

    def get_chat_history(self, chat: str, **options: Any) -> History:
        """The chat's history cursor."""
        return History(self, self.raw.get_chat_history(chat, **options))

    async def events(
        self,
        *names: str,
        count: int,
        timeout: float = WAIT,
        into: list[SDKEvent] | None = None,
    ) -> list[SDKEvent]:
        """Take ``count`` events (of ``names``) from ``client.events()``; fails at timeout.

        The stream may end first (the client was destroyed). Events are appended to ``into``
        (a new list by default) as they come; returns it.
        """
        taken: list[SDKEvent] = [] if into is None else into
        with anyio.fail_after(timeout):
            if self.kind == "sync":
                stream = self.raw.events(*names, timeout=timeout)
                try:
                    while len(taken) < count:  # events() ends when the client is destroyed
                        event = await self.run(next, stream, None)
                        if event is None:
                            break
                        taken.append(event)
                finally:
                    stream.close()
            else:
                async with aclosing(self.raw.events(*names)) as events:
                    async for event in events:
                        taken.append(event)
                        if len(taken) == count:
                            break
        return taken

    async def __aenter__(self) -> Self:
        if self.kind == "sync":
            await anyio.to_thread.run_sync(self.raw.__enter__, abandon_on_cancel=True)
        else:
            await self.raw.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.kind == "sync":
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.raw.__exit__, None, None, None)
        else:  # not in a scope of ours: the client's task group was entered outside it
            await self.raw.__aexit__(exc_type, exc, tb)


def make_client(
    kind: str,
    server: Any,
    *,
    token: Any = None,
    config: Config = FAST,
    customer: dict[str, Any] | None = None,
    open_timeout: float = WAIT,
) -> Client:
    """A client of adapter ``kind`` for ``server`` (not connected yet: ``async with`` it).

    The token defaults to a new customer of the server.
    """
    if token is None:
        token = server.create_customer()[1]
    raw = _MODULES[kind].connect(
        license_id=1,
        token=token,
        url=server.url,
        config=config,
        customer=customer,
        open_timeout=open_timeout,
    )
    return Client(kind, raw)


def texts(events: Any) -> list[str]:
    """The texts of the message events among ``events``."""
    return [event.text for event in events if isinstance(event, MessageEvent)]


async def history_texts(client: Client, chat: str) -> list[str]:
    """Every message text of the chat's whole history, oldest first."""
    batches = await client.get_chat_history(chat).batches()
    return [text for batch in reversed(batches) for text in texts(batch)]


V3_METHODS = (
    "list_chats",
    "list_threads",
    "get_chat",
    "resume_chat",
    "deactivate_chat",
    "delete_event",
    "send_rich_message_postback",
    "delete_chat_properties",
    "delete_thread_properties",
    "update_event_properties",
    "delete_event_properties",
    "get_customer",
    "set_customer_session_fields",
    "update_customer_page",
    "list_group_statuses",
    "get_form",
    "get_predicted_agent",
    "get_url_info",
    "mark_events_as_seen",
    "accept_greeting",
    "cancel_greeting",
    "send_greeting_button_clicked",
    "request_welcome_message",
    "cancel_rate",
    "upload_file",
)
"""Every method of v3.md section 5, in its order."""

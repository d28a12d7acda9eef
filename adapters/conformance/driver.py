"""The conformance runner's own small wire driver: raw RTM frames and raw HTTP exchanges.

Nothing here goes through the SDK client: the point is to see exactly what the server sends.
RTM runs :class:`transports.websocket.WebSocketClient` over an anyio stream and keeps every
frame it receives (decoded JSON, undecodable text, or the close); HTTP runs
:func:`adapters._http.exchange_steps` over a fresh anyio stream per request (see
:mod:`.context`, which opens both for a scenario).

A scenario fails by raising :class:`Failed` (what the spec expects, what was seen) and is
skipped, for a precondition that cannot be established, by raising :class:`Skipped`.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.abc
from wsproto import ConnectionType, WSConnection
from wsproto.events import Request

from adapters._common import BaseURL, parse_base_url
from transports.base import Closed, Message, Opened
from transports.websocket import (
    DEFAULT_MAX_MESSAGE_SIZE,
    WebSocketClient,
    WebSocketState,
    _WebSocketEndpoint,
)

from .paths import LEGACY_API, is_v3

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_V3_ACCOUNTS",
    "AccountsCredentials",
    "Failed",
    "Frame",
    "HttpAnswer",
    "RtmConnection",
    "Skipped",
    "Target",
    "V3Credentials",
    "brief",
]

IO_ERRORS: Final = (
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    OSError,
    ssl.SSLError,
)
READ_SIZE: Final = 65536


class Failed(Exception):
    """The server did not do what the spec says: ``expected`` vs ``seen``."""

    def __init__(self, expected: str, seen: str) -> None:
        super().__init__(f"expected {expected}; seen {seen}")
        self.expected = expected
        self.seen = seen


class Skipped(Exception):
    """A precondition of the scenario could not be established (``reason``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def brief(value: Any, limit: int = 300) -> str:
    """A short JSON-ish rendering of ``value`` for reports."""
    try:
        text = json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountsCredentials:
    """What the accounts flow of ``wire.md`` section 7 needs."""

    client_id: str
    client_secret: str = field(repr=False)
    app_access_token: str = field(repr=False)
    redirect_uri: str


DEMO_ACCOUNTS: Final = AccountsCredentials(
    client_id="demo-client",
    client_secret="demo-secret",
    app_access_token="demo-app-token",
    redirect_uri="http://localhost/callback",
)
"""The reference server's demo credentials (the defaults of ``customer-protocol serve``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class V3Credentials:
    """What the v3 agent-token grant (``v3.md`` section 7) needs: the application's
    ``client_id`` and an agent's access token (sent as Bearer); the cookie grant needs only
    ``client_id``."""

    client_id: str
    agent_token: str = field(repr=False)


DEMO_V3_ACCOUNTS: Final = V3Credentials(client_id="demo-client", agent_token="demo-agent-token")
"""The reference server's demo v3 credentials (printed by ``customer-protocol serve``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """The server under test and how to get customers on it.

    ``url`` is the API base (``ws://host:port[/prefix]``, ``wss://`` or ``http(s)://``);
    ``api`` the dialect: ``"0.3"`` (``wire.md``, addressed by ``license_id``) or ``"3.4"`` to
    ``"3.6"`` (``v3.md``, addressed by ``organization_id``).
    Customers come from ``tokens`` (fixed access tokens, in order) when given, else from the
    accounts flow at ``accounts_url`` (default: the API base over HTTP): ``accounts`` in v0.3,
    the agent-token grant with ``v3_accounts`` in v3.
    ``timeout`` bounds every wait for an expected message; ``quiet`` is how long the runner
    listens to be sure something is *not* sent.
    """

    url: str
    license_id: int = 0
    api: str = LEGACY_API
    organization_id: str | None = None
    tokens: tuple[str, ...] = field(default=(), repr=False)
    accounts: AccountsCredentials | None = DEMO_ACCOUNTS
    v3_accounts: V3Credentials | None = DEMO_V3_ACCOUNTS
    accounts_url: str | None = None
    timeout: float = 5.0
    quiet: float = 0.5
    max_connections_probe: int = 10
    max_expiry_wait: float = 5.0
    ssl_context: ssl.SSLContext | None = None

    @property
    def base(self) -> BaseURL:
        """The parsed API base URL."""
        return parse_base_url(self.url)

    @property
    def accounts_base(self) -> BaseURL:
        """The parsed accounts base URL."""
        return parse_base_url(self.accounts_url) if self.accounts_url else self.base

    @property
    def uses_accounts(self) -> bool:
        """True when customers are made with the accounts flow (no fixed tokens)."""
        if self.tokens:
            return False
        return (self.v3_accounts if self.is_v3 else self.accounts) is not None

    @property
    def is_v3(self) -> bool:
        """True when the target speaks a LiveChat v3.x dialect."""
        return is_v3(self.api)


@dataclass(frozen=True, slots=True)
class Frame:
    """One thing an RTM connection received: a JSON ``message``, undecodable ``text``, or the
    ``closed`` event."""

    message: dict[str, Any] | None = None
    text: str | None = None
    closed: Closed | None = None

    def describe(self) -> str:
        """A short rendering for reports."""
        if self.message is not None:
            return brief(self.message, 200)
        if self.closed is not None:
            return f"<closed {self.closed.code}>"
        return f"<not a JSON object: {brief(self.text, 80)}>"


class TargetedWebSocketClient(WebSocketClient):
    """The transport's WebSocket client, opening the exact request target the runner built
    (:mod:`.paths`), for the targets a client must not send (a v3 one without
    ``organization_id``), which the transport's own builder refuses. Only the opening request
    differs."""

    __slots__ = ()

    def __init__(self, *, host: str, target: str) -> None:
        _WebSocketEndpoint.__init__(self, DEFAULT_MAX_MESSAGE_SIZE)
        self.target = target
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._out.append(self._ws.send(Request(host=host, target=target)))


async def connect(base: BaseURL, context: ssl.SSLContext | None) -> anyio.abc.ByteStream:
    if base.tls:
        return await anyio.connect_tcp(
            base.host,
            base.port,
            ssl_context=context or ssl.create_default_context(),
            tls_standard_compatible=False,
        )
    return await anyio.connect_tcp(base.host, base.port)


class RtmConnection:
    """One raw RTM WebSocket connection; every received frame is kept in :attr:`frames`.

    :meth:`wait` reads until a frame matches and marks it used, so each expected message is
    matched once; frames nobody asked for stay visible to :meth:`unused`.
    """

    def __init__(self, ctx: Context, stream: anyio.abc.ByteStream, ws: WebSocketClient) -> None:
        self.ctx = ctx
        self.stream = stream
        self.ws = ws
        self.frames: list[Frame] = []
        self.used: set[int] = set()
        self.closed: Closed | None = None
        self.opened = False

    # -- sending -------------------------------------------------------------------------

    async def send_raw(self, text: str) -> None:
        """Send one text frame as is."""
        if self.ws.state is not WebSocketState.OPEN:
            raise Failed("the connection to stay open", f"it was closed: {self.closed}")
        self.ws.send_message(text.encode())
        await self._flush()

    async def send_burst(self, texts: list[str]) -> None:
        """Send several text frames in one write (so they reach the server together)."""
        if self.ws.state is not WebSocketState.OPEN:
            raise Failed("the connection to stay open", f"it was closed: {self.closed}")
        for text in texts:
            self.ws.send_message(text.encode())
        await self._flush()

    async def send(
        self, action: str, payload: Mapping[str, Any] | None = None, *, request_id: str = ""
    ) -> str:
        """Send a request (a fresh ``request_id`` unless given); return its ``request_id``."""
        rid = request_id or self.ctx.request_id()
        message: dict[str, Any] = {"request_id": rid, "action": action}
        if payload is not None:
            message["payload"] = dict(payload)
        await self.send_raw(json.dumps(message))
        return rid

    async def _flush(self) -> None:
        data = self.ws.data_to_send()
        if data:
            try:
                await self.stream.send(data)
            except IO_ERRORS:
                self._ended()

    # -- receiving -----------------------------------------------------------------------

    def _ended(self) -> None:
        if self.closed is None:
            self.ws.receive_data(b"")
            for event in self.ws.events():
                self._note(event)

    def _note(self, event: object) -> None:
        if isinstance(event, Opened):
            self.opened = True
        elif isinstance(event, Message):
            try:
                value = json.loads(event.data)
            except ValueError:
                self.frames.append(Frame(text=event.data.decode("utf-8", "replace")))
                return
            if isinstance(value, dict):
                self.frames.append(Frame(message=value))
                self.ctx.note_push(self, value)
            else:
                self.frames.append(Frame(text=event.data.decode("utf-8", "replace")))
        elif isinstance(event, Closed):
            self.closed = event
            self.frames.append(Frame(closed=event))

    async def _read_once(self, deadline: float) -> bool:
        """Read and record one chunk; False when the deadline passed or the link is gone."""
        if self.closed is not None:
            return False
        data: bytes | None = None
        with anyio.move_on_after(max(0.0, deadline - time.monotonic())):
            try:
                data = await self.stream.receive(READ_SIZE)
            except IO_ERRORS:
                data = b""
        if data is None:
            return False
        self.ws.receive_data(data)
        for event in self.ws.events():
            self._note(event)
        await self._flush()
        return True

    async def wait(
        self, what: str, match: Callable[[Frame], bool], timeout: float | None = None
    ) -> Frame:
        """The first unused frame that ``match``-es (reading up to ``timeout`` for it).

        Raises :class:`Failed` naming ``what`` and listing the frames seen instead.
        """
        deadline = time.monotonic() + (self.ctx.target.timeout if timeout is None else timeout)
        scanned = 0
        while True:
            for index in range(scanned, len(self.frames)):
                if index not in self.used and match(self.frames[index]):
                    self.used.add(index)
                    return self.frames[index]
            scanned = len(self.frames)
            if not await self._read_once(deadline):
                others = [f.describe() for i, f in enumerate(self.frames) if i not in self.used]
                end = "the connection closed" if self.closed else "nothing within the timeout"
                raise Failed(what, f"{end}; unmatched frames: {others[-4:] or 'none'}")

    async def listen(self, seconds: float | None = None) -> list[Frame]:
        """Read for ``seconds`` (default: the target's ``quiet``); return the unused frames."""
        deadline = time.monotonic() + (self.ctx.target.quiet if seconds is None else seconds)
        while await self._read_once(deadline):
            pass
        return self.unused()

    def unused(self) -> list[Frame]:
        """Frames no :meth:`wait` has matched yet."""
        return [f for i, f in enumerate(self.frames) if i not in self.used]

    async def response(self, request_id: str, action: str = "") -> dict[str, Any]:
        """Wait for the ``type: response`` carrying ``request_id``; return the whole message."""
        frame = await self.wait(
            f"a response with request_id {request_id!r}" + (f" to {action}" if action else ""),
            lambda f: (
                f.message is not None
                and f.message.get("type") == "response"
                and f.message.get("request_id") == request_id
            ),
        )
        assert frame.message is not None
        return frame.message

    async def push(
        self, action: str, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any]:
        """Wait for a push named ``action`` (optionally matching ``where``)."""
        frame = await self.wait(
            f"a push {action!r}",
            lambda f: (
                f.message is not None
                and f.message.get("type") == "push"
                and f.message.get("action") == action
                and (where is None or where(f.message))
            ),
        )
        assert frame.message is not None
        return frame.message

    async def request(
        self, action: str, payload: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send a request and return its response message (success or not)."""
        rid = await self.send(action, payload)
        return await self.response(rid, action)

    async def ok_response(self, request_id: str, action: str) -> dict[str, Any]:
        """Wait for the response to ``request_id``, which must succeed; its payload."""
        message = await self.response(request_id, action)
        if message.get("success") is not True:
            raise Failed(f"{action} to succeed", brief(message))
        result = message.get("payload", {})
        if not isinstance(result, dict):
            raise Failed(f"{action}'s payload to be an object", brief(message))
        return result

    async def ok(self, action: str, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send a request that must succeed; return the response payload."""
        return await self.ok_response(await self.send(action, payload), action)

    async def close(self) -> None:
        """Close politely (close frame, no wait for the reply) and drop the socket."""
        if self.ws.state is WebSocketState.OPEN:
            self.ws.close()
            with anyio.move_on_after(1):
                await self._flush()
        await anyio.aclose_forcefully(self.stream)


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """An HTTP response with its body decoded as JSON when it is JSON (``json`` else None)."""

    status: int
    json: Any
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def header_values(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive)."""
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def describe(self) -> str:
        """A short rendering for reports."""
        shown = brief(self.json) if self.json is not None else brief(self.body[:120])
        return f"HTTP {self.status} {shown}"

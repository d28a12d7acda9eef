"""The conformance runner's own small wire driver: raw RTM frames and raw HTTP exchanges.

Nothing here goes through the SDK client: the point is to see exactly what the server sends.
RTM runs :class:`transports.websocket.WebSocketClient` over an anyio stream and keeps every
frame it receives (decoded JSON, undecodable text, or the close); HTTP runs
:func:`adapters._http.exchange_steps` over a fresh anyio stream per request.

A scenario fails by raising :class:`Failed` (what the spec expects, what was seen) and is
skipped, for a precondition that cannot be established, by raising :class:`Skipped`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

import anyio
import anyio.abc

from adapters._common import BaseURL, parse_base_url
from adapters._http import exchange_steps
from transports.accounts import build_customer_code_request, build_customer_token_request
from transports.base import Closed, Message, Opened
from transports.http import HTTPRequest, ResponseReceived
from transports.multipart import MultipartBody
from transports.webapi import API_PATH
from transports.websocket import WebSocketClient, WebSocketState

__all__ = [
    "DEMO_ACCOUNTS",
    "AccountsCredentials",
    "Context",
    "Failed",
    "Frame",
    "HttpAnswer",
    "RtmConnection",
    "Skipped",
    "Target",
    "brief",
]

_IO_ERRORS: Final = (
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    OSError,
    ssl.SSLError,
)
_READ_SIZE: Final = 65536


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
class Target:
    """The server under test and how to get customers on it.

    ``url`` is the API base (``ws://host:port[/prefix]``, ``wss://`` or ``http(s)://``).
    Customers come from ``tokens`` (fixed access tokens, in order) when given, else from the
    accounts flow with ``accounts`` at ``accounts_url`` (default: the API base over HTTP).
    ``timeout`` bounds every wait for an expected message; ``quiet`` is how long the runner
    listens to be sure something is *not* sent.
    """

    url: str
    license_id: int
    tokens: tuple[str, ...] = field(default=(), repr=False)
    accounts: AccountsCredentials | None = DEMO_ACCOUNTS
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
        return not self.tokens and self.accounts is not None


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


async def _connect(base: BaseURL, context: ssl.SSLContext | None) -> anyio.abc.ByteStream:
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
            except _IO_ERRORS:
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
                data = await self.stream.receive(_READ_SIZE)
            except _IO_ERRORS:
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

    async def ok(self, action: str, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send a request that must succeed; return the response payload."""
        rid = await self.send(action, payload)
        message = await self.response(rid, action)
        if message.get("success") is not True:
            raise Failed(f"{action} to succeed", brief(message))
        result = message.get("payload", {})
        if not isinstance(result, dict):
            raise Failed(f"{action}'s payload to be an object", brief(message))
        return result

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

    def describe(self) -> str:
        """A short rendering for reports."""
        shown = brief(self.json) if self.json is not None else brief(self.body[:120])
        return f"HTTP {self.status} {shown}"


@dataclass(slots=True)
class Customer:
    """A customer the runner can log in as."""

    access_token: str = field(repr=False)
    customer_id: str | None = None
    customer_key: str | None = field(default=None, repr=False)


class Context:
    """What one scenario gets: the target, connections it opens (closed at the end), fresh
    customers and raw HTTP."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.connections: list[RtmConnection] = []
        self._ids = itertools.count(1)
        self._token_index = 0
        self._opened_threads: dict[str, list[RtmConnection]] = {}

    def request_id(self) -> str:
        """A fresh request id (unique in the run)."""
        return f"conf-{next(self._ids)}"

    async def aclose(self) -> None:
        """Clean up (:meth:`close_opened_threads`), then close every connection the scenario
        opened."""
        with anyio.CancelScope(shield=True):
            await self.close_opened_threads()
            for conn in self.connections:
                await conn.close()

    # -- what a scenario leaves behind ---------------------------------------------------

    def note_push(self, conn: RtmConnection, message: Mapping[str, Any]) -> None:
        """Track the threads the scenario opened: an ``incoming_chat_thread`` push names a
        chat with a new active thread, a ``thread_closed`` push one that no longer has it."""
        if message.get("type") != "push":
            return
        payload = message.get("payload")
        if not isinstance(payload, dict):
            return
        if message.get("action") == "incoming_chat_thread":
            chat = payload.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), str):
                self._opened_threads.setdefault(chat["id"], []).append(conn)
        elif message.get("action") == "thread_closed":
            self._opened_threads.pop(str(payload.get("chat_id")), None)

    async def close_opened_threads(self) -> None:
        """Close the threads the scenario opened and left active (best effort, bounded), so
        that a fixed customer (``--token``) does not carry them into the next scenario."""
        asked: list[tuple[RtmConnection, str]] = []
        for chat_id, conns in list(self._opened_threads.items()):
            conn = next((c for c in conns if c.ws.state is WebSocketState.OPEN), None)
            if conn is None:
                continue
            with contextlib.suppress(Failed):
                asked.append((conn, await conn.send("close_thread", {"chat_id": chat_id})))
        self._opened_threads.clear()
        with anyio.move_on_after(self.target.timeout):
            for conn, rid in asked:
                with contextlib.suppress(Failed):  # (already closed, e.g. by an agent)
                    await conn.response(rid)

    async def close_active_threads(self, conn: RtmConnection) -> None:
        """Set-up for a scenario that needs its customer to have no active thread: close the
        active thread of every chat ``get_chats_summary`` lists (a chat without one answers
        with an error, which is fine)."""
        chat_ids: list[str] = []
        for offset in range(0, 101, 25):
            page = await conn.ok("get_chats_summary", {"offset": offset, "limit": 25})
            ids = [s.get("id") for s in page.get("chats_summary", []) if isinstance(s, dict)]
            chat_ids += [i for i in ids if isinstance(i, str)]
            total = page.get("total_chats")
            if not ids or not isinstance(total, int) or offset + 25 >= total:
                break
        asked = [await conn.send("close_thread", {"chat_id": c}) for c in chat_ids]
        for rid in asked:
            await conn.response(rid, "close_thread")

    # -- RTM -----------------------------------------------------------------------------

    async def open(self, license_id: int | None = None) -> RtmConnection:
        """Open an RTM connection (the opening handshake must be accepted)."""
        base = self.target.base
        lid = self.target.license_id if license_id is None else license_id
        try:
            stream = await _connect(base, self.target.ssl_context)
        except OSError as exc:
            raise Failed("the server to accept a TCP connection", str(exc)) from None
        ws = WebSocketClient(host=base.host_header, license_id=lid, bh="", path_prefix=base.prefix)
        conn = RtmConnection(self, stream, ws)
        self.connections.append(conn)
        await conn._flush()
        deadline = time.monotonic() + self.target.timeout
        while True:
            if conn.opened:
                return conn
            if conn.closed is not None or not await conn._read_once(deadline):
                raise Failed(
                    f"the WebSocket upgrade of {ws.target} to be accepted",
                    str(conn.closed.reason if conn.closed else "no answer"),
                )

    async def login(
        self, customer: Customer, extra: Mapping[str, Any] | None = None
    ) -> tuple[RtmConnection, str]:
        """Open a connection and log in; return it and the ``customer_id``."""
        conn = await self.open()
        payload: dict[str, Any] = {"token": f"Bearer {customer.access_token}"}
        payload.update(extra or {})
        result = await conn.ok("login", payload)
        customer_id = result.get("customer_id")
        if not isinstance(customer_id, str) or not customer_id:
            raise Failed("login's payload to carry a string customer_id", brief(result))
        customer.customer_id = customer.customer_id or customer_id
        return conn, customer_id

    async def session(self) -> tuple[RtmConnection, str, Customer]:
        """A fresh customer, logged in on a new connection."""
        customer = await self.customer()
        conn, customer_id = await self.login(customer)
        return conn, customer_id, customer

    async def chat(self, conn: RtmConnection) -> dict[str, Any]:
        """Start a chat on ``conn``; return the response's ``chat``."""
        result = await conn.ok("start_chat", {})
        chat = result.get("chat")
        if not isinstance(chat, dict) or not isinstance(chat.get("id"), str):
            raise Failed("start_chat's payload {chat: {id, ...}}", brief(result))
        return chat

    # -- customers -----------------------------------------------------------------------

    async def customer(self, *, fresh: bool = False) -> Customer:
        """A customer: the next fixed token, or a new identity from the accounts flow.

        ``fresh`` customers (with no chats yet) need the accounts flow; otherwise, and when
        the fixed tokens run out, the scenario is skipped.
        """
        target = self.target
        if target.tokens:
            if fresh:
                raise Skipped("needs a fresh customer: give accounts credentials, not --token")
            if self._token_index >= len(target.tokens):
                raise Skipped(f"needs {self._token_index + 1} customers: pass more --token")
            token = target.tokens[self._token_index]
            self._token_index += 1
            return Customer(access_token=token)
        return await self.accounts_customer()

    def _accounts(self) -> AccountsCredentials:
        if not self.target.uses_accounts or self.target.accounts is None:
            raise Skipped("needs the accounts flow (fixed --token given)")
        return self.target.accounts

    async def accounts_code(
        self,
        *,
        app_access_token: str | None = None,
        customer_id: str | None = None,
        customer_key: str | None = None,
    ) -> HttpAnswer:
        """``POST /customer/`` (step 1 of ``wire.md`` section 7)."""
        creds = self._accounts()
        base = self.target.accounts_base
        request = build_customer_code_request(
            host=base.host_header,
            app_access_token=app_access_token or creds.app_access_token,
            client_id=creds.client_id,
            redirect_uri=creds.redirect_uri,
            customer_id=customer_id,
            customer_key=customer_key,
            prefix=base.prefix,
        )
        return await self.http(request, base=base)

    async def accounts_token(self, code: str, *, client_secret: str | None = None) -> HttpAnswer:
        """``POST /customer/token`` (step 2)."""
        creds = self._accounts()
        base = self.target.accounts_base
        request = build_customer_token_request(
            host=base.host_header,
            code=code,
            client_id=creds.client_id,
            client_secret=client_secret or creds.client_secret,
            redirect_uri=creds.redirect_uri,
            prefix=base.prefix,
        )
        return await self.http(request, base=base)

    async def accounts_customer(
        self, customer_id: str | None = None, customer_key: str | None = None
    ) -> Customer:
        """Both accounts steps; a precondition, so a failure here is reported as such."""
        code = await self.accounts_code(customer_id=customer_id, customer_key=customer_key)
        doc = code.json if isinstance(code.json, dict) else {}
        if code.status != 200 or not isinstance(doc.get("code"), str):
            raise Failed(
                "POST /customer/ to give {code, customer_id, customer_key}", code.describe()
            )
        token = await self.accounts_token(doc["code"])
        tdoc = token.json if isinstance(token.json, dict) else {}
        if token.status != 200 or not isinstance(tdoc.get("access_token"), str):
            raise Failed("POST /customer/token to give {access_token, ...}", token.describe())
        return Customer(
            access_token=tdoc["access_token"],
            customer_id=doc.get("customer_id"),
            customer_key=doc.get("customer_key"),
        )

    # -- HTTP ----------------------------------------------------------------------------

    def web_api_request(
        self, action: str, body: bytes, *, token: str | None, content_type: str
    ) -> HTTPRequest:
        """``POST {prefix}/customer/v0.3/action/<action>?license_id=N`` with a raw body."""
        base = self.target.base
        query = urlencode({"license_id": self.target.license_id})
        headers = [("Host", base.host_header)]
        if token is not None:
            headers.append(("Authorization", f"Bearer {token}"))
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        return HTTPRequest(
            method="POST",
            target=f"{base.prefix}{API_PATH}/action/{action}?{query}",
            headers=tuple(headers),
            body=body,
        )

    async def web_api(
        self, action: str, payload: Mapping[str, Any] | None, *, token: str | None
    ) -> HttpAnswer:
        """A Web API call with a JSON body."""
        body = json.dumps(dict(payload or {})).encode()
        request = self.web_api_request(action, body, token=token, content_type="application/json")
        return await self.http(request)

    async def http(
        self,
        request: HTTPRequest,
        *,
        body: MultipartBody | None = None,
        base: BaseURL | None = None,
    ) -> HttpAnswer:
        """One HTTP exchange on a new connection; bounded by the target's timeout.

        When the server stops reading mid-upload (it answered early), the rest of the body is
        discarded and the answer is still read.
        """
        base = base or self.target.base
        steps = exchange_steps(request, body=body, max_response_size=4 << 20)
        response: ResponseReceived | None = None
        with anyio.move_on_after(self.target.timeout + (30 if body is not None else 0)):
            stream = await _connect(base, self.target.ssl_context)
            try:
                response = await self._drive(steps, stream)
            finally:
                await anyio.aclose_forcefully(stream)
        if response is None:
            raise Failed(f"an HTTP answer to {request.method} {request.target}", "none in time")
        try:
            decoded: Any = json.loads(response.body) if response.body.strip() else None
        except ValueError:
            decoded = None
        return HttpAnswer(status=response.status, json=decoded, body=response.body)

    @staticmethod
    async def _drive(steps: Any, stream: anyio.abc.ByteStream) -> ResponseReceived:
        writable = True
        value: Any = None
        try:
            while True:
                step = steps.send(value)
                value = None
                if step is None:
                    try:
                        value = await stream.receive(_READ_SIZE)
                    except _IO_ERRORS:
                        value = b""
                elif writable:
                    try:
                        await stream.send(step)
                    except _IO_ERRORS:
                        writable = False
        except StopIteration as stop:
            result: ResponseReceived = stop.value
            return result
        except Exception as exc:  # the transport's verdict on what the server sent
            raise Failed("a whole HTTP response", f"{type(exc).__name__}: {exc}") from None

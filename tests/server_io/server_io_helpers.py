"""Raw clients for the reference-server I/O tests: WebSocket over anyio, HTTP in a thread."""

from __future__ import annotations

import http.client
import json
import uuid
from collections import deque
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
import anyio.abc

from customer_protocol.server import AgentConfig, ServerConfig
from transports.base import Closed, Message, Opened, Pong
from transports.websocket import WebSocketClient

FAST_AGENT = AgentConfig(join_delay=0.05, typing_delay=0.05, reply_delay=0.1)


def fast_config(**changes: Any) -> ServerConfig:
    """A server configuration whose agent answers within ~0.1 s."""
    changes.setdefault("agent", FAST_AGENT)
    return ServerConfig(**changes)


class ClosedError(Exception):
    """The WebSocket closed while a message was expected."""

    def __init__(self, closed: Closed) -> None:
        super().__init__(f"closed {closed.code} {closed.reason!r}")
        self.closed = closed


class RawWS:
    """A WebSocket client over an anyio TCP stream, speaking raw JSON messages."""

    def __init__(self, stream: anyio.abc.SocketStream, ws: WebSocketClient) -> None:
        self.stream = stream
        self.ws = ws
        self.inbox: deque[Message | Closed] = deque()
        self.pongs = 0
        self.closed: Closed | None = None

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        license_id: int | None = 1,
        max_message_size: int = 1 << 20,
        api: str = "0.3",
        organization_id: str | None = None,
        origin: str | None = None,
    ) -> RawWS:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        stream = await anyio.connect_tcp(parts.hostname, parts.port)
        ws = WebSocketClient(
            host=parts.netloc,
            license_id=license_id if api == "0.3" else None,
            bh="",
            max_message_size=max_message_size,
            api=api,
            organization_id=organization_id,
            origin=origin,
        )
        client = cls(stream, ws)
        await client._flush()
        while True:
            await client._read()
            if client.opened:
                return client
            if client.closed is not None:
                await stream.aclose()
                raise ClosedError(client.closed)

    opened = False

    async def _flush(self) -> None:
        data = self.ws.data_to_send()
        if data:
            await self.stream.send(data)

    async def _read(self) -> None:
        try:
            data = await self.stream.receive(65536)
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            data = b""
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, Opened):
                self.opened = True
            elif isinstance(event, Message):
                self.inbox.append(event)
            elif isinstance(event, Pong):
                self.pongs += 1
            elif isinstance(event, Closed):
                self.closed = event
                self.inbox.append(event)
        await self._flush()

    async def send(self, message: dict[str, Any] | bytes) -> None:
        data = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.ws.send_message(data)
        await self._flush()

    async def recv_event(self) -> Message | Closed:
        while not self.inbox:
            await self._read()
        return self.inbox.popleft()

    async def recv(self) -> dict[str, Any]:
        event = await self.recv_event()
        if isinstance(event, Closed):
            raise ClosedError(event)
        value = json.loads(event.data)
        assert isinstance(value, dict)
        return value

    async def wait_closed(self) -> Closed:
        while self.closed is None:
            await self._read()
        return self.closed

    async def request(
        self, action: str, payload: dict[str, Any] | None = None, *, rid: str | None = None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Send a request; return its response and the messages received before it."""
        rid = rid or uuid.uuid4().hex
        message: dict[str, Any] = {"request_id": rid, "action": action}
        if payload is not None:
            message["payload"] = payload
        await self.send(message)
        before: list[dict[str, Any]] = []
        while True:
            got = await self.recv()
            if got.get("type") == "response" and got.get("request_id") == rid:
                return got, before
            before.append(got)

    async def login(self, token: str) -> dict[str, Any]:
        response, _ = await self.request("login", {"token": f"Bearer {token}"})
        assert response["success"], response
        return response["payload"]

    async def wait_for(self, action: str) -> dict[str, Any]:
        while True:
            got = await self.recv()
            if got.get("action") == action and got.get("type") == "push":
                return got

    async def ping(self, payload: bytes = b"p") -> None:
        self.ws.send_ping(payload)
        await self._flush()

    async def aclose(self) -> None:
        if self.closed is None:
            self.ws.close()
            try:
                await self._flush()
                with anyio.move_on_after(2):
                    await self.wait_closed()
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                pass
        await self.stream.aclose()


def http_request(
    base: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A blocking HTTP request (run it with ``anyio.to_thread.run_sync``)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


async def ahttp(
    base: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """:func:`http_request` in a worker thread (the server shares the event loop)."""

    def call() -> tuple[int, dict[str, str], bytes]:
        return http_request(base, method, path, body, headers)

    return await anyio.to_thread.run_sync(call)


def get_token_blocking(
    base: str, config: ServerConfig | None = None, identity: tuple[str, str] | None = None
) -> tuple[str, str, str]:
    """The accounts flow: ``(customer_id, customer_key, access_token)``."""
    config = config or ServerConfig()
    form = {
        "client_id": config.client_id,
        "response_type": "code",
        "redirect_uri": config.redirect_uri,
    }
    if identity is not None:
        form["customer_id"], form["customer_key"] = identity
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = http_request(
        base,
        "POST",
        "/customer/",
        urlencode(form).encode(),
        {**form_headers, "Authorization": f"Bearer {config.app_access_token}"},
    )
    assert status == 200, body
    code = json.loads(body)
    token_form = {
        "grant_type": "authorization_code",
        "code": code["code"],
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "redirect_uri": config.redirect_uri,
    }
    status, _, body = http_request(
        base, "POST", "/customer/token", urlencode(token_form).encode(), form_headers
    )
    assert status == 200, body
    token = json.loads(body)
    assert token["token_type"] == "Bearer"
    return code["customer_id"], code["customer_key"], token["access_token"]


async def get_token(
    base: str, config: ServerConfig | None = None, identity: tuple[str, str] | None = None
) -> tuple[str, str, str]:
    """:func:`get_token_blocking` in a worker thread."""

    def call() -> tuple[str, str, str]:
        return get_token_blocking(base, config, identity)

    return await anyio.to_thread.run_sync(call)


async def web_api(
    base: str, token: str, action: str, payload: dict[str, Any], license_id: int = 1
) -> tuple[int, dict[str, Any]]:
    """A JSON Web API call: ``(status, body)``."""
    status, _, body = await ahttp(
        base,
        "POST",
        f"/customer/v0.3/action/{action}?license_id={license_id}",
        json.dumps(payload).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    return status, json.loads(body)

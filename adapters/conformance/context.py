"""What one scenario works with: the :class:`Context` (its connections, customers, HTTP
exchanges, and the cleanup of what it leaves behind)."""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc

from adapters._common import BaseURL
from adapters._http import exchange_steps
from transports.accounts import build_customer_code_request, build_customer_token_request
from transports.http import HTTPRequest, ResponseReceived
from transports.multipart import MultipartBody
from transports.websocket import WebSocketClient, WebSocketState

from .driver import (
    IO_ERRORS,
    READ_SIZE,
    AccountsCredentials,
    Failed,
    HttpAnswer,
    RtmConnection,
    Skipped,
    Target,
    TargetedWebSocketClient,
    V3Credentials,
    brief,
    connect,
)
from .paths import action_target, rtm_target, token_v2_target

__all__ = ["Context", "Customer"]


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
        """Track the threads the scenario opened: an ``incoming_chat_thread`` (v3:
        ``incoming_chat``) push names a chat with a new active thread, a ``thread_closed`` (v3:
        ``chat_deactivated``) push one that no longer has it."""
        if message.get("type") != "push":
            return
        payload = message.get("payload")
        if not isinstance(payload, dict):
            return
        if message.get("action") in ("incoming_chat_thread", "incoming_chat"):
            chat = payload.get("chat")
            thread = chat.get("thread") if isinstance(chat, dict) else None
            if isinstance(thread, dict) and thread.get("active") is False:
                return  # (v3: a chat started or resumed inactive)
            if isinstance(chat, dict) and isinstance(chat.get("id"), str):
                self._opened_threads.setdefault(chat["id"], []).append(conn)
        elif message.get("action") in ("thread_closed", "chat_deactivated"):
            self._opened_threads.pop(str(payload.get("chat_id")), None)

    def _close_request(self, chat_id: str) -> tuple[str, dict[str, Any]]:
        if self.target.is_v3:
            return "deactivate_chat", {"id": chat_id}
        return "close_thread", {"chat_id": chat_id}

    async def close_opened_threads(self) -> None:
        """Close the threads the scenario opened and left active (best effort, bounded), so
        that a fixed customer (``--token``) does not carry them into the next scenario."""
        opened = list(self._opened_threads.items())
        self._opened_threads.clear()
        with anyio.move_on_after(self.target.timeout):
            for chat_id, conns in opened:
                conn = next((c for c in conns if c.ws.state is WebSocketState.OPEN), None)
                if conn is not None:
                    with contextlib.suppress(Failed):  # (already closed, e.g. by an agent)
                        await conn.request(*self._close_request(chat_id))

    async def close_active_threads(self, conn: RtmConnection) -> None:
        """Set-up for a scenario that needs its customer to have no active thread: close the
        active thread of every chat ``get_chats_summary`` lists (a chat without one answers
        with an error, which is fine). v3: deactivate every active chat ``list_chats`` pages
        through."""
        if self.target.is_v3:
            await self._deactivate_active_chats(conn)
            return
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

    async def _deactivate_active_chats(self, conn: RtmConnection) -> None:
        active: list[str] = []
        page: dict[str, Any] = {"limit": 25}
        for _ in range(40):  # (at most 1,000 chats)
            result = await conn.ok("list_chats", page)
            summaries = [s for s in result.get("chats_summary", []) if isinstance(s, dict)]
            active += [s["id"] for s in summaries if s.get("active") and isinstance(s["id"], str)]
            next_page = result.get("next_page_id")
            if not summaries or not isinstance(next_page, str) or not next_page:
                break
            page = {"page_id": next_page}
        for chat_id in active:  # one at a time: at most 10 requests may be pending
            await conn.request("deactivate_chat", {"id": chat_id})

    # -- RTM -----------------------------------------------------------------------------

    def rtm_target(self, license_id: int | None = None, organization_id: str | None = None) -> str:
        """The RTM request target of the target's dialect (``license_id`` / ``organization_id``
        override the target's, e.g. to address one that does not exist)."""
        target = self.target
        return rtm_target(
            target.api,
            prefix=target.base.prefix,
            license_id=target.license_id if license_id is None else license_id,
            organization_id=target.organization_id if organization_id is None else organization_id,
        )

    def _license(self, license_id: int | None) -> int:
        return self.target.license_id if license_id is None else license_id

    async def open(
        self, license_id: int | None = None, *, organization_id: str | None = None
    ) -> RtmConnection:
        """Open an RTM connection (the opening handshake must be accepted)."""
        base = self.target.base
        try:
            stream = await connect(base, self.target.ssl_context)
        except OSError as exc:
            raise Failed("the server to accept a TCP connection", str(exc)) from None
        target = self.target
        org = target.organization_id if organization_id is None else organization_id
        ws: WebSocketClient
        if target.is_v3 and not org:  # a target no client sends: build it raw
            ws = TargetedWebSocketClient(
                host=base.host_header, target=self.rtm_target(license_id, organization_id)
            )
        else:
            ws = WebSocketClient(
                host=base.host_header,
                license_id=None if target.is_v3 else self._license(license_id),
                path_prefix=base.prefix,
                api=target.api,
                organization_id=org if target.is_v3 else None,
            )
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
        if self.target.is_v3:
            who = result.get("customer")
            customer_id = who.get("id") if isinstance(who, dict) else None
            if not isinstance(customer_id, str) or not customer_id:
                raise Failed("login's payload to carry customer.id (a string)", brief(result))
        else:
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
        """Start a chat on ``conn``; return the response's ``chat`` (v0.3 only)."""
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
        if target.is_v3:
            return await self.v3_customer()
        return await self.accounts_customer()

    async def v3_customer(self, entity_id: str | None = None) -> Customer:
        """A customer from the v3 agent-token grant (``v3.md`` section 7); a precondition, so
        a failure here is reported as such."""
        answer = await self.agent_token_grant(entity_id=entity_id)
        doc = answer.json if isinstance(answer.json, dict) else {}
        if answer.status != 200 or not isinstance(doc.get("access_token"), str):
            raise Failed(
                "POST /v2/customer/token (agent_token) to give {access_token, entity_id, ...}",
                answer.describe(),
            )
        entity = doc.get("entity_id")
        customer_id = entity if isinstance(entity, str) else None
        return Customer(access_token=doc["access_token"], customer_id=customer_id)

    async def token_v2(
        self,
        body: Mapping[str, Any],
        *,
        authorization: str | None = None,
        cookie: str | None = None,
        origin: str | None = None,
    ) -> HttpAnswer:
        """``POST {accounts prefix}/v2/customer/token`` with a JSON ``body`` (and the given
        ``Authorization``, ``Cookie`` and ``Origin`` headers)."""
        base = self.target.accounts_base
        data = json.dumps(dict(body)).encode()
        headers = [("Host", base.host_header)]
        for name, value in (
            ("Authorization", authorization),
            ("Cookie", cookie),
            ("Origin", origin),
        ):
            if value is not None:
                headers.append((name, value))
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        request = HTTPRequest(
            method="POST", target=token_v2_target(base.prefix), headers=tuple(headers), body=data
        )
        return await self.http(request, base=base)

    async def agent_token_grant(
        self,
        *,
        entity_id: str | None = None,
        agent_token: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> HttpAnswer:
        """The agent-token grant: ``{grant_type: agent_token, client_id, response_type: token,
        organization_id, entity_id?}`` with the agent token as Bearer."""
        creds = self.v3_credentials()
        body: dict[str, Any] = {
            "grant_type": "agent_token",
            "client_id": creds.client_id,
            "response_type": "token",
        }
        if self.target.organization_id:
            body["organization_id"] = self.target.organization_id
        if entity_id is not None:
            body["entity_id"] = entity_id
        body.update(extra or {})
        bearer = f"Bearer {agent_token or creds.agent_token}"
        return await self.token_v2(body, authorization=bearer)

    def v3_credentials(self) -> V3Credentials:
        """The v3 grant credentials, or :class:`Skipped` when fixed tokens were given."""
        if not self.target.uses_accounts or self.target.v3_accounts is None:
            raise Skipped("needs the v3 token grants (fixed --token given)")
        return self.target.v3_accounts

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
        """``POST`` the Web API ``action`` of the target's dialect with a raw body."""
        base = self.target.base
        path = action_target(
            self.target.api,
            action,
            prefix=base.prefix,
            license_id=self.target.license_id,
            organization_id=self.target.organization_id,
        )
        headers = [("Host", base.host_header)]
        if token is not None:
            headers.append(("Authorization", f"Bearer {token}"))
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        return HTTPRequest(method="POST", target=path, headers=tuple(headers), body=body)

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
            stream = await connect(base, self.target.ssl_context)
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
        return HttpAnswer(
            status=response.status, json=decoded, body=response.body, headers=response.headers
        )

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
                        value = await stream.receive(READ_SIZE)
                    except IO_ERRORS:
                        value = b""
                elif writable:
                    try:
                        await stream.send(step)
                    except IO_ERRORS:
                        writable = False
        except StopIteration as stop:
            result: ResponseReceived = stop.value
            return result
        except Exception as exc:  # the transport's verdict on what the server sent
            raise Failed("a whole HTTP response", f"{type(exc).__name__}: {exc}") from None

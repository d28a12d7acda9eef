"""The reference server's protocol core: connections in, outputs out, no I/O.

How a driver (``adapters/server.py``) uses :class:`ServerCore`:

* a WebSocket connection opened → :meth:`~ServerCore.open_connection` with an id of its
  choosing; each complete text message → :meth:`~ServerCore.receive`; any other inbound frame
  (a WebSocket ping, ...) → :meth:`~ServerCore.note_activity`; the connection went away →
  :meth:`~ServerCore.close_connection`;
* a Web API request → :meth:`~ServerCore.web_api`; accounts requests →
  :meth:`~ServerCore.accounts_authorize` / :meth:`~ServerCore.accounts_token`;
* after every call, act on the returned outputs **in order** (:class:`Send`, :class:`Close`,
  :class:`StoreFile`), persist :meth:`Store.drain_changes` of :attr:`ServerCore.store` if it
  persists, then sleep until :meth:`~ServerCore.next_deadline` and call
  :meth:`~ServerCore.handle_timer`.

Every input takes ``now`` (monotonic seconds). Event timestamps are wall-clock seconds,
``int(epoch + now)``, where ``epoch`` is given at construction (the driver passes
``time.time() - time.monotonic()``).

Order of what one request produces: first the pushes (the requester's copy carrying the
``request_id`` when it is the echo of the request; every other connection of the customer, in
login order, gets it without), then the response to the requester. Malformed input never raises:
undecodable JSON or a bad envelope gets a ``validation`` error response (without ``request_id``
when none could be read); ``ping`` messages get nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from customer_protocol.codec import Request, dumps, encode_response, loads
from customer_protocol.errors import LocalProtocolError, RemoteProtocolError

from .accounts import Accounts, http_error
from .agent import AgentSimulator
from .config import ServerConfig
from .dialect import ServerDialect
from .faults import FaultKind, FaultRule, Faults
from .logic import ChatLogic, Outcome, PushOut, SneakPeek, Upload
from .outputs import Close, ConnId, HttpReply, Output, Send, WebResult
from .store import Store
from .v03 import WEB_ACTIONS, V03Dialect
from .v3_actions import V3_APIS, V3Actions, V3Dialect
from .v3_actions import WEB_ACTIONS as V3_WEB_ACTIONS
from .v3_errors import v3_http_error
from .v3_views import encode_v3_push
from .validation import ApiError, check_customer_update

__all__ = ["MALFORMED_FRAME", "ServerCore"]

MALFORMED_FRAME: Final = b'{"action": "incoming_event", "type": "push", "payload": {'
"""What a ``malformed_json`` fault sends."""
_VERSION: Final = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}")
_MAX_SNEAK_PEEKS: Final = 1000


@dataclass(slots=True)
class _Held:
    release_at: float
    data: bytes
    until_next: bool


@dataclass(slots=True)
class _Conn:
    id: ConnId
    last_activity: float
    dialect: ServerDialect
    opened_at: float = 0.0
    organization_id: str | None = None
    token_expires: float | None = None
    """v3: when (``now`` time) the access token it logged in with expires."""
    customer_id: str | None = None
    received: int = 0
    held: list[_Held] = field(default_factory=list)
    pushes: frozenset[str] | None = None
    """The push names the connection asked for at login (``None``: every push)."""

    def wants(self, action: str) -> bool:
        return self.pushes is None or action in self.pushes

    @property
    def v3(self) -> bool:
        return self.dialect.api != "0.3"


def _response_bytes(
    request_id: str | None, action: str, payload: Mapping[str, Any], *, success: bool = True
) -> bytes:
    if request_id is not None:
        return encode_response(request_id, action, payload, success=success)
    return dumps({"action": action, "type": "response", "success": success, "payload": payload})


def _version_key(version: str) -> tuple[int, ...] | None:
    if not _VERSION.fullmatch(version):
        return None
    return tuple(int(p) for p in version.split("."))


def _error_bytes(request_id: str | None, action: str, error: ApiError) -> bytes:
    return _response_bytes(request_id, action, {"error": error.to_wire()}, success=False)


class ServerCore:
    """The whole reference server as a pure state machine (see the module docstring).

    ``id_source`` gives fresh random-looking strings (customer ids and keys, codes, tokens).
    ``store`` lets a driver start from persisted records (``Store.load``); ``faults`` defaults
    to a fresh :class:`Faults` (``core.faults``).
    """

    def __init__(
        self,
        config: ServerConfig | None = None,
        *,
        id_source: Callable[[], str],
        epoch: float = 0.0,
        store: Store | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.config = config if config is not None else ServerConfig()
        self.epoch = epoch
        self.store = store if store is not None else Store()
        self.faults = faults if faults is not None else Faults()
        self.accounts = Accounts(self.store, self.config, id_source)
        self.logic = ChatLogic(self.store, self.config, self._present)
        self.v03 = V03Dialect(self.logic)
        self.v3 = V3Actions(self.logic)
        self._dialects: dict[str, ServerDialect] = {"0.3": self.v03}
        self._dialects.update((api, V3Dialect(self.v3, api)) for api in V3_APIS)
        self.agent: AgentSimulator | None = None
        if self.config.agent is not None:
            self.agent = AgentSimulator(self.config.agent, self.logic)
        self.sneak_peeks: list[SneakPeek] = []
        """Every sneak peek received (the newest 1000), oldest first."""
        self._conns: dict[ConnId, _Conn] = {}
        self._by_customer: dict[str, list[ConnId]] = {}

    # -- small helpers -----------------------------------------------------------------------

    def wall(self, now: float) -> int:
        """Wall-clock seconds at ``now`` (event timestamps); the logic also learns the
        milliseconds (v3 ``created_at``)."""
        moment = self.epoch + now
        seconds = int(moment)
        self.logic.clock_ms = min(max(int(moment * 1000), seconds * 1000), seconds * 1000 + 999)
        return seconds

    def _present(self, customer_id: str) -> bool:
        return bool(self._by_customer.get(customer_id))

    def _conn(self, conn_id: ConnId) -> _Conn:
        conn = self._conns.get(conn_id)
        if conn is None:
            raise LocalProtocolError(f"unknown or closed connection {conn_id!r}")
        return conn

    def connections_of(self, customer_id: str) -> list[ConnId]:
        """The customer's logged-in connections, in login order."""
        return list(self._by_customer.get(customer_id, ()))

    def _forget(self, conn: _Conn) -> None:
        self._conns.pop(conn.id, None)
        if conn.customer_id is not None:
            ids = self._by_customer.get(conn.customer_id, [])
            if conn.id in ids:
                ids.remove(conn.id)
            if not ids:
                self._by_customer.pop(conn.customer_id, None)

    def _drop(self, conn: _Conn, out: list[Output], code: int, reason: str, abort: bool) -> None:
        self._forget(conn)
        out.append(Close(conn_id=conn.id, code=code, reason=reason, abort=abort))

    def _kick(self, conn: _Conn, reason: str, out: list[Output], code: int = 1000) -> None:
        data = conn.dialect.encode_push("customer_disconnected", {"reason": reason}, None)
        out.append(Send(conn_id=conn.id, data=data))
        self._drop(conn, out, code, reason, False)

    # -- connections -------------------------------------------------------------------------

    def open_connection(
        self,
        conn_id: ConnId,
        now: float,
        *,
        api: str = "0.3",
        organization_id: str | None = None,
    ) -> list[Output]:
        """A new RTM connection speaking ``api`` (``"0.3"``, or ``"3.4"``/``"3.5"``/``"3.6"``
        with the ``organization_id`` of its query string).

        Another ``3.<n>`` is answered at once with ``customer_disconnected``
        (``unsupported_version``) and a :class:`Close` (the connection is not kept). Raises
        :class:`LocalProtocolError` if ``conn_id`` is in use or ``api`` is no version."""
        if conn_id in self._conns:
            raise LocalProtocolError(f"connection {conn_id!r} is already open")
        dialect = self._dialects.get(api)
        if dialect is None:
            key = _version_key(api)
            if key is None or len(key) != 2 or key[0] != 3:
                raise LocalProtocolError(f"unsupported API version {api!r}")
            reason = {"reason": "unsupported_version"}
            data = encode_v3_push(api, "customer_disconnected", reason)
            return [
                Send(conn_id=conn_id, data=data),
                Close(conn_id=conn_id, code=1008, reason="unsupported_version"),
            ]
        self._conns[conn_id] = _Conn(
            id=conn_id,
            last_activity=now,
            dialect=dialect,
            opened_at=now,
            organization_id=organization_id,
        )
        return []

    def api_of(self, conn_id: ConnId) -> str | None:
        """The API version a connection speaks (``None``: unknown or closed)."""
        conn = self._conns.get(conn_id)
        return None if conn is None else conn.dialect.api

    def note_activity(self, conn_id: ConnId, now: float) -> None:
        """Inbound traffic the core does not see (a WebSocket ping): resets the idle timer."""
        conn = self._conns.get(conn_id)
        if conn is not None:
            conn.last_activity = now

    def close_connection(self, conn_id: ConnId, now: float) -> list[Output]:
        """The connection went away (harmless for an unknown or already closed id)."""
        conn = self._conns.get(conn_id)
        if conn is not None:
            self._forget(conn)
        return []

    def close_all(self, code: int = 1001, reason: str = "server restart") -> list[Output]:
        """Close every connection (e.g. before a restart); logged-in v3 connections first get
        ``customer_disconnected`` (``service_temporarily_unavailable``)."""
        out: list[Output] = []
        for conn in list(self._conns.values()):
            if conn.v3 and conn.customer_id is not None:
                data = conn.dialect.encode_push(
                    "customer_disconnected", {"reason": "service_temporarily_unavailable"}, None
                )
                out.append(Send(conn_id=conn.id, data=data))
            self._drop(conn, out, code, reason, False)
        return out

    def receive(self, conn_id: ConnId, data: bytes | str, now: float) -> list[Output]:
        """One complete message from connection ``conn_id``; what to send and close.

        Raises :class:`LocalProtocolError` only for an unknown ``conn_id`` (a driver bug).
        """
        conn = self._conn(conn_id)
        conn.last_activity = now
        conn.received += 1
        out: list[Output] = []
        self._handle_message(conn, data, now, out)
        limit = self.faults.drop_after_messages
        if limit is not None and conn.received >= limit and conn.id in self._conns:
            self._drop(conn, out, 1011, "fault injection: drop after messages", True)
        return out

    def _handle_message(
        self, conn: _Conn, data: bytes | str, now: float, out: list[Output]
    ) -> None:
        try:
            message = loads(data)
        except RemoteProtocolError as exc:
            error = ApiError("validation", f"message: {exc.message}")
            out.append(Send(conn_id=conn.id, data=_error_bytes(None, "", error)))
            return
        if not isinstance(message, dict):
            error = ApiError("validation", "message: must be a JSON object")
            out.append(Send(conn_id=conn.id, data=_error_bytes(None, "", error)))
            return
        rid = message.get("request_id")
        request_id = rid if isinstance(rid, str) and rid else None
        action = message.get("action")
        if not isinstance(action, str) or not action:
            error = ApiError("validation", "action: must be a non-empty string")
            out.append(Send(conn_id=conn.id, data=_error_bytes(request_id, "", error)))
            return
        if action == "ping":
            if (  # answered after login (v3.md §2)
                conn.v3
                and conn.customer_id is not None
                and self.faults.take(FaultKind.UNANSWERED_PING, action) is None
            ):
                out.append(Send(conn_id=conn.id, data=_response_bytes(request_id, "ping", {})))
            return
        payload = message.get("payload")
        if payload is None:
            payload = {}
        try:
            if conn.v3 and len(conn.held) >= self.config.max_pending_requests:
                # First: a request beyond the limit is refused whatever else is wrong with it.
                raise ApiError(
                    "pending_requests_limit_reached",
                    f"at most {self.config.max_pending_requests} requests may be pending",
                )
            if not isinstance(payload, dict):
                raise ApiError("validation", "payload: must be an object")
            if conn.v3:
                self._check_v3_request(conn, message)
            elif request_id is None:
                raise ApiError("validation", "request_id: must be a non-empty string")
            request = Request(action=action, request_id=request_id, payload=payload)
            self._dispatch(conn, request, now, out)
        except ApiError as error:
            data = _error_bytes(request_id, action, error)
            if error.type == "pending_requests_limit_reached":
                # Refused, not processed: at once, never itself held back by a fault (it would
                # count toward the limit it enforces).
                out.append(Send(conn_id=conn.id, data=data))
            else:
                self._respond(conn, data, out, now, action)

    def _check_v3_request(self, conn: _Conn, message: dict[str, Any]) -> None:
        version = message.get("version")
        if version is not None:
            if not isinstance(version, str) or _version_key(version) is None:
                raise ApiError("validation", "version: must be a version string like '3.6'")
            if _version_key(version) < _version_key(conn.dialect.api):  # type: ignore[operator]
                raise ApiError(
                    "unsupported_version", "version: lower than the connection's version"
                )

    # -- requests ----------------------------------------------------------------------------

    def _dispatch(self, conn: _Conn, request: Request, now: float, out: list[Output]) -> None:
        action, payload = request.action, request.payload
        request_id = request.request_id
        customer_id = conn.customer_id
        if action != "login" and customer_id is None:
            raise ApiError("validation", "action: login must be the first request")
        rule = self.faults.take(FaultKind.ERROR, action)
        if rule is not None:
            raise ApiError(rule.error_type, "injected fault")
        if self.faults.take(FaultKind.DROP_BEFORE_STORE, action) is not None:
            self._drop(conn, out, 1011, "fault injection: drop before store", True)
            return
        wall = self.wall(now)
        if action == "login" or customer_id is None:  # (None implies login: checked above)
            outcome = self._login(conn, payload, wall, out, request_id)
            if conn.id not in self._conns:
                return
        elif action == "get_chat_threads_summary" and self.faults.take(
            FaultKind.OLDEST_PAGE_FIRST, action
        ):
            outcome = self.v03.get_chat_threads_summary(
                customer_id, payload, wall, oldest_first=True
            )
        elif (
            action == "list_threads"
            and conn.v3
            and "page_id" not in payload
            and "sort_order" not in payload
            and self.faults.take(FaultKind.OLDEST_PAGE_FIRST, action)
        ):
            asc = {**payload, "sort_order": "asc"}
            outcome = conn.dialect.run(customer_id, action, asc, wall)
        else:
            outcome = conn.dialect.run(customer_id, action, payload, wall)
        dropped = self.faults.take(FaultKind.DROP_AFTER_STORE, action) is not None
        pushes = bool(outcome.pushes)
        skip_echo = any(p.echo for p in outcome.pushes) and (
            self.faults.take(FaultKind.SKIP_PUSH, action) is not None
        )
        echo_id: str | None = request_id
        if pushes and self.faults.take(FaultKind.ECHO_WITHOUT_REQUEST_ID, action) is not None:
            echo_id = None
        to_all = pushes and self.faults.take(FaultKind.REQUEST_ID_TO_ALL, action) is not None
        take = self.faults.take
        tag_all = pushes and take(FaultKind.REQUEST_ID_ON_SIDE_EFFECTS, action) is not None
        unversioned = pushes and take(FaultKind.PUSH_WITHOUT_VERSION, action) is not None
        self._deliver(
            outcome,
            now,
            out,
            requester=conn,
            request_id=echo_id,
            skip_echo=skip_echo or dropped,
            to_all=to_all,
            requester_faults=(tag_all, unversioned),
        )
        if dropped:
            self._drop(conn, out, 1011, "fault injection: drop after store", True)
            return
        data = _response_bytes(request_id, action, outcome.response)
        self._respond(conn, data, out, now, action)

    def _respond(
        self, conn: _Conn, data: bytes, out: list[Output], now: float, action: str
    ) -> None:
        """Send a response, applying the response faults (malformed frame, delay, reorder)."""
        if conn.id not in self._conns:
            return
        if self.faults.take(FaultKind.MALFORMED_JSON, action) is not None:
            out.append(Send(conn_id=conn.id, data=MALFORMED_FRAME))
        if self.faults.take(FaultKind.BROKEN_PUSH, action) is not None:
            broken = conn.dialect.encode_push(
                "incoming_event", {"chat_id": "", "thread_id": ""}, None
            )
            out.append(Send(conn_id=conn.id, data=broken))
        rule: FaultRule | None = self.faults.take(FaultKind.DELAY, action)
        if rule is not None:
            limit = self.config.request_timeout
            if rule.delay >= limit:
                # The server gives up on a request it could not answer in time (wire.md §6).
                request_id = loads(data).get("request_id")
                error = ApiError("request_timeout", f"no answer within {limit:g} s")
                data = _error_bytes(request_id, action, error)
            delay = min(rule.delay, limit)
            conn.held.append(_Held(release_at=now + delay, data=data, until_next=False))
            return
        rule = self.faults.take(FaultKind.REORDER, action)
        if rule is not None:
            conn.held.append(_Held(release_at=now + rule.delay, data=data, until_next=True))
            return
        out.append(Send(conn_id=conn.id, data=data))
        held = [h for h in conn.held if h.until_next]
        if held:
            conn.held = [h for h in conn.held if not h.until_next]
            out.extend(Send(conn_id=conn.id, data=h.data) for h in held)

    def _deliver(
        self,
        outcome: Outcome,
        now: float,
        out: list[Output],
        *,
        requester: _Conn | None = None,
        request_id: str | None = None,
        skip_echo: bool = False,
        to_all: bool = False,
        requester_faults: tuple[bool, bool] = (False, False),
    ) -> None:
        """Files first, then every push to every connection of its customer; then notes.

        ``to_all`` (a fault) puts ``request_id`` on the other connections' copies too;
        ``requester_faults`` (side effects tagged, no version) break the requester's copies."""
        out.extend(outcome.files)
        for push in outcome.pushes:
            self._fan_out(
                push, out, requester, request_id, skip_echo, to_all=to_all, faults=requester_faults
            )
        for note in outcome.notes:
            if isinstance(note, SneakPeek):
                self.sneak_peeks.append(note)
                del self.sneak_peeks[:-_MAX_SNEAK_PEEKS]
            elif self.agent is not None:
                self.agent.notice(note, now)

    def _fan_out(
        self,
        push: PushOut,
        out: list[Output],
        requester: _Conn | None,
        request_id: str | None,
        skip_echo: bool,
        *,
        to_all: bool = False,
        faults: tuple[bool, bool] = (False, False),
    ) -> None:
        """Render the push's fact once per dialect and send it to every connection of its
        customer; the requester's copy of an echo carries ``request_id``."""
        tag_all, unversioned = faults
        conns = [self._conns[c] for c in self._by_customer.get(push.customer_id, ())]
        rendered: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for conn in conns:
            if conn.dialect.api not in rendered:
                rendered[conn.dialect.api] = conn.dialect.render(push.fact)
        plain: dict[tuple[str, int], bytes] = {}
        for index in range(max((len(r) for r in rendered.values()), default=0)):
            for conn in conns:
                dialect = conn.dialect
                items = rendered[dialect.api]
                if index >= len(items) or not conn.wants(items[index][0]):
                    continue
                action, payload = items[index]
                if requester is not None and conn.id == requester.id and (push.echo or tag_all):
                    if not skip_echo:
                        echo = dialect.encode_push(action, payload, request_id)
                        if unversioned:
                            echo = dumps({k: v for k, v in loads(echo).items() if k != "version"})
                        out.append(Send(conn_id=conn.id, data=echo))
                    continue
                key = (dialect.api, index)
                cached = plain.get(key)
                if cached is None:
                    cached = dialect.encode_push(action, payload, request_id if to_all else None)
                    plain[key] = cached
                out.append(Send(conn_id=conn.id, data=cached))

    def _login(
        self,
        conn: _Conn,
        payload: dict[str, Any],
        wall: int,
        out: list[Output],
        request_id: str | None = None,
    ) -> Outcome:
        if conn.customer_id is not None:
            raise ApiError("validation", "action: this connection is already logged in")
        token = payload.get("token")
        if conn.v3 and isinstance(token, str) and token and not token.startswith("Bearer "):
            token = "Bearer " + token  # liberal: a bare access token
        if not isinstance(token, str) or not token.startswith("Bearer "):
            raise ApiError("validation", "token: must be 'Bearer <access_token>'")
        if conn.v3:
            organization = conn.organization_id
            if organization is not None and organization != self.config.organization_id:
                error = ApiError("license_not_found", "organization_id: unknown organization")
                data = _error_bytes(request_id, "login", error)
                out.append(Send(conn_id=conn.id, data=data))
                self._kick(conn, "license_not_found", out)
                return Outcome()
            customer = self.accounts.customer_for(token[len("Bearer ") :], wall)
            if customer.banned:
                raise ApiError("customer_banned", "the customer is banned")
            outcome, conn.pushes = self.v3.login(customer, payload, wall, conn.dialect.api)
        else:
            changes = check_customer_update(payload.get("customer"))
            customer = self.accounts.customer_for(token[len("Bearer ") :], wall)
            if customer.banned:
                raise ApiError("customer_banned", "the customer is banned")
            if changes:
                self.logic.apply_customer_update(customer, changes)
            outcome = Outcome(response=self.v03.login_response(customer.id))
        conn.customer_id = customer.id
        if conn.v3:
            record = self.store.tokens.get(token[len("Bearer ") :])
            conn.token_expires = None if record is None else record.expires_at - self.epoch
        conns = self._by_customer.setdefault(customer.id, [])
        conns.append(conn.id)
        while len(conns) > self.config.max_connections_per_customer:
            self._kick(self._conns[conns[0]], "too_many_connections", out)
        return outcome

    # -- timers ------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` must be called next (``None``: no timer)."""
        times: list[float] = []
        if self.agent is not None and (when := self.agent.next_deadline()) is not None:
            times.append(when)
        idle, login = self.config.idle_timeout, self.config.login_timeout
        for conn in self._conns.values():
            times.extend(h.release_at for h in conn.held)
            if idle is not None:
                times.append(conn.last_activity + idle)
            if login is not None and conn.v3 and conn.customer_id is None:
                times.append(conn.opened_at + login)
            if conn.token_expires is not None:
                times.append(conn.token_expires)
        return min(times, default=None)

    def handle_timer(self, now: float) -> list[Output]:
        """Fire everything due at ``now``: held responses, login and idle closes (a logged-in
        v3 connection first gets ``customer_disconnected``: ``connection_timeout``, or
        ``access_token_expired`` when the token it logged in with expires), agent moves."""
        out: list[Output] = []
        idle, login = self.config.idle_timeout, self.config.login_timeout
        for conn in list(self._conns.values()):
            due = [h for h in conn.held if h.release_at <= now]
            if due:
                conn.held = [h for h in conn.held if h.release_at > now]
                out.extend(Send(conn_id=conn.id, data=h.data) for h in due)
            if (
                login is not None
                and conn.v3
                and conn.customer_id is None
                and now >= conn.opened_at + login
            ):
                self._drop(conn, out, 1008, "login timeout", False)
            elif conn.token_expires is not None and now >= conn.token_expires:
                self._kick(conn, "access_token_expired", out)
            elif idle is not None and now >= conn.last_activity + idle:
                if conn.v3 and conn.customer_id is not None:
                    self._kick(conn, "connection_timeout", out, 1001)
                else:
                    self._drop(conn, out, 1001, "idle timeout", False)
        if self.agent is not None:
            pushes = self.agent.fire(now, self.wall(now))
            self._deliver(Outcome(pushes=pushes), now, out)
        return out

    # -- Web API and accounts ----------------------------------------------------------------

    def web_api(
        self,
        authorization: str | None,
        action: str,
        payload: bytes | Mapping[str, Any] | None,
        now: float,
        *,
        upload: Upload | None = None,
        api: str = "0.3",
        organization_id: str | None = None,
    ) -> WebResult:
        """``POST /customer/v0.3/action/<action>``: ``authorization`` is the header value,
        ``payload`` the JSON body (bytes) or, for multipart ``send_file``, the parsed
        ``payload.*`` fields with the file as ``upload``.

        Pushes go to every RTM connection of the customer without ``request_id``. Answers:
        200 ``{"payload": ...}``; 400 validation, 401 authentication, 403 authorization or
        banned, 404 unknown action, 500 internal, each with ``{"error": {...}}``.

        ``api="3.4"|"3.5"|"3.6"``: ``/v3.x/customer/action/<action>`` with the
        ``organization_id`` of the query string (``payload``: the JSON body, the query
        fields of a ``GET``, or for multipart ``upload_file`` nothing but ``upload``); the
        200 body is the bare response payload; errors are ``{"error": {...}}`` with the
        status of :func:`~customer_protocol.server.v3_errors.v3_status`.
        """
        if api != "0.3":
            return self._web_api_v3(
                authorization, action, payload, now, upload, api, organization_id
            )
        wall = self.wall(now)
        try:
            if action not in WEB_ACTIONS:
                return WebResult(
                    reply=HttpReply(
                        status=404,
                        body={"error": {"type": "validation", "message": "unknown action"}},
                    )
                )
            customer_id, body = self._web_call(authorization, action, payload, wall)
            outcome = self.v03.run(customer_id, action, body, wall, upload)
        except ApiError as error:
            return WebResult(reply=http_error(error))
        out: list[Output] = []
        self._deliver(outcome, now, out)
        return WebResult(
            reply=HttpReply(status=200, body={"payload": outcome.response}), outputs=tuple(out)
        )

    def _web_api_v3(  # noqa: PLR0917 - web_api's arguments
        self,
        authorization: str | None,
        action: str,
        payload: bytes | Mapping[str, Any] | None,
        now: float,
        upload: Upload | None,
        api: str,
        organization_id: str | None,
    ) -> WebResult:
        wall = self.wall(now)
        try:
            if api not in V3_APIS:
                raise ApiError("unsupported_version", f"unsupported API version {api!r}")
            if action not in V3_WEB_ACTIONS:
                raise ApiError("not_found", f"unknown action {action!r}")
            if organization_id is not None and organization_id != self.config.organization_id:
                raise ApiError("license_not_found", "organization_id: unknown organization")
            customer_id, body = self._web_call(authorization, action, payload, wall)
            outcome = self.v3.run(api, customer_id, action, body, wall, upload, web=True)
        except ApiError as error:
            return WebResult(reply=v3_http_error(error))
        out: list[Output] = []
        self._deliver(outcome, now, out)
        return WebResult(reply=HttpReply(status=200, body=outcome.response), outputs=tuple(out))

    def _web_call(
        self,
        authorization: str | None,
        action: str,
        payload: bytes | Mapping[str, Any] | None,
        wall: int,
    ) -> tuple[str, dict[str, Any]]:
        """The customer and payload of a Web API call (either dialect), or the
        :class:`ApiError` to answer: no bearer token, a banned customer, a body that is not a
        JSON object, an injected error fault for ``action``."""
        if authorization is None or not authorization.startswith("Bearer "):
            raise ApiError("authentication", "missing 'Authorization: Bearer <token>'")
        customer = self.accounts.customer_for(authorization[len("Bearer ") :], wall)
        if customer.banned:
            raise ApiError("customer_banned", "the customer is banned")
        body = self._web_payload(payload)
        rule = self.faults.take(FaultKind.ERROR, action)
        if rule is not None:
            raise ApiError(rule.error_type, "injected fault")
        return customer.id, body

    @staticmethod
    def _web_payload(payload: bytes | Mapping[str, Any] | None) -> dict[str, Any]:
        if payload is None or payload == b"":
            return {}
        if isinstance(payload, bytes | bytearray | memoryview):
            try:
                value = loads(payload)
            except RemoteProtocolError as exc:
                raise ApiError("validation", f"body: {exc.message}") from None
        else:
            value = payload
        if not isinstance(value, Mapping):
            raise ApiError("validation", "body: must be a JSON object")
        return dict(value)

    def accounts_authorize(
        self, authorization: str | None, form: Mapping[str, str], now: float
    ) -> HttpReply:
        """``POST /customer/`` (``wire.md`` section 7)."""
        return self.accounts.authorize(authorization, form, self.epoch + now)

    def accounts_token(self, form: Mapping[str, str], now: float) -> HttpReply:
        """``POST /customer/token`` (``wire.md`` section 7)."""
        return self.accounts.exchange(form, self.epoch + now)

    def accounts_token_v2(
        self, headers: Mapping[str, str], body: bytes | Mapping[str, Any] | None, now: float
    ) -> HttpReply:
        """``POST /v2/customer/token`` (``v3.md`` section 7): the agent-token grant or the
        cookie grant. ``headers``: the request headers (names in any case; ``Authorization``
        and ``Cookie`` are read); ``body``: the JSON or form body, or its parsed fields. The
        reply's ``headers`` carry the ``Set-Cookie`` lines of the cookie grant."""
        return self.accounts.token_v2(headers, body, self.epoch + now)

    # -- administration (tests, demo) --------------------------------------------------------

    def create_customer(self, now: float) -> tuple[str, str]:
        """A new customer and an access token for it: ``(customer_id, access_token)``."""
        customer = self.accounts.new_customer()
        token = self.accounts.issue_token(customer.id, self.epoch + now)
        return customer.id, token.token

    def ban_customer(self, customer_id: str, now: float) -> list[Output]:
        """Ban a customer: each connection gets ``customer_disconnected`` (``customer_banned``)
        and is closed; later logins fail with ``customer_banned``."""
        customer = self.store.customers.get(customer_id)
        if customer is None:
            raise LocalProtocolError(f"unknown customer {customer_id!r}")
        customer.banned = True
        self.store.touch("customer", customer_id)
        return self.disconnect_customer(customer_id, "customer_banned", now)

    def unban_customer(self, customer_id: str) -> None:
        """Lift a ban."""
        customer = self.store.customers.get(customer_id)
        if customer is None:
            raise LocalProtocolError(f"unknown customer {customer_id!r}")
        customer.banned = False
        self.store.touch("customer", customer_id)

    def send_greeting(self, customer_id: str, text: str, now: float) -> list[Output]:
        """Greet a customer: v3 connections get ``incoming_greeting`` (accept or cancel it with
        its ``unique_id``). Raises :class:`LocalProtocolError` for an unknown customer or when
        the agent simulator is off (greetings come from its agent)."""
        if customer_id not in self.store.customers:
            raise LocalProtocolError(f"unknown customer {customer_id!r}")
        try:
            push = self.v3.greet(customer_id, text, self.wall(now))
        except ApiError as error:
            raise LocalProtocolError(error.message) from None
        out: list[Output] = []
        self._deliver(Outcome(pushes=[push]), now, out)
        return out

    def churn_thread(self, chat_id: str, now: float, text: str = "Hello again") -> list[Output]:
        """Thread churn, as an agent or the router causes it: close the chat's active thread
        (if it has one) and open a new one with a ``system_message``. The customer's
        connections get ``thread_closed`` and ``incoming_chat_thread`` (v3:
        ``chat_deactivated`` and ``incoming_chat``), without ``request_id``."""
        chat = self.store.chats.get(chat_id)
        if chat is None:
            raise LocalProtocolError(f"unknown chat {chat_id!r}")
        pushes = []
        if self.store.active_thread(chat) is not None:
            pushes.append(self.logic.end_thread(chat, None))
        event = {"type": "system_message", "text": text, "system_message_type": "routing"}
        thread, stored, opened = self.logic.add_event(chat, None, event, self.wall(now))
        fact = self.logic.event_fact(chat, thread, stored, opened, None)
        pushes.append(PushOut(customer_id=chat.customer_id, fact=fact, echo=False))
        out: list[Output] = []
        self._deliver(Outcome(pushes=pushes), now, out)
        return out

    def disconnect_customer(self, customer_id: str, reason: str, now: float) -> list[Output]:
        """Push ``customer_disconnected {reason}`` to every connection of the customer and
        close them."""
        out: list[Output] = []
        for conn_id in self.connections_of(customer_id):
            self._kick(self._conns[conn_id], reason, out)
        return out

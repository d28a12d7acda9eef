"""The engine of the client state machine: lifecycle, requests, timers, exactly-once sends.

:class:`~customer_protocol.client.ClientProtocol` adds the SDK methods on top; this module holds
what every method shares. See :mod:`customer_protocol.client` for how to drive it.
"""

from __future__ import annotations

import bisect
import itertools
import sys
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, Final, cast

from . import args as check
from . import codec, lifecycle, payloads, typed
from .backoff import SeededRandom
from .codec import encode_request, loads, message_parts
from .config import Config
from .dialects import dialect_for
from .dialects.base import HistoryCursor
from .dispatch import RESPONSE, ChatTracker
from .errors import (
    AuthenticationError,
    ConnectionLostError,
    CustomerSDKError,
    InvalidArgumentsError,
    RemoteProtocolError,
    RequestFailedError,
    RequestTimeoutError,
    SDKDestroyedError,
)
from .events import (
    ProtocolErrorReport,
    SDKEvent,
)
from .lifecycle import KEEPALIVE as _KEEPALIVE
from .lifecycle import PHASE as _PHASE
from .lifecycle import PONG as _PONG
from .lifecycle import REQUESTS as _REQUESTS
from .models import slot_builder
from .outputs import (
    CallFailed,
    CallSucceeded,
    CloseTransport,
    MessageDropped,
    Output,
    Send,
    SendPing,
    UploadFile,
)
from .reconcile import Reconciler
from .requests import PendingRequest
from .state import ClientState, Input, Phase, public_state, transition, transport_open
from .throttle import SneakPeekThrottle
from .timers import Timers
from .tokens import Token, TokenCache

__all__ = ["ClientEngine"]

_build_send: Final = slot_builder(Send, ("data",))
_build_succeeded: Final = slot_builder(CallSucceeded, ("call", "value"))


class _Cursor:
    __slots__ = ("busy", "planner", "queue")

    def __init__(self, planner: HistoryCursor) -> None:
        self.planner = planner
        self.queue: deque[int] = deque()
        self.busy = False


def _server_error(payload: Mapping[str, Any]) -> CustomerSDKError:
    error = payload.get("error")
    if not isinstance(error, dict):
        return RequestFailedError("The server reported an error without details.")
    kind = error.get("type")
    message = error.get("message")
    kind = kind if isinstance(kind, str) else None
    message = message if isinstance(message, str) else ""
    cls = AuthenticationError if kind == "authentication" else RequestFailedError
    return cls(message, type=kind, data=error.get("data"))


class ClientEngine:
    """Shared machinery of :class:`~customer_protocol.client.ClientProtocol` (not used alone)."""

    def __init__(
        self,
        *,
        api: str = "0.3",
        license_id: int | None = None,
        organization_id: str | None = None,
        host: str | None = None,
        config: Config | None = None,
        customer: Mapping[str, Any] | None = None,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.dialect = dialect_for(api)
        self.dialect.check_address(license_id, organization_id)
        self.api = self.dialect.api
        self.license_id = license_id
        self.organization_id = organization_id
        self.host = host
        self.config = config if config is not None else Config()
        self._rng = rng if rng is not None else SeededRandom(0)
        self._customer: dict[str, Any] = check.check_customer(customer or {})
        self._phase = Phase.STOPPED
        self._stopped = False
        self._now = 0.0
        self._out: list[Output] = []
        self._timers = Timers()
        self._cancel_pong = self._timers.canceller(_PONG)
        self._event_pushes = self.dialect.event_pushes
        # The common push decoded straight into its event when codec.use_msgspec is on.
        self._typed_push = typed.decoder_for(self.api)
        # Written requests' timeouts, (deadline, timer seq, wire id), sorted; behind one timer.
        self._deadlines: deque[tuple[float, int, str]] = deque()
        self._deadlines_armed: tuple[float, int] | None = None
        self._deadlines_moved = False  # the head changed since the timer was armed
        self._tokens = TokenCache(self.config.token_refresh_margin)
        self._login_token: Token | None = None
        self._tracker = ChatTracker()
        self._throttle = SneakPeekThrottle(self.config.sneak_peek_interval)
        self._wire_ids = itertools.count(1)
        self._call_ids = itertools.count(1)
        self._cursor_ids = itertools.count(1)
        self._new_custom_id = payloads.custom_ids(self._rng)
        self._open_calls: set[int] = set()
        self._inflight: dict[str, PendingRequest] = {}
        self._settled: set[str] = set()
        self._outbox: deque[PendingRequest] = deque()
        self._cap = self.dialect.max_inflight or sys.maxsize
        # Timed out here but maybe still pending at the server (which counts them toward its
        # limit): under a cap they keep their slot until their late answer or the link drops.
        self._late: set[str] = set()
        self._reconciler = Reconciler(
            # At most the cap's sends are in flight at a drop, so their lookups (one request per
            # chat at a time) never exceed it either: they are written directly.
            write=self._write,
            page=self.dialect.lookup_page,
            active=lambda: self._phase is Phase.READY,
            done=self._resend,
        )
        self._holding = False
        self._cursors: dict[int, _Cursor] = {}
        self._uploads: set[int] = set()
        self._upload_outputs: dict[int, UploadFile] = {}
        self._attempt = 0
        self._link_was_open = False
        self._fresh_token = False
        self._auth_failures = 0
        self._has_connected = False
        self._up = False
        self._customer_id: str | None = None
        self._customer_id_sent = False

    # ----------------------------------------------------------------------------------------
    # Introspection

    @property
    def state(self) -> ClientState:
        """The public state (``connecting``, ``connected``, ``reconnecting``, ...)."""
        return public_state(self._phase, has_connected=self._has_connected)

    @property
    def phase(self) -> Phase:
        """The finer lifecycle phase (which input the core waits for)."""
        return self._phase

    @property
    def customer_id(self) -> str | None:
        """The customer's id once known (from the token provider or ``login``)."""
        return self._customer_id

    @property
    def pending_calls(self) -> int:
        """How many calls have not ended yet."""
        return len(self._open_calls)

    def outputs(self) -> list[Output]:
        """Return, and forget, everything the core produced since the last call, in order."""
        out = self._out
        self._out = []
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` must next be called (monotonic seconds), or ``None``."""
        if self._deadlines_moved:
            self._arm_deadlines()
        return self._timers.next()

    # ----------------------------------------------------------------------------------------
    # Lifecycle inputs

    def connect(self, now: float) -> None:
        """Start connecting (the first time, or again after :meth:`disconnect`)."""
        self._ensure_alive()
        self._now = now
        was = self._phase
        self._phase = transition(was, Input.CONNECT)
        if was is Phase.STOPPED:
            self._stopped = False
            self._attempt = 0
            self._auth_failures = 0
            self._begin_attempt()

    def disconnect(self, now: float) -> None:
        """Close, stop reconnecting, fail every pending call with ``CONNECTION_LOST``.

        Later calls fail at once with ``CONNECTION_LOST`` until :meth:`connect`.
        """
        self._ensure_alive()
        self._now = now
        had_transport = transport_open(self._phase) or self._phase is Phase.OPENING
        self._phase = transition(self._phase, Input.DISCONNECT)
        self._stopped = True
        if had_transport:
            self._emit(CloseTransport(code=1000, reason="disconnect"))
        self._stop_everything(ConnectionLostError("The client was disconnected."))

    def destroy(self) -> None:
        """Remove every listener's events, close, fail everything with ``SDK_DESTROYED``.

        Idempotent; every later call raises :class:`SDKDestroyedError`.
        """
        if self._phase is Phase.DESTROYED:
            return
        had_transport = transport_open(self._phase) or self._phase is Phase.OPENING
        self._phase = transition(self._phase, Input.DESTROY)
        if had_transport:
            self._emit(CloseTransport(code=1000, reason="destroy"))
        self._stop_everything(SDKDestroyedError("The client was destroyed."))
        self._throttle.forget()

    def token_received(self, token: Token, now: float) -> None:
        """The token provider answered :class:`FetchToken` with ``token``."""
        self._ensure_alive()
        self._now = now
        was = self._phase
        self._phase = transition(was, Input.TOKEN_RECEIVED)
        if was is Phase.TOKEN:
            self._tokens.store(token, now)
            self._login_token = token
            self._open_transport()
        elif was is Phase.REAUTH:
            self._tokens.store(token, now)
            self._login_token = token
            self._send_login()

    def token_failed(self, error: CustomerSDKError, now: float) -> None:
        """The token provider could not give a token.

        An :class:`AuthenticationError` counts toward the terminal "rejected twice" rule; any
        other error is retried with backoff.
        """
        self._ensure_alive()
        self._now = now
        was = self._phase
        if was not in (Phase.TOKEN, Phase.REAUTH):
            self._phase = transition(was, Input.TOKEN_FAILED)  # validates; a late answer
            return
        if isinstance(error, AuthenticationError):
            self._auth_failures += 1
            if self._auth_failures >= 2:
                self._terminal("authentication")
                return
        if was is Phase.REAUTH:
            self._link_failed("token refresh failed")
        else:
            self._phase = transition(was, Input.TOKEN_FAILED)
            self._timers.cancel(_PHASE)
            self._schedule_reconnect()

    def transport_opened(self, now: float) -> None:
        """The transport asked for by :class:`OpenTransport` is open."""
        self._ensure_alive()
        self._now = now
        self._phase = transition(self._phase, Input.TRANSPORT_OPENED)
        self._link_was_open = True
        self._send_login()

    def transport_closed(self, now: float, code: int | None = None, reason: str = "") -> None:
        """The transport closed (EOF, close frame, error) or could not be opened.

        Never call it after the core emitted :class:`CloseTransport` for that transport.
        """
        self._ensure_alive()
        self._now = now
        self._phase = transition(self._phase, Input.TRANSPORT_CLOSED)
        self._link_down(reconcile=True)
        self._schedule_reconnect()

    def pong_received(self, now: float) -> None:
        """The peer answered a keepalive ping."""
        self._ensure_alive()
        self._now = now
        self._phase = transition(self._phase, Input.PONG)
        if not self.dialect.protocol_ping:  # else only an answer of the server counts
            self._timers.cancel(_PONG)

    def receive(self, data: bytes | str, now: float) -> None:
        """Feed one complete server message (the bytes of one text frame)."""
        if self._phase is not Phase.READY:  # READY accepts messages: skip the table lookup
            self._ensure_alive()
            self._phase = transition(self._phase, Input.MESSAGE)
        self._now = now
        self._cancel_pong()
        # The typed decoder (codec.use_msgspec) takes a plain message push whole, or declines
        # and the general path decides (typed.py). Its event is what the event_pushes handler
        # below makes of such a push, so it is used only when that handler would be (a held
        # send may claim a push: rare, checked once the decoder took one).
        if codec._USE_MSGSPEC:
            event = self._typed_push(data)
            if event is not None and not self._reconciler.claims:
                self._out.append(event)
                return
        self._receive_general(data)

    def _receive_general(self, data: bytes | str) -> bool:
        """:meth:`receive` after its start (phase, clock, pong deadline): decode and route.

        Returns ``True`` when ``data`` was an ordinary push its dialect's event handler took:
        that changed nothing but the outputs (and the chat tracker), so a batch need not
        settle the clock, the pong deadline and the reconciler's claim again after it.
        """
        try:
            value = loads(data)
            # The bulk of the traffic: an ordinary push (no request id of ours). Checked here
            # with the same rules as message_from, without building the envelope object.
            if (
                type(value) is dict
                and value.get("type") == "push"
                and value.get("request_id") in (None, "")  # a non-string one is malformed
            ):
                action = value.get("action")
                payload = value.get("payload")  # absent or null: message_parts makes it {}
                if type(action) is str and action and type(payload) is dict:
                    handler = self._event_pushes.get(action)
                    if handler is None or self._reconciler.claims:
                        self._on_plain_push(action, payload)
                        return False
                    # map_push without its layers; never DESTROYED here (_emit_event)
                    self._out.extend(handler(payload, self._tracker))
                    return True
            success, wire_id, action, payload = message_parts(value, data)
        except RemoteProtocolError as exc:
            self._emit_event(ProtocolErrorReport(error=exc))
            return False
        if success is None:
            self._on_push(action, wire_id, payload)
        else:
            self._on_response(cast(str, wire_id), action, success, payload)  # always one
        return False

    def receive_many(self, messages: Iterable[bytes | str], now: float) -> bool:
        """Feed several complete messages read together, in order (one call for a batch).

        The same as :meth:`receive` for each, except that it stops after a message that made
        the core close the transport (:class:`CloseTransport`): nothing more may be fed from
        that transport, not even ``transport_closed``. Returns whether that happened.
        """
        # receive() for each, inline while READY (one call less per message); the typed
        # decoder as receive() uses it. A push the decoder, or the dialect's event handler
        # (_receive_general returns True), takes changes nothing but the outputs (and the
        # chat tracker), so the clock, the pong deadline and the reconciler's claim are
        # settled once and again only after a message that took another path. (While READY
        # a claim can only end, never start: sends are held at a drop. A stale claim sends a
        # push the general way, which decides the same.)
        typed_push = self._typed_push if codec._USE_MSGSPEC else None
        cancel_pong = self._cancel_pong
        append = self._out.append
        settled = False
        claims = True
        for data in messages:
            if self._phase is not Phase.READY:
                self.receive(data, now)
                settled = False
            else:
                if not settled:
                    self._now = now
                    cancel_pong()
                    claims = self._reconciler.claims
                    settled = True
                event = None if typed_push is None or claims else typed_push(data)
                if event is not None:
                    append(event)
                    continue
                if not self._receive_general(data):
                    settled = False
            phase = self._phase
            if phase is not Phase.READY and not transport_open(phase):
                return True
        return False

    def handle_timer(self, now: float) -> None:
        """Fire every deadline that is due at ``now``."""
        if self._phase is Phase.DESTROYED:
            return
        self._now = now
        if self._deadlines_moved:
            self._arm_deadlines()
        while True:
            name = self._timers.pop_due(now)
            if name is None:
                return
            self._fire(name)

    # ----------------------------------------------------------------------------------------
    # Calls and requests

    def _ensure_alive(self) -> None:
        if self._phase is Phase.DESTROYED:
            raise SDKDestroyedError("The client was destroyed.")

    def _ensure_usable(self) -> None:
        if self._phase is Phase.DESTROYED:
            raise SDKDestroyedError("The client was destroyed.")
        if self._stopped:
            raise ConnectionLostError("The client is disconnected.")
        if len(self._open_calls) >= self.config.max_pending_requests:
            raise InvalidArgumentsError("Too many pending requests.")

    def _new_call(self) -> int:
        call = next(self._call_ids)
        self._open_calls.add(call)
        return call

    def _open_call(self, now: float) -> int:
        """:meth:`_ensure_usable`, then a new call (the first step of every method)."""
        self._ensure_usable()
        self._now = now
        call = next(self._call_ids)
        self._open_calls.add(call)
        return call

    def _succeed(self, call: int, value: Any) -> None:
        if call in self._open_calls:
            self._open_calls.discard(call)
            self._out.append(_build_succeeded(call, value))

    def _fail(self, call: int, error: CustomerSDKError) -> None:
        if call in self._open_calls:
            self._open_calls.discard(call)
            self._out.append(CallFailed(call=call, error=error))

    def _failer(self, call: int) -> Callable[[CustomerSDKError], None]:
        return partial(self._fail, call)

    def submit(self, request: PendingRequest) -> None:
        """Write ``request`` now, or queue it in the outbox (in call order)."""
        if (
            self._phase is Phase.READY
            and not self._holding
            and not self._outbox
            and self._has_room()
        ):
            self._write(request)
        else:
            self._outbox.append(request)

    def _submit(self, request: PendingRequest, now: float) -> None:
        self._now = now
        self.submit(request)

    def _write(self, request: PendingRequest) -> None:
        wire_id = str(next(self._wire_ids))
        request.wire_id = wire_id
        request.response = None
        if request.reconcilable:  # where the exactly-once lookup starts (reconcile.py)
            request.since = self._tracker.newest(request.chat or "")
        self._inflight[wire_id] = request
        encoded = request.encoded
        if encoded is None:
            data = encode_request(wire_id, request.action, request.payload)
        else:  # the SDK's own action names need no escaping; the payload is ready
            text = f'{{"request_id":"{wire_id}","action":"{request.action}","payload":{encoded}}}'
            data = text.encode()
        self._out.append(_build_send(data))
        entry = (self._now + self.config.request_timeout, self._timers.tick(), wire_id)
        deadlines = self._deadlines
        if not deadlines or deadlines[-1] <= entry:
            deadlines.append(entry)
            if len(deadlines) > 1:
                if len(deadlines) > 64 and len(deadlines) > 4 * len(self._inflight):
                    self._compact_deadlines()
                return
        else:  # the clock went backwards: keep the deadlines sorted
            bisect.insort(deadlines, entry)
        self._arm_deadlines()

    def _has_room(self) -> bool:
        """Whether one more request may be written: fewer than the dialect's cap unanswered
        (a push-resolved request whose response came no longer counts; one that timed out
        here without an answer still does, see ``_late``)."""
        late = len(self._late)
        if len(self._inflight) + late < self._cap:
            return True
        waiting = sum(1 for request in self._inflight.values() if request.response is None)
        return waiting + late < self._cap

    def _flush(self) -> None:
        while (
            self._outbox and self._phase is Phase.READY and not self._holding and self._has_room()
        ):
            self._write(self._outbox.popleft())

    def _take(self, wire_id: str) -> PendingRequest | None:
        inflight = self._inflight
        request = inflight.pop(wire_id, None)
        if request is not None:
            deadlines = self._deadlines
            # Answers mostly come in order: drop the ended requests at the head at once; the
            # timer is re-armed once, by the next next_deadline() or handle_timer().
            while deadlines and deadlines[0][2] not in inflight:
                deadlines.popleft()
                self._deadlines_moved = True
            if request.response is not None:
                self._timers.cancel(("grace", wire_id))
            if self._outbox and self._has_room():
                self._flush()
        return request

    def _arm_deadlines(self) -> None:
        """Point the request timer at the earliest live deadline (or cancel it)."""
        self._deadlines_moved = False
        deadlines = self._deadlines
        inflight = self._inflight
        while deadlines and deadlines[0][2] not in inflight:
            deadlines.popleft()
        if not deadlines:
            if self._deadlines_armed is not None:
                self._timers.cancel(_REQUESTS)
                self._deadlines_armed = None
            return
        when, seq, _ = deadlines[0]
        if self._deadlines_armed != (when, seq):
            self._timers.schedule(_REQUESTS, when, seq)
            self._deadlines_armed = (when, seq)

    def _compact_deadlines(self) -> None:
        """Forget the deadlines of ended requests (answered out of order)."""
        inflight = self._inflight
        live = [entry for entry in self._deadlines if entry[2] in inflight]
        self._deadlines.clear()  # in place: a caller may hold the deque (a write from _take)
        self._deadlines.extend(live)
        self._deadlines_moved = True

    def _requests_due(self) -> None:
        """The request timer fired: time out the requests due with it, re-arm for the rest."""
        armed, self._deadlines_armed = self._deadlines_armed, None
        deadlines = self._deadlines
        while deadlines and armed is not None and deadlines[0][:2] <= armed:
            wire_id = deadlines.popleft()[2]
            if self._cap != sys.maxsize:  # counted until its late answer (before _take flushes)
                request = self._inflight.get(wire_id)
                if request is not None and request.response is None:
                    self._late.add(wire_id)
            request = self._take(wire_id)
            if request is not None:
                if request.response is not None:
                    self._resolve(request, RESPONSE, request.response)
                else:
                    request.fail(RequestTimeoutError(f"{request.action} timed out."))
        self._arm_deadlines()

    def _resolve(self, request: PendingRequest, source: str, payload: Mapping[str, Any]) -> None:
        try:
            value, events = self.dialect.resolve(
                request.action, source, payload, request.payload or {}, self._tracker
            )
        except RemoteProtocolError as exc:
            self._emit_event(ProtocolErrorReport(error=exc))
            request.fail(
                RequestFailedError(
                    f"The server's answer to {request.action} was malformed.",
                    type="malformed_response",
                )
            )
            return
        if not request.quiet:
            for event in events:
                self._emit_event(event)
        request.succeed(value)

    def _on_response(
        self, wire_id: str, action: str, success: bool, payload: dict[str, Any]
    ) -> None:
        request = self._inflight.get(wire_id)
        if request is None:
            if wire_id in self._settled:
                self._settled.discard(wire_id)
            else:
                self._emit(
                    MessageDropped(action=action, request_id=wire_id, reason="unknown request_id")
                )
                if wire_id in self._late:  # the server let go of it: its slot is free
                    self._late.discard(wire_id)
                    if self._outbox:
                        self._flush()
            return
        if not success:
            self._take(wire_id)
            request.fail(_server_error(payload))
            return
        if request.indirect:
            request.response = payload
            self._timers.schedule(("grace", wire_id), self._now + self.config.indirect_grace)
            if self._outbox:
                self._flush()  # answered: its slot under the cap is free
            return
        self._take(wire_id)
        self._resolve(request, RESPONSE, payload)

    def _on_push(self, action: str, wire_id: str | None, payload: dict[str, Any]) -> None:
        if action == "ping":
            return
        if wire_id is not None:
            dialect = self.dialect
            request = self._inflight.get(wire_id)
            if request is None:
                if dialect.drop_unknown_push_ids:
                    self._emit(
                        MessageDropped(
                            action=action, request_id=wire_id, reason="unknown request_id"
                        )
                    )
                    return
            elif request.indirect and action in dialect.indirect[request.action]:
                self._take(wire_id)
                if request.response is None:
                    self._settled.add(wire_id)
                self._resolve(request, action, payload)
                return
            elif action in dialect.ignored_own_pushes:
                return
        self._on_plain_push(action, payload)

    def _on_plain_push(self, action: str, payload: Mapping[str, Any]) -> None:
        """An ordinary push: lifecycle (``customer_disconnected``) or SDK events."""
        if action == "ping":
            return
        if action == "customer_disconnected":
            self._on_kicked(payload)
            return
        try:
            events = self.dialect.map_push(action, payload, self._tracker)
        except RemoteProtocolError as exc:
            self._emit_event(ProtocolErrorReport(error=exc))
            return
        if self._reconciler.claims:  # our own held send, pushed without our request_id
            events = self._reconciler.claim(events)
        for event in events:
            self._emit_event(event)

    # ----------------------------------------------------------------------------------------
    # Timers

    def _fire(self, name: Any) -> None:
        kind = name[0]
        if name == _REQUESTS:
            self._requests_due()
        elif kind == "grace":
            request = self._take(name[1])
            if request is not None and request.response is not None:
                self._resolve(request, RESPONSE, request.response)
        elif kind == "peek":
            text = self._throttle.fire(name[1])
            if text is not None:
                self._send_sneak_peek(name[1], text)
        elif name == _KEEPALIVE:
            self._ping()
            if _PONG not in self._timers:
                self._timers.schedule(_PONG, self._now + self.config.pong_timeout)
            self._timers.schedule(_KEEPALIVE, self._now + self.config.keepalive_interval)
        elif name == _PONG:
            self._link_failed("keepalive timeout", code=1011)
        elif self._phase is Phase.BACKOFF:
            self._phase = transition(self._phase, Input.BACKOFF_ELAPSED)
            self._begin_attempt()
        else:
            self._link_failed(f"{self._phase.value} timed out", code=1011)

    def _ping(self) -> None:
        if not self.dialect.protocol_ping:
            self._out.append(SendPing())
        elif self._has_room():
            # Answered by the server: any inbound message cancels the pong deadline.
            self._write(PendingRequest("ping", {}, indirect=False))
        # else: the cap is reached; the requests in flight are answered (or time out) instead.

    # ----------------------------------------------------------------------------------------
    # Connection lifecycle (lifecycle.py: token, login, summary, kicks, reconnects, link loss)

    _begin_attempt = lifecycle.begin_attempt
    _open_transport = lifecycle.open_transport
    _send_login = lifecycle.send_login
    _login_ok = lifecycle.login_ok
    _login_failed = lifecycle.login_failed
    _summary_ok = lifecycle.summary_ok
    _summary_failed = lifecycle.summary_failed
    _on_kicked = lifecycle.on_kicked
    _link_failed = lifecycle.link_failed
    _terminal = lifecycle.terminal
    _schedule_reconnect = lifecycle.schedule_reconnect
    _link_down = lifecycle.link_down
    _stop_everything = lifecycle.stop_everything

    # ----------------------------------------------------------------------------------------
    # Exactly-once sends (the lookups live in reconcile.py)

    def _resend(self, requests: list[PendingRequest]) -> None:
        """Reconciliation ended: send the sends that were not found again, first."""
        self._outbox.extendleft(reversed(requests))
        self._holding = False
        self._flush()

    def _history_fail(self, state: _Cursor, error: CustomerSDKError) -> None:
        state.busy = False
        calls = list(state.queue)
        state.queue.clear()
        for call in calls:
            self._fail(call, error)

    # ----------------------------------------------------------------------------------------
    # Sneak peeks, events, helpers

    def _send_sneak_peek(self, chat: str, text: str) -> None:
        if self._phase is not Phase.READY or self._tracker.is_inactive(chat):
            return
        action, payload = self.dialect.sneak_peek(chat, text)
        if not self._has_room():
            self._out.append(
                MessageDropped(action=action, request_id=None, reason="too many requests in flight")
            )
            return
        self._throttle.sent(chat, self._now)

        def report(error: CustomerSDKError) -> None:
            self._out.append(
                MessageDropped(action="send_sneak_peek", request_id=None, reason=str(error))
            )

        self._write(
            PendingRequest(
                action,
                payload,
                indirect=False,
                on_err=report,
            )
        )

    def _emit(self, output: Output) -> None:
        self._out.append(output)

    def _emit_event(self, event: SDKEvent) -> None:
        if self._phase is not Phase.DESTROYED:
            self._out.append(event)

    def __repr__(self) -> str:
        address = (
            f"license_id={self.license_id}"
            if self.organization_id is None
            else f"api={self.api!r}, organization_id={self.organization_id!r}"
        )
        return (
            f"{type(self).__name__}({address}, state={self.state.value!r}, "
            f"phase={self._phase.value!r}, pending_calls={len(self._open_calls)})"
        )

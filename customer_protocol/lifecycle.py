"""The link's lifecycle in the client engine: token, login, summary, kicks, reconnects, loss.

Each function here is a method of :class:`~customer_protocol.engine.ClientEngine` (bound in its
class body, so ``engine._login_ok(...)`` calls :func:`login_ok`); they live apart to keep the
engine module small. They read and write the engine's private state, as its methods do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from .backoff import backoff_delay
from .dialects.base import REDIRECT, TERMINAL
from .dispatch import RESPONSE
from .errors import AuthenticationError, ConnectionLostError, CustomerSDKError
from .events import Connected, ConnectionLost, ConnectionRestored, CustomerId, Disconnected
from .models import ChatsSummary
from .outputs import CloseTransport, FetchToken, OpenTransport, SwitchHost
from .requests import PendingRequest
from .state import Input, Phase, transition, transport_open

if TYPE_CHECKING:
    from .engine import ClientEngine

__all__ = [
    "KEEPALIVE",
    "PHASE",
    "PONG",
    "REQUESTS",
    "begin_attempt",
    "link_down",
    "link_failed",
    "login_failed",
    "login_ok",
    "on_kicked",
    "open_transport",
    "schedule_reconnect",
    "send_login",
    "stop_everything",
    "summary_failed",
    "summary_ok",
    "terminal",
]

# The engine's timer names (besides ("grace", request id) and ("peek", chat)).
PHASE: Final = ("phase",)
"""The current phase's deadline (token, connect, login, backoff)."""
KEEPALIVE: Final = ("keepalive",)
PONG: Final = ("pong",)
REQUESTS: Final = ("requests",)
"""One timer for every written request's timeout: the earliest of the engine's deadlines."""


def begin_attempt(engine: ClientEngine) -> None:
    """Entered the TOKEN phase: use the cached token or ask for one."""
    token = engine._tokens.get(engine._now)
    if token is not None:
        engine._login_token = token
        engine._phase = transition(engine._phase, Input.TOKEN_RECEIVED)
        engine._open_transport()
        return
    engine._out.append(FetchToken(fresh=engine._fresh_token))
    engine._fresh_token = False
    engine._timers.schedule(PHASE, engine._now + engine.config.connect_timeout)


def open_transport(engine: ClientEngine) -> None:
    engine._out.append(OpenTransport())
    engine._timers.schedule(PHASE, engine._now + engine.config.connect_timeout)


def send_login(engine: ClientEngine) -> None:
    token = engine._login_token
    if token is None:  # pragma: no cover - every path to LOGIN sets it
        raise RuntimeError("no token for login")
    engine._timers.schedule(PHASE, engine._now + engine.config.login_timeout)
    engine._write(
        PendingRequest(
            "login",
            engine.dialect.login_payload(token, engine._customer),
            indirect=False,
            on_ok=engine._login_ok,
            on_err=engine._login_failed,
        )
    )


def login_ok(engine: ClientEngine, customer_id: str) -> None:
    engine._phase = transition(engine._phase, Input.LOGIN_OK)
    if engine._customer_id is None:
        token = engine._login_token
        engine._customer_id = (token.customer_id if token else None) or customer_id
    engine._timers.schedule(PHASE, engine._now + engine.config.login_timeout)
    engine._write(
        PendingRequest(
            engine.dialect.summary_action,
            engine.dialect.summary_payload(),
            indirect=False,
            on_ok=engine._summary_ok,
            on_err=engine._summary_failed,
        )
    )


def login_failed(engine: ClientEngine, error: CustomerSDKError) -> None:
    if not transport_open(engine._phase):
        return  # the link already went down; the lifecycle moved on
    kind = error.type
    if isinstance(error, AuthenticationError):
        engine._auth_failures += 1
        if engine._auth_failures >= 2:
            engine._terminal("authentication")
            return
        engine._tokens.invalidate()
        engine._phase = transition(engine._phase, Input.LOGIN_REJECTED)
        engine._timers.schedule(PHASE, engine._now + engine.config.connect_timeout)
        engine._out.append(FetchToken(fresh=True))
    elif kind in engine.dialect.terminal_login_errors:
        engine._terminal(kind or "internal")
    else:
        engine._link_failed(f"login failed: {kind}")


def summary_ok(engine: ClientEngine, value: Any) -> None:
    summary: ChatsSummary = engine.dialect.summary_result(value)
    engine._phase = transition(engine._phase, Input.SUMMARY_OK)
    engine._timers.cancel(PHASE)
    engine._attempt = 0
    engine._auth_failures = 0
    if not engine._customer_id_sent and engine._customer_id is not None:
        engine._customer_id_sent = True
        engine._emit_event(CustomerId(id=engine._customer_id))
    cls = ConnectionRestored if engine._has_connected else Connected
    engine._has_connected = True
    engine._up = True
    engine._emit_event(cls(chats_summary=summary.chats_summary, total_chats=summary.total_chats))
    engine._timers.schedule(KEEPALIVE, engine._now + engine.config.keepalive_interval)
    if engine._reconciler.held:
        engine._holding = True
        engine._reconciler.start()
    else:
        engine._flush()


def summary_failed(engine: ClientEngine, error: CustomerSDKError) -> None:
    if transport_open(engine._phase):
        engine._link_failed("get_chats_summary failed")


def on_kicked(engine: ClientEngine, payload: Mapping[str, Any]) -> None:
    reason = payload.get("reason")
    reason = reason if isinstance(reason, str) and reason else "unknown"
    verdict = engine.dialect.disconnect_verdict(reason, payload.get("data"), engine.host)
    if verdict.kind == TERMINAL:
        engine._terminal(reason)
        return
    engine._emit_event(Disconnected(reason=reason))
    if verdict.fresh_token:
        engine._tokens.invalidate()
        engine._fresh_token = True
    if verdict.kind == REDIRECT and verdict.host is not None:
        engine.host = verdict.host
        engine._emit(SwitchHost(host=verdict.host))
    delay = engine.config.kicked_retry_delay if verdict.delay is None else verdict.delay
    engine._link_failed(f"customer_disconnected: {reason}", delay=delay)


def link_failed(
    engine: ClientEngine, reason: str, *, code: int = 1000, delay: float | None = None
) -> None:
    """The core gives up on the current link: close it and reconnect with backoff."""
    had_transport = transport_open(engine._phase) or engine._phase is Phase.OPENING
    engine._phase = transition(engine._phase, Input.LINK_FAILED)
    if had_transport:
        engine._out.append(CloseTransport(code=code, reason=reason))
    engine._link_down(reconcile=True)
    engine._schedule_reconnect(delay)


def terminal(engine: ClientEngine, reason: str) -> None:
    """A terminal failure: ``disconnected``, close, no reconnect, fail everything."""
    had_transport = transport_open(engine._phase) or engine._phase is Phase.OPENING
    engine._phase = transition(engine._phase, Input.TERMINAL)
    engine._stopped = True
    engine._emit_event(Disconnected(reason=reason))
    if had_transport:
        engine._out.append(CloseTransport(code=1000, reason=reason))
    engine._stop_everything(ConnectionLostError(f"Disconnected: {reason}.", type=reason))


def schedule_reconnect(engine: ClientEngine, delay: float | None = None) -> None:
    if engine._link_was_open:
        engine._attempt = 0
        engine._link_was_open = False
    if delay is None:
        delay = backoff_delay(
            engine._attempt,
            engine._rng(),
            base=engine.config.backoff_base,
            cap=engine.config.backoff_cap,
        )
        engine._attempt += 1
    engine._timers.schedule(PHASE, engine._now + delay)


def link_down(
    engine: ClientEngine, *, reconcile: bool, error: CustomerSDKError | None = None
) -> None:
    """The link is gone: end or keep every in-flight request (sdk.md section 2).

    Written requests fail with ``error`` (``CONNECTION_LOST`` by default; ``destroy()``
    passes ``SDK_DESTROYED``).
    """
    for name in (PHASE, KEEPALIVE, PONG, REQUESTS):
        engine._timers.cancel(name)
    engine._deadlines.clear()
    engine._deadlines_armed = None
    engine._deadlines_moved = False
    engine._holding = False
    engine._reconciler.abort()
    if engine._up:
        engine._up = False
        engine._emit_event(ConnectionLost())
    inflight = list(engine._inflight.values())
    engine._inflight.clear()
    engine._settled.clear()
    engine._late.clear()  # a new link starts with nothing pending at the server
    lost = error if error is not None else ConnectionLostError("The connection was lost.")
    for request in inflight:
        engine._timers.cancel(("grace", request.wire_id))
        if request.response is not None:
            engine._resolve(request, RESPONSE, request.response)
        elif reconcile and request.reconcilable and not request.ended:
            engine._reconciler.hold(request)
        else:
            request.fail(lost)


def stop_everything(engine: ClientEngine, error: CustomerSDKError) -> None:
    """End the link and every pending call with ``error`` (disconnect, terminal, destroy)."""
    engine._link_down(reconcile=False, error=error)
    engine._timers.clear()
    pending = [*engine._reconciler.take_all(), *engine._outbox]
    engine._outbox.clear()
    for request in pending:
        request.fail(error)
    for state in engine._cursors.values():
        engine._history_fail(state, error)
    for call in sorted(engine._uploads):
        engine._fail(call, error)
    engine._uploads.clear()
    engine._upload_outputs.clear()
    for call in sorted(engine._open_calls):  # pragma: no cover - defensive: nothing may hang
        engine._fail(call, error)

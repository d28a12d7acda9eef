"""What the asyncio/trio driver and the sync driver share: everything that is not I/O.

URL parsing, token sources, listener registry, event backlogs with backpressure, logging with
redaction, and the routing of the core's non-I/O outputs. The drivers add only sockets, tasks or
threads, and waiting.
"""

from __future__ import annotations

import inspect
import logging
import random
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from customer_protocol import (
    CallFailed,
    CallSucceeded,
    ClientProtocol,
    ClientState,
    Config,
    Connected,
    ConnectionRestored,
    CustomerSDKError,
    Disconnected,
    InvalidArgumentsError,
    MessageDropped,
    Token,
)
from customer_protocol.codec import loads
from customer_protocol.errors import AuthenticationError, ConnectionLostError, RemoteProtocolError
from customer_protocol.events import (
    EVENT_NAMES,
    NewEvent,
    SDKEvent,
    UserData,
    UserIsTyping,
    UserStoppedTyping,
)
from customer_protocol.outputs import Output
from transports.base import Message, Opened, Pong, TransportEvent

from ._transport import websocket_client_class
from ._url import BaseURL, parse_base_url
from .tokens import AccountsFlow

__all__ = [
    "BaseURL",
    "ClientBase",
    "Listener",
    "TokenLike",
    "normalize_token",
    "parse_base_url",
]

logger = logging.getLogger("customer_protocol.client")

Listener = Callable[[Any], Any]
TokenLike = str | Token | Mapping[str, Any]
"""What a token provider may return: an access token, a :class:`Token`, or a mapping."""

_QUIET_EVENTS = (NewEvent, UserData, UserIsTyping, UserStoppedTyping)
"""Events too frequent for the INFO log (state lines only)."""
_QUIET_TYPES: Final = frozenset(_QUIET_EVENTS)

SDK_EVENT_TYPES: Final[frozenset[type]] = frozenset(SDKEvent.__args__)
"""The output types that are SDK events (a set: one lookup instead of ~30 isinstance checks)."""

HIGH_WATER: Final = 1000
"""Events waiting for a slow ``events()`` consumer before the driver stops reading."""
LOW_WATER: Final = 100
"""Backlog below which reading resumes."""

FED: Final = 0
"""``_feed_all``: every event of the read was fed."""
TRANSPORT_CLOSED: Final = 1
"""``_feed_all``: the transport reported ``Closed`` (fed to the core as transport_closed)."""
CORE_CLOSED: Final = 2
"""``_feed_all``: a message made the core close the transport; the rest of the read is dropped."""


def normalize_token(value: Any) -> Token:
    """Turn what a token provider returned into a :class:`Token`."""
    if isinstance(value, Token):
        return value
    if isinstance(value, str) and value:
        return Token(access_token=value)
    if isinstance(value, Mapping) and isinstance(value.get("access_token"), str):
        expires = value.get("expires_in")
        return Token(
            access_token=value["access_token"],
            token_type=value.get("token_type") or "Bearer",
            expires_in=float(expires) if isinstance(expires, int | float) else None,
            customer_id=value.get("customer_id"),
        )
    raise AuthenticationError("The token provider returned no usable token.")


def call_provider(provider: Callable[..., Any], fresh: bool) -> Any:
    """Call a user token callable, passing ``fresh`` only if it takes an argument."""
    try:
        takes_arg = bool(inspect.signature(provider).parameters)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        takes_arg = False
    return provider(fresh) if takes_arg else provider()


def to_sdk_error(exc: BaseException) -> CustomerSDKError:
    """Map an exception raised while obtaining a token or uploading to the SDK error family."""
    if isinstance(exc, CustomerSDKError):
        return exc
    return ConnectionLostError(f"{type(exc).__name__}: {exc}")


def describe(data: bytes) -> str:
    """A loggable summary of one message: action and request id, never the payload."""
    try:
        message = loads(data)
    except RemoteProtocolError:
        return f"<malformed, {len(data)} bytes>"
    if not isinstance(message, dict):
        return f"<{type(message).__name__}>"
    action = message.get("action")
    request_id = message.get("request_id")
    kind = message.get("type", "request")
    return f"{kind} {action} request_id={request_id} ({len(data)} bytes)"


class Subscriber:
    """One ``events()`` consumer: a backlog of events and whether it is still open."""

    __slots__ = ("backlog", "names", "open")

    def __init__(self, names: frozenset[str] | None) -> None:
        self.names = names
        self.backlog: deque[SDKEvent] = deque()
        self.open = True


class ClientBase:
    """State and policy shared by the async and the sync client (no I/O here)."""

    def __init__(
        self,
        *,
        license_id: int,
        token: Any,
        url: str,
        accounts_url: str | None = None,
        customer: Mapping[str, Any] | None = None,
        config: Config | None = None,
        ssl_context: ssl.SSLContext | None = None,
        open_timeout: float | None = 60.0,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self._rng = rng or random.SystemRandom().random
        self._core = ClientProtocol(
            license_id=license_id, config=config, customer=customer, rng=self._rng
        )
        self.config = self._core.config
        self._websocket_class = websocket_client_class(self.config.websocket)
        self.license_id = license_id
        self.url = parse_base_url(url)
        self._token_source = token
        self.accounts_url = accounts_url
        self._listeners: dict[str, list[Listener]] = {}
        self._subscribers: list[Subscriber] = []
        self._ready_error: CustomerSDKError | None = None
        self._ready = False
        self._armed: float | None = None
        if token is None:
            raise InvalidArgumentsError("'token' must be a token or a token provider.")
        self._ssl = ssl_context
        self._open_timeout = open_timeout
        scheme = {"ws": "http", "wss": "https"}.get(self.url.scheme, self.url.scheme)
        self._web = BaseURL(scheme, self.url.host, self.url.port, self.url.tls, self.url.prefix)
        """The Web API / accounts base: the API URL with an http(s) scheme."""
        if isinstance(token, AccountsFlow) and token.base is None:
            token.set_url(accounts_url or f"{scheme}://{self._web.host_header}")

    # ------------------------------------------------------------------------------------------
    # Public, non-blocking

    @property
    def state(self) -> str:
        """``connecting``, ``connected``, ``reconnecting``, ``disconnected`` or ``destroyed``."""
        return self._core.state.value

    @property
    def customer_id(self) -> str | None:
        """The customer's id once known."""
        return self._core.customer_id

    @property
    def core(self) -> ClientProtocol:
        """The sans-IO core this client drives (for inspection; do not feed it yourself)."""
        return self._core

    def on(self, name: str, listener: Listener) -> None:
        """Call ``listener(event)`` for every event named ``name`` (``"*"``: every event).

        Listeners run in registration order, then the wildcard ones; an exception in one is
        logged and does not stop the others.
        """
        if not isinstance(name, str) or not name:
            raise InvalidArgumentsError("'name' must be an event name or '*'.")
        if not callable(listener):
            raise InvalidArgumentsError("'listener' must be callable.")
        self._listeners.setdefault(name, []).append(listener)

    def off(self, name: str, listener: Listener | None = None) -> None:
        """Remove ``listener`` for ``name`` (every listener of ``name`` when ``None``)."""
        if listener is None:
            self._listeners.pop(name, None)
            return
        registered = self._listeners.get(name, [])
        if listener in registered:
            registered.remove(listener)

    @staticmethod
    def event_names() -> frozenset[str]:
        """The names of the SDK's own events (any other push is named after its action)."""
        return EVENT_NAMES

    # ------------------------------------------------------------------------------------------
    # Output routing shared by the drivers

    def _feed(self, event: TransportEvent, now: float) -> bool:
        """Feed one transport event to the core; ``True`` when the transport closed."""
        core = self._core
        if isinstance(event, Message):
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("< %s", describe(event.data))
            core.receive(event.data, now)
        elif isinstance(event, Pong):
            core.pong_received(now)
        elif isinstance(event, Opened):
            logger.info("= transport open")
            core.transport_opened(now)
        else:
            logger.info("= transport closed %s %s", event.code, event.reason)
            core.transport_closed(now, event.code, event.reason)
            return True
        return False

    def _feed_all(self, events: Iterable[TransportEvent], now: float) -> int:
        """Feed every event of one socket read: its messages as batches (``receive_many``).

        Returns :data:`FED`, :data:`TRANSPORT_CLOSED` or :data:`CORE_CLOSED`; the caller then
        drains the core's outputs once for the whole read.
        """
        core = self._core
        debug = logger.isEnabledFor(logging.DEBUG)
        batch: list[bytes] = []
        for event in events:
            if type(event) is Message:
                if debug:
                    logger.debug("< %s", describe(event.data))
                batch.append(event.data)
                continue
            if batch:
                if core.receive_many(batch, now):
                    return CORE_CLOSED
                batch = []
            if self._feed(event, now):
                return TRANSPORT_CLOSED
        if batch and core.receive_many(batch, now):
            return CORE_CLOSED
        return FED

    def _note_lifecycle(self, event: SDKEvent) -> bool:
        """Track whether the first login succeeded or failed; ``True`` once it is decided."""
        if type(event) in _QUIET_TYPES:  # the bulk of the traffic: no lifecycle, no INFO line
            return self._ready or self._ready_error is not None
        if isinstance(event, Connected | ConnectionRestored):
            self._ready = True
        elif isinstance(event, Disconnected) and self._core.state is ClientState.DISCONNECTED:
            self._ready_error = (
                AuthenticationError(f"Login failed: {event.reason}.", type=event.reason)
                if event.reason == "authentication"
                else ConnectionLostError(f"Disconnected: {event.reason}.", type=event.reason)
            )
        if logger.isEnabledFor(logging.INFO) and not isinstance(event, _QUIET_EVENTS):
            logger.info("= %s (state %s)", event.name, self._core.state.value)
        return self._ready or self._ready_error is not None

    def _deliver(self, event: SDKEvent) -> Sequence[Awaitable[Any]]:
        """Hand ``event`` to listeners, then subscribers; returns awaitables listeners returned."""
        pending = self._call_listeners(event)
        self._enqueue(event)
        return pending

    def _call_listeners(self, event: SDKEvent) -> Sequence[Awaitable[Any]]:
        """Call the listeners of ``event`` in order, then the wildcard ones; log failures."""
        pending: list[Awaitable[Any]] | None = None
        for listener in (*self._listeners.get(event.name, ()), *self._listeners.get("*", ())):
            try:
                result = listener(event)
            except Exception:
                logger.exception("= listener %r for %s failed", listener, event.name)
                continue
            if result is not None and inspect.isawaitable(result):
                if pending is None:
                    pending = []
                pending.append(result)
        return () if pending is None else pending

    def _enqueue(self, event: SDKEvent) -> None:
        """Append ``event`` to every open ``events()`` subscriber that wants it."""
        for subscriber in self._subscribers:
            if subscriber.open and (subscriber.names is None or event.name in subscriber.names):
                subscriber.backlog.append(event)

    def _deadline_moved_earlier(self) -> bool:
        """Whether the core's next deadline is earlier than the one the driver sleeps until.

        Drivers set ``_armed`` to the deadline they sleep until; waking them only when this is
        true spares a wake-up (an event or a syscall) per call.
        """
        deadline = self._core.next_deadline()
        armed = self._armed
        return deadline is not None and (armed is None or deadline < armed)

    def _backlog(self) -> int:
        return max((len(s.backlog) for s in self._subscribers if s.open), default=0)

    def _route(self, output: Output) -> tuple[int, Any, CustomerSDKError | None] | None:
        """Log outputs; return ``(call, value, error)`` for the end of a call, else ``None``."""
        if isinstance(output, CallSucceeded):
            return output.call, output.value, None
        if isinstance(output, CallFailed):
            return output.call, None, output.error
        if isinstance(output, MessageDropped):
            logger.debug("< dropped %s request_id=%s: %s", *_dropped(output))
        return None


def _dropped(output: MessageDropped) -> tuple[str, str | None, str]:
    return output.action, output.request_id, output.reason

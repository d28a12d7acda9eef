"""What the asyncio/trio driver and the sync driver share: everything that is not I/O.

URL parsing, token sources, listener registry, event backlogs with backpressure, logging with
redaction, and the routing of the core's non-I/O outputs. The drivers add only sockets, tasks or
threads, and waiting.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import random
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    ParamSpec,
    Protocol,
    TypeVar,
    assert_never,
    cast,
)

from customer_protocol import (
    CallFailed,
    CallSucceeded,
    ClientProtocol,
    ClientState,
    CloseTransport,
    Config,
    Connected,
    ConnectionRestored,
    CustomerSDKError,
    Disconnected,
    FetchToken,
    InvalidArgumentsError,
    MessageDropped,
    OpenTransport,
    Send,
    SendPing,
    SwitchHost,
    Token,
    UploadFile,
    errors,
)
from customer_protocol.codec import loads
from customer_protocol.errors import (
    AuthenticationError,
    ConnectionLostError,
    RemoteProtocolError,
    SDKDestroyedError,
)
from customer_protocol.events import (
    EVENT_NAMES,
    NewEvent,
    SDKEvent,
    UserData,
    UserIsTyping,
    UserStoppedTyping,
)
from customer_protocol.outputs import Output
from transports.base import Message, MessageTransport, Opened, Pong, TransportEvent
from transports.websocket import make_bh

from ._transport import websocket_client_class
from ._url import BaseURL, parse_base_url
from .tokens import TokenFlow

if TYPE_CHECKING:
    from ._transport import WebSocketTransport

__all__ = [
    "APIS",
    "ApiTarget",
    "BaseURL",
    "ClientBase",
    "Listener",
    "NotSupportedError",
    "TokenLike",
    "bind_accounts",
    "check_target",
    "connector",
    "normalize_token",
    "parse_base_url",
    "web_base",
]

logger = logging.getLogger("customer_protocol.client")

P = ParamSpec("P")
C = TypeVar("C")
E = TypeVar("E", bound="Signal")

Listener = Callable[[Any], Any]
TokenLike = str | Token | Mapping[str, Any]
"""What a token provider may return: an access token, a :class:`Token`, or a mapping."""

_QUIET_EVENTS = (NewEvent, UserData, UserIsTyping, UserStoppedTyping)
"""Events too frequent for the INFO log (state lines only)."""
_QUIET_TYPES: Final = frozenset(_QUIET_EVENTS)

_QUIET_OUTPUTS: Final = frozenset({CallSucceeded, CallFailed, Send, SendPing, MessageDropped})
"""Outputs whose application runs no user code and awaits nothing (``ClientBase._quiet``)."""

SDK_EVENT_TYPES: Final[frozenset[type]] = frozenset(SDKEvent.__args__)
"""The output types that are SDK events, the seed's and v3's (a set: one lookup instead of ~40
isinstance checks)."""

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


APIS: Final = ("0.3", "3.5", "3.6")
"""The values of ``api``: chat.io's Customer API v0.3, LiveChat's Customer Chat API v3.5/v3.6."""


class NotSupportedError(InvalidArgumentsError, errors.NotSupportedError):
    """What this client cannot do: a method its connection cannot carry, or an API version.

    Also a :class:`customer_protocol.NotSupportedError` (what the core raises for a method the
    dialect lacks), so one ``except`` catches both; its code stays ``INVALID_ARGS``.
    """


@dataclass(frozen=True, slots=True)
class ApiTarget:
    """Which API version a client speaks and which account it addresses (checked).

    The one value the adapters pass down: the core and the transports are built from it
    (:meth:`ClientBase._new_transport`, the Web API client's requests).
    """

    api: str
    license_id: int | None = None
    """v0.3: the license (an integer)."""
    organization_id: str | None = None
    """v3.x: the organization (a string, a UUID in production)."""


def check_target(api: str, license_id: int | None, organization_id: str | None) -> ApiTarget:
    """Check ``connect()``'s ``api`` and account arguments; raises a clear error when wrong."""
    if api == "0.3":
        if not isinstance(license_id, int) or isinstance(license_id, bool):
            raise InvalidArgumentsError("api '0.3' needs 'license_id' (an integer).")
        if organization_id is not None:
            raise InvalidArgumentsError("'organization_id' is for api '3.5'/'3.6', not '0.3'.")
    elif api in APIS:
        if not isinstance(organization_id, str) or not organization_id:
            raise InvalidArgumentsError(f"api {api!r} needs 'organization_id' (a string).")
        if license_id is not None:
            raise InvalidArgumentsError(f"'license_id' is for api '0.3', not {api!r}.")
    else:
        raise InvalidArgumentsError(f"'api' must be one of {', '.join(map(repr, APIS))}.")
    return ApiTarget(api, license_id, organization_id)


def web_base(url: BaseURL) -> BaseURL:
    """The Web API / accounts base of an API URL: the same URL with an http(s) scheme."""
    scheme = {"ws": "http", "wss": "https"}.get(url.scheme, url.scheme)
    return BaseURL(scheme, url.host, url.port, url.tls, url.prefix)


def bind_accounts(token: Any, accounts_url: str | None, web: BaseURL) -> None:
    """Point a :class:`TokenFlow` without a URL of its own at ``accounts_url`` or ``web``."""
    if isinstance(token, TokenFlow) and token.base is None:
        token.set_url(accounts_url or f"{web.scheme}://{web.host_header}")


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


def connector(cls: Callable[P, C], doc: str) -> Callable[P, C]:
    """A driver module's ``connect``: builds a ``cls`` with the constructor's own signature."""

    def connect(*args: P.args, **kwargs: P.kwargs) -> C:
        return cls(*args, **kwargs)

    client: Any = cls
    connect.__doc__ = inspect.cleandoc(doc)
    connect.__module__ = client.__module__
    connect.__qualname__ = "connect"
    connect.__signature__ = inspect.signature(cls).replace(  # type: ignore[attr-defined]
        return_annotation=client.__name__
    )
    connect.__annotations__ = {**client.__init__.__annotations__, "return": client}
    return connect


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


class Signal(Protocol):
    """What a driver's event (``anyio.Event``, ``threading.Event``) offers the shared code."""

    def set(self) -> None:
        """Wake whoever waits."""

    def is_set(self) -> bool:
        """Whether :meth:`set` was called."""
        ...


class Waiter(Generic[E]):
    """One caller waiting for a call's end: ``event`` is set once ``value``/``error`` are."""

    __slots__ = ("error", "event", "value")

    def __init__(self, event: E) -> None:
        self.event = event
        self.value: Any = None
        self.error: BaseException | None = None


class Link(Protocol):
    """A driver's open connection, as far as the shared code writes to it."""

    @property
    def transport(self) -> MessageTransport:
        """The sans-IO WebSocket of the connection."""


class ClientBase:
    """State and policy shared by the async and the sync client (no I/O here)."""

    _link: Link | None
    _gen: int
    _waiters: dict[int, Waiter[Any]]
    _ready_event: Signal

    def __init__(
        self,
        *,
        api: str = "0.3",
        license_id: int | None = None,
        organization_id: str | None = None,
        token: Any,
        url: str = "wss://api.chat.io",
        accounts_url: str | None = None,
        customer: Mapping[str, Any] | None = None,
        config: Config | None = None,
        ssl_context: ssl.SSLContext | None = None,
        open_timeout: float | None = 60.0,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.target = check_target(api, license_id, organization_id)
        """The API version and account: what the core and the transports are built for."""
        self.license_id = self.target.license_id
        self._rng = rng or random.SystemRandom().random
        self.url = parse_base_url(url)
        self._core = ClientProtocol(
            api=self.target.api,
            license_id=self.target.license_id,
            organization_id=self.target.organization_id,
            host=self.url.host,
            config=config,
            customer=customer,
            rng=self._rng,
        )
        self.config = self._core.config
        self._websocket_class = websocket_client_class(self.config.websocket)
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
        self._web = web_base(self.url)
        bind_accounts(token, accounts_url, self._web)
        self._init_driver()

    def _init_driver(self) -> None:
        """The driver's own state (locks, waiters, threads); called at the end of ``__init__``."""

    def _new_transport(self) -> WebSocketTransport:
        """A sans-IO WebSocket for a new connection to :attr:`url`, for :attr:`target`.

        Of the class ``Config.websocket`` chose (wsproto's, or websockets' when installed).
        """
        return self._websocket_class(
            host=self.url.host_header,
            license_id=self.target.license_id,
            bh=make_bh(self._rng),
            path_prefix=self.url.prefix,
            max_message_size=self.config.max_message_size,
            api=self.target.api,
            organization_id=self.target.organization_id,
        )

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
        if core.state is ClientState.DESTROYED:
            # destroy() ran while a burst of messages was being fed (the async driver yields
            # between them): the core takes nothing more; its CloseTransport closes the link.
            return False
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
        if not self._subscribers:  # the usual case, asked on every read
            return 0
        return max((len(s.backlog) for s in self._subscribers if s.open), default=0)

    def _quiet(self, output: Output) -> bool:
        """Whether applying ``output`` runs no user code and awaits nothing: a call's end, a
        write, a drop, or a frequent event with no listener and no ``events()`` iterator."""
        kind = type(output)
        if kind in _QUIET_OUTPUTS:
            return True
        listeners = self._listeners
        return (
            kind in _QUIET_TYPES
            and not self._subscribers
            and not listeners.get(cast(SDKEvent, output).name)
            and not listeners.get("*")
        )

    def _apply(self, output: Output) -> CloseTransport | None:
        """Act on one output of the core (the caller holds the driver's lock).

        Writes go to the current link, calls end, events go to :meth:`_emit`; opening and the
        background work (tokens, uploads) go to the driver's hooks. A ``CloseTransport`` is
        returned for the driver to close its link (the async driver awaits the close frame).
        """
        if type(output) in SDK_EVENT_TYPES:  # the bulk of the outputs: one set lookup
            self._apply_event(cast(SDKEvent, output))  # a class of the closed SDKEvent union
            return None
        link = self._link
        # The output classes are disjoint: the most frequent are tested first.
        if isinstance(output, Send):
            if link is not None:
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug("> %s", describe(output.data))
                link.transport.send_message(output.data)
        elif isinstance(output, CallSucceeded | CallFailed):
            waiter = self._waiters.pop(output.call, None)
            if waiter is not None:
                if isinstance(output, CallFailed):
                    waiter.error = output.error
                else:
                    waiter.value = output.value
                waiter.event.set()
        elif isinstance(output, SendPing):
            if link is not None:
                link.transport.send_ping()
        elif isinstance(output, OpenTransport):
            self._gen += 1
            self._open_link(self._gen)
        elif isinstance(output, CloseTransport):
            return output
        elif isinstance(output, FetchToken):
            self._background(self._fetch_token, output.fresh)
        elif isinstance(output, UploadFile):
            self._background(self._upload, output)
        elif isinstance(output, MessageDropped):
            logger.debug("< dropped %s request_id=%s: %s", *_dropped(output))
        elif isinstance(output, SwitchHost):
            # v3 misdirected_connection: later connections (and Web API calls) go to the region.
            logger.info("= moving to host %s", output.host)
            self.url = dataclasses.replace(self.url, host=output.host)
            self._web = web_base(self.url)
        elif isinstance(output, SDKEvent):  # a subclass of an event class (not in the set)
            self._apply_event(output)
        else:  # every output is matched above: a new kind of output must be handled here
            assert_never(output)
        return None

    def _apply_event(self, event: SDKEvent) -> None:
        decided = self._note_lifecycle(event)
        self._emit(event)  # first: whoever waits for ready may then flush the delivered events
        if decided and not self._ready_event.is_set():
            self._ready_event.set()

    def _give_token(self, token: Token | None, exc: Exception | None, now: float) -> bool:
        """Give the core a token, or the failure ``exc`` of the token source (lock held).

        Returns ``False`` when the client is destroyed (nothing to act on).
        """
        if exc is not None:
            logger.warning("= token provider failed: %s", type(exc).__name__)
        if self._core.state.value == "destroyed":
            return False
        if token is not None:
            self._core.token_received(token, now)
        elif exc is not None:
            self._core.token_failed(to_sdk_error(exc), now)
        return True

    def _give_upload(
        self, call: int, payload: dict[str, Any] | None, exc: Exception | None, now: float
    ) -> bool:
        """Give the core the end of upload ``call`` (lock held); ``False`` once destroyed."""
        if self._core.state.value == "destroyed":
            return False
        if payload is not None:
            self._core.upload_finished(call, payload, now)
        else:
            error = SDKDestroyedError() if exc is None else to_sdk_error(exc)
            self._core.upload_failed(call, error, now)
        return True

    # Driver hooks for _apply

    def _open_link(self, gen: int) -> None:
        """Start opening a connection for link generation ``gen``."""
        raise NotImplementedError

    def _background(self, func: Callable[..., Any], *args: Any) -> None:
        """Run ``func(*args)`` beside the driver (a task or a worker thread)."""
        raise NotImplementedError

    def _fetch_token(self, fresh: bool) -> Any:
        """Obtain a token from the token source and give it to the core."""
        raise NotImplementedError

    def _upload(self, output: UploadFile) -> Any:
        """Run the upload ``output`` asks for and give its end to the core."""
        raise NotImplementedError

    def _emit(self, event: SDKEvent) -> None:
        """Hand ``event`` to listeners and ``events()`` subscribers."""
        raise NotImplementedError


def _dropped(output: MessageDropped) -> tuple[str, str | None, str]:
    return output.action, output.request_id, output.reason

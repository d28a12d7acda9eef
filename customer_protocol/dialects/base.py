"""What a dialect is: the data and small functions that differ between protocol versions.

The engine (:mod:`customer_protocol.engine`) owns what every dialect shares: the lifecycle, the
outbox, every timer, exactly-once sends, the sneak-peek throttle, history-cursor queueing and
errors. A :class:`Dialect` (one instance per client, so it may remember per-session data such as
v3's ``customer_side_storage``) tells it which actions exist and how they look on the wire.

The seed's methods and the methods a later dialect adds are implemented by the dialect, on top
of the engine's small set of request primitives; a method a dialect lacks raises
:class:`~customer_protocol.errors.NotSupportedError` here, at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from customer_protocol import args as check
from customer_protocol.errors import CustomerSDKError, InvalidArgumentsError, NotSupportedError
from customer_protocol.events import SDKEvent
from customer_protocol.history import HistoryPosition
from customer_protocol.models import ChatsSummary, HistoryBatch, Thread
from customer_protocol.outputs import UploadFile

if TYPE_CHECKING:
    from customer_protocol.client import ClientProtocol
    from customer_protocol.dispatch import ChatTracker
    from customer_protocol.reconcile import LookupState
    from customer_protocol.requests import PendingRequest
    from customer_protocol.tokens import Token

__all__ = [
    "RECONNECT",
    "REDIRECT",
    "TERMINAL",
    "Dialect",
    "HistoryDone",
    "HistoryRequest",
    "Verdict",
]

Resolved = tuple[Any, list[SDKEvent]]

RECONNECT: Final = "reconnect"
TERMINAL: Final = "terminal"
REDIRECT: Final = "redirect"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What a ``customer_disconnected`` push means for the lifecycle.

    ``kind`` is :data:`RECONNECT` (after ``delay`` seconds, ``None`` = the configured first
    retry delay), :data:`TERMINAL`, or :data:`REDIRECT` (reconnect to ``host``).
    ``fresh_token`` asks for a new token before the next login.
    """

    kind: str
    delay: float | None = None
    fresh_token: bool = False
    host: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryRequest:
    """The next request a history cursor needs; its result goes to the cursor's ``answer``."""

    action: str
    payload: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryDone:
    """A history call ends with ``batch``, after ``events`` are emitted."""

    batch: HistoryBatch
    events: tuple[SDKEvent, ...] = ()


class HistoryCursor:
    """One history cursor's decisions (a dialect's planner); the engine queues the calls."""

    chat: str

    @property
    def position(self) -> HistoryPosition:
        """The committed, serialisable position."""
        raise NotImplementedError

    def step(self) -> HistoryRequest | HistoryDone:
        """What the current call needs next."""
        raise NotImplementedError

    def answer(self, value: Any) -> None:
        """Fold in the result of the last :class:`HistoryRequest`."""
        raise NotImplementedError

    def abort(self) -> None:
        """A request failed: forget the call in progress; the position stays."""
        raise NotImplementedError


def not_supported(api: str, method: str) -> NotSupportedError:
    """The error of a method the dialect ``api`` does not have."""
    return NotSupportedError(f"{method} is not supported by API {api}.", type="not_supported")


class Dialect:
    """Base class of the dialects. Subclasses set the data and override what they speak."""

    api: str = ""
    """The API version the client was built with (``"0.3"``, ``"3.6"``, ...)."""
    indirect: Mapping[str, frozenset[str]] = {}
    """Actions that resolve on the push carrying their ``request_id`` (and those pushes)."""
    terminal_login_errors: frozenset[str] = frozenset()
    """``login`` error types after which the client does not reconnect."""
    max_inflight: int | None = None
    """At most this many requests written and unanswered at once (``None``: no limit)."""
    protocol_ping: bool = False
    """Keepalive with a ``ping`` request answered by the server (else a transport ping)."""
    drop_unknown_push_ids: bool = True
    """A push carrying an unknown ``request_id`` is dropped (else it is an ordinary push)."""
    ignored_own_pushes: frozenset[str] = frozenset()
    """Pushes ignored when they carry the ``request_id`` of one of our requests."""
    methods: Mapping[str, Callable[..., int]] = {}
    event_pushes: Mapping[str, Callable[[Mapping[str, Any], ChatTracker], list[SDKEvent]]] = {}
    """Pushes the engine may map without :meth:`map_push`: ``event_pushes[action](payload,
    tracker)`` must return (or raise) exactly what ``map_push(action, ...)`` does, with the same
    effects (the hot path skips the dispatch layers)."""
    """The SDK methods this dialect has, by name (the others raise ``NOT_SUPPORTED``)."""
    summary_action: str = ""
    """The request after ``login`` whose result (a ``ChatsSummary``) ``connected`` carries."""

    def check_address(self, license_id: Any, organization_id: Any) -> None:
        """Validate the license / organization the client addresses (``INVALID_ARGS``)."""

    def resolve(
        self,
        action: str,
        source: str,
        payload: Mapping[str, Any],
        request: Mapping[str, Any],
        tracker: ChatTracker,
    ) -> Resolved:
        """The result of ``action`` from a push (``source`` = its action) or a response."""
        raise NotImplementedError

    def map_push(
        self, action: str, payload: Mapping[str, Any], tracker: ChatTracker
    ) -> list[SDKEvent]:
        """The SDK events of one ordinary push (never ``customer_disconnected``)."""
        raise NotImplementedError

    def login_payload(self, token: Token, customer: Mapping[str, Any]) -> dict[str, Any]:
        """The ``login`` payload."""
        raise NotImplementedError

    def summary_payload(self) -> Mapping[str, Any] | None:
        """The payload of :attr:`summary_action`."""
        return None

    def summary_result(self, value: Any) -> ChatsSummary:
        """The ``ChatsSummary`` of :attr:`summary_action`'s result (``connected`` carries it)."""
        summary: ChatsSummary = value
        return summary

    def disconnect_verdict(self, reason: str, data: Any, host: str | None) -> Verdict:
        """What the ``customer_disconnected`` ``reason`` means (``host``: the API host)."""
        raise NotImplementedError

    def sneak_peek(self, chat: str, text: str) -> tuple[str, dict[str, Any]]:
        """The request that sends one sneak peek."""
        raise NotImplementedError

    def lookup_page(
        self,
        chat: str,
        state: LookupState,
        write: Callable[[PendingRequest], None],
        on_page: Callable[[Sequence[Thread], bool], None],
        failed: Callable[[CustomerSDKError], None],
    ) -> None:
        """Read the exactly-once lookup's next page of ``chat`` (newest first, from
        ``state.cursor``): call ``on_page(threads that can hold a held send, last)`` or
        ``failed(error)`` once, and move ``state.cursor`` on."""
        raise NotImplementedError

    def uploaded(self, engine: ClientProtocol, call: int, url: str) -> None:
        """The Web API upload of ``call`` returned ``url``: end the call (or go on)."""
        engine.upload_output(call)
        engine.succeed(call, url)

    def history(
        self, engine: ClientProtocol, chat: str, position: HistoryPosition | None
    ) -> HistoryCursor:
        """A new history cursor for ``chat`` (from ``position`` when given)."""
        raise NotImplementedError


def start_upload(
    engine: ClientProtocol,
    now: float,
    data: bytes,
    *,
    action: str,
    chat: str,
    custom_id: str,
    filename: str,
    content_type: str,
) -> int:
    """Check a file (bytes, at most ``Config.max_file_size``), open its call and hand the Web API
    upload (``action``) to the driver; both dialects' file methods end here."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidArgumentsError("'file' must be bytes.")
    check.check_file_size(len(data), engine.config.max_file_size)
    call = engine.open_call(now)
    engine.start_upload(
        call,
        UploadFile(
            call=call,
            chat_id=chat,
            custom_id=custom_id,
            data=bytes(data),
            filename=filename,
            content_type=content_type,
            token=engine.cached_token(now),
            action=action,
        ),
    )
    return call

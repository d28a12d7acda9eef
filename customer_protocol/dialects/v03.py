"""The chat.io Customer API v0.3 dialect (``spec/wire.md``, ``spec/sdk.md``).

Everything the engine needs to know about v0.3: which calls resolve on their push, the
``login`` payload, the reconnect/terminal tables, the sneak-peek request, the exactly-once
lookup (``get_chat_threads_summary`` + ``get_chat_threads``), the history planner, and the
seed's methods. Parsers live in :mod:`customer_protocol.dispatch` and
:mod:`customer_protocol.models`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from customer_protocol import args as check
from customer_protocol import dispatch, payloads
from customer_protocol.errors import CustomerSDKError, InvalidArgumentsError, RequestFailedError
from customer_protocol.events import SDKEvent, ThreadSummaryEvent
from customer_protocol.history import DoneStep, HistoryPlanner, HistoryPosition, Step, SummaryStep
from customer_protocol.models import HistoryBatch, Rating, Thread, ThreadsSummary
from customer_protocol.requests import PendingRequest

from .base import (
    RECONNECT,
    TERMINAL,
    Dialect,
    HistoryCursor,
    HistoryDone,
    HistoryRequest,
    Resolved,
    Verdict,
    start_upload,
)

if TYPE_CHECKING:
    from customer_protocol.client import ClientProtocol
    from customer_protocol.dispatch import ChatTracker
    from customer_protocol.reconcile import LookupState
    from customer_protocol.tokens import Token

__all__ = ["LOOKUP_PAGE", "TERMINAL_LOGIN_ERRORS", "TERMINAL_REASONS", "V03"]

LOOKUP_PAGE: Final = 25
"""The ``limit`` of the ``get_chat_threads_summary`` pages a lookup reads (the SDK's page)."""

TERMINAL_LOGIN_ERRORS: Final = frozenset(
    {"customer_banned", "license_expired", "unsupported_version"}
)
"""Login error types after which the client does not reconnect."""

TERMINAL_REASONS: Final = frozenset(
    {
        "customer_banned",
        "too_many_connections",
        "license_not_found",
        "unsupported_version",
        "license_expired",
    }
)
"""``customer_disconnected`` reasons after which the client does not reconnect."""


# --------------------------------------------------------------------------------------------
# History: sdk.md section 7 over HistoryPlanner


class V03History(HistoryCursor):
    """The v0.3 history cursor: ``get_chat_threads_summary`` pages + ``get_chat_threads``."""

    __slots__ = ("_planner", "_step", "chat")

    def __init__(self, chat: str, position: HistoryPosition | None, batch_events: int) -> None:
        if position is not None and not isinstance(position, HistoryPosition):
            raise InvalidArgumentsError("Malformed history position.")
        if position is not None and position.chat != chat:
            raise InvalidArgumentsError("The history position belongs to another chat.")
        self.chat = chat
        self._planner = HistoryPlanner(
            position or HistoryPosition(chat=chat), batch_events=batch_events
        )
        self._step: Step | _Emit | None = None

    @property
    def position(self) -> HistoryPosition:
        """The committed position (``to_dict`` serialises it)."""
        return self._planner.position

    def step(self) -> HistoryRequest | HistoryDone:
        """The next request of the current call, or its end."""
        step = self._step if self._step is not None else self._planner.begin()
        self._step = step
        if isinstance(step, _Emit):
            self._step = None
            batch = HistoryBatch(done=self._planner.done, value=step.done.events)
            return HistoryDone(batch=batch, events=step.events)
        if isinstance(step, DoneStep):
            self._step = None
            return HistoryDone(batch=HistoryBatch(done=self._planner.done, value=step.events))
        if isinstance(step, SummaryStep):
            payload: dict[str, Any] = {"chat_id": self.chat, "offset": step.offset}
            if step.limit is not None:
                payload["limit"] = step.limit
            return HistoryRequest(action="get_chat_threads_summary", payload=payload)
        return HistoryRequest(
            action="get_chat_threads",
            payload={"chat_id": self.chat, "thread_ids": list(step.thread_ids)},
        )

    def answer(self, value: Any) -> None:
        """Fold in a summary page or the loaded threads."""
        step = self._step
        if isinstance(step, SummaryStep):
            self._step = self._planner.on_summary(step, value)
            return
        threads: tuple[Thread, ...] = value
        done = self._planner.on_threads(threads)
        events: tuple[SDKEvent, ...] = tuple(
            ThreadSummaryEvent(
                id=thread.id, chat=thread.chat, order=thread.order, total_events=len(thread.events)
            )
            for thread in sorted(threads, key=lambda t: t.order)
        )
        self._step = _Emit(done, events)

    def abort(self) -> None:
        """Forget the call in progress."""
        self._step = None
        self._planner.abort()


class _Emit:
    """Threads were loaded: emit their summaries, then end with ``done``."""

    __slots__ = ("done", "events")

    def __init__(self, done: DoneStep, events: tuple[SDKEvent, ...]) -> None:
        self.done = done
        self.events = events


# --------------------------------------------------------------------------------------------
# The seed's methods (each returns a call id)


def start_chat(
    engine: ClientProtocol,
    now: float,
    *,
    events: Sequence[Mapping[str, Any]] = (),
    scope: Mapping[str, Any] | None = None,
    properties: Mapping[str, Any] | None = None,
) -> int:
    """``start_chat``; the result is a :class:`~customer_protocol.models.Chat`."""
    payload = payloads.start_chat(events, scope, properties, engine.new_custom_id)
    return engine.call("start_chat", payload, now)


def send_event(engine: ClientProtocol, chat: str, event: Mapping[str, Any], now: float) -> int:
    """``send_event``; exactly once across drops."""
    return _send(engine, chat, payloads.send_event(chat, event, engine.new_custom_id), now)


def send_message(
    engine: ClientProtocol, chat: str, text: str, now: float, *, custom_id: str | None = None
) -> int:
    """``send_event`` of a ``message``."""
    payload = payloads.send_message(chat, text, custom_id, engine.new_custom_id)
    return _send(engine, chat, payload, now, payloads.encoded_message(payload))


def _send(
    engine: ClientProtocol,
    chat: str,
    payload: dict[str, Any],
    now: float,
    encoded: str | None = None,
) -> int:
    return engine.call(
        "send_event",
        payload,
        now,
        reconcilable=engine.config.exactly_once_sends,
        chat=chat,
        custom_id=payload["event"]["custom_id"],
        encoded=encoded,
    )


def close_thread(engine: ClientProtocol, chat: str, now: float) -> int:
    """``close_thread``; the result is ``True``."""
    return engine.call("close_thread", payloads.close_thread(chat), now)


def get_chats_summary(
    engine: ClientProtocol, now: float, *, offset: int = 0, limit: int = 10
) -> int:
    """``get_chats_summary``."""
    return engine.call("get_chats_summary", payloads.get_chats_summary(offset, limit), now)


def get_chat_threads(
    engine: ClientProtocol, chat: str, thread_ids: Sequence[str], now: float
) -> int:
    """``get_chat_threads``."""
    return engine.call("get_chat_threads", payloads.get_chat_threads(chat, thread_ids), now)


def get_chat_threads_summary(
    engine: ClientProtocol, chat: str, now: float, *, offset: int = 0, limit: int = 25
) -> int:
    """``get_chat_threads_summary``."""
    payload = payloads.get_chat_threads_summary(chat, offset, limit)
    return engine.call("get_chat_threads_summary", payload, now)


def update_customer(
    engine: ClientProtocol,
    now: float,
    *,
    name: str | None = None,
    email: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> int:
    """``update_customer``; remembered for the next login."""
    payload = payloads.update_customer(name, email, fields)
    customer = payload["customer"]
    return engine.call(
        "update_customer", payload, now, before_ok=lambda _: engine.remember_customer(customer)
    )


def update_last_seen_timestamp(
    engine: ClientProtocol, chat: str, now: float, *, timestamp_ms: int | None = None, **_: Any
) -> int:
    """``update_last_seen_timestamp``; the result is the timestamp in ms."""
    payload = payloads.last_seen_timestamp(chat, timestamp_ms)
    return engine.call("update_last_seen_timestamp", payload, now)


def update_chat_properties(
    engine: ClientProtocol, chat: str, properties: Mapping[str, Any], now: float
) -> int:
    """``update_chat_properties``."""
    payload = payloads.chat_properties(chat, properties)
    return engine.call("update_chat_properties", payload, now)


def update_chat_thread_properties(
    engine: ClientProtocol, chat: str, thread: str, properties: Mapping[str, Any], now: float
) -> int:
    """``update_chat_thread_properties``."""
    payload = payloads.thread_properties(chat, thread, properties)
    return engine.call("update_chat_thread_properties", payload, now)


def update_chat_scopes(
    engine: ClientProtocol,
    chat: str,
    now: float,
    *,
    add_scopes: Mapping[str, Any] | None = None,
    remove_scopes: Mapping[str, Any] | None = None,
) -> int:
    """``update_chat_scopes``."""
    payload = payloads.chat_scopes(chat, add_scopes, remove_scopes)
    return engine.call("update_chat_scopes", payload, now)


def send_rating(
    engine: ClientProtocol,
    chat: str,
    value: Literal["good", "bad"],
    now: float,
    *,
    comment: str | None = None,
) -> int:
    """Rate the chat's newest thread (looked up when unknown)."""
    properties = payloads.rating_properties(chat, value, comment)
    call = engine.open_call(now)
    fail = engine.failer(call)

    def rate(thread: str) -> None:
        rating = Rating(chat=chat, thread=thread, value=value, comment=comment)
        engine.submit(
            PendingRequest(
                "update_chat_thread_properties",
                {"chat_id": chat, "thread_id": thread, "properties": properties},
                indirect=True,
                on_ok=lambda _: engine.succeed(call, rating),
                on_err=fail,
            )
        )

    def newest(summary: ThreadsSummary) -> None:
        if not summary.threads_summary:
            fail(RequestFailedError("The chat has no thread to rate.", type="validation"))
            return
        rate(max(summary.threads_summary, key=lambda s: s.order).id)

    thread = engine.tracker.newest_thread(chat)
    if thread is not None:
        rate(thread)
    else:
        engine.submit(
            PendingRequest(
                "get_chat_threads_summary",
                {"chat_id": chat, "offset": 0, "limit": 1},
                indirect=False,
                on_ok=newest,
                on_err=fail,
            )
        )
    return call


def send_file(
    engine: ClientProtocol,
    chat: str,
    data: bytes,
    now: float,
    *,
    filename: str = "file",
    content_type: str = "application/octet-stream",
    custom_id: str | None = None,
) -> int:
    """Upload a file over the Web API (``send_file``); the result is its URL."""
    check.check_chat(chat)
    check.check_optional_str(custom_id, "custom_id")
    return start_upload(
        engine,
        now,
        data,
        action="send_file",
        chat=chat,
        custom_id=custom_id or engine.new_custom_id(),
        filename=filename,
        content_type=content_type,
    )


# --------------------------------------------------------------------------------------------
# The dialect


class V03(Dialect):
    """chat.io Customer API v0.3."""

    api = "0.3"
    indirect = dispatch.INDIRECT
    terminal_login_errors = TERMINAL_LOGIN_ERRORS
    ignored_own_pushes = frozenset({"customer_updated"})
    summary_action = "get_chats_summary"
    event_pushes = dispatch.PUSHES
    methods: Mapping[str, Callable[..., int]] = {
        "start_chat": start_chat,
        "send_event": send_event,
        "send_message": send_message,
        "close_thread": close_thread,
        "get_chats_summary": get_chats_summary,
        "get_chat_threads": get_chat_threads,
        "get_chat_threads_summary": get_chat_threads_summary,
        "update_customer": update_customer,
        "update_last_seen_timestamp": update_last_seen_timestamp,
        "update_chat_properties": update_chat_properties,
        "update_chat_thread_properties": update_chat_thread_properties,
        "update_chat_scopes": update_chat_scopes,
        "send_rating": send_rating,
        "send_file": send_file,
    }

    def check_address(self, license_id: Any, organization_id: Any) -> None:
        """v0.3 addresses a positive integer ``license_id``."""
        if not isinstance(license_id, int) or isinstance(license_id, bool) or license_id <= 0:
            raise InvalidArgumentsError("'license_id' must be a positive integer.")

    def resolve(
        self,
        action: str,
        source: str,
        payload: Mapping[str, Any],
        request: Mapping[str, Any],
        tracker: ChatTracker,
    ) -> Resolved:
        """:func:`customer_protocol.dispatch.resolve`."""
        return dispatch.resolve(action, source, payload, request, tracker)

    def map_push(
        self, action: str, payload: Mapping[str, Any], tracker: ChatTracker
    ) -> list[SDKEvent]:
        """:func:`customer_protocol.dispatch.map_push`."""
        return dispatch.map_push(action, payload, tracker)

    def login_payload(self, token: Token, customer: Mapping[str, Any]) -> dict[str, Any]:
        """``{token, customer}`` (``{"fields": {}}`` when nothing is known)."""
        return {"token": token.authorization, "customer": dict(customer) or {"fields": {}}}

    def disconnect_verdict(self, reason: str, data: Any, host: str | None) -> Verdict:
        """sdk.md section 1: the terminal reasons, else reconnect after 100 ms."""
        return Verdict(kind=TERMINAL if reason in TERMINAL_REASONS else RECONNECT)

    def sneak_peek(self, chat: str, text: str) -> tuple[str, dict[str, Any]]:
        """``send_sneak_peek {chat_id, sneak_peek_text}``."""
        return "send_sneak_peek", {"chat_id": chat, "sneak_peek_text": text}

    def lookup_page(
        self,
        chat: str,
        state: LookupState,
        write: Callable[[PendingRequest], None],
        on_page: Callable[[Sequence[Thread], bool], None],
        failed: Callable[[CustomerSDKError], None],
    ) -> None:
        """A ``get_chat_threads_summary`` page (newest first), then ``get_chat_threads`` of
        the threads on it that can hold a held send."""
        offset: int = state.cursor or 0

        def on_summary(summary: ThreadsSummary) -> None:
            page = summary.threads_summary
            new, reached = state.wanted([(item.order, item.id) for item in page])
            state.cursor = offset + len(page)
            # The last page: the since thread, no older thread, or a page with nothing new in
            # it (a server repeating itself must not keep the lookup going).
            last = reached or not page or state.cursor >= summary.total_threads or not new
            if not new:
                on_page((), True)
                return
            write(
                PendingRequest(
                    "get_chat_threads",
                    {"chat_id": chat, "thread_ids": new},
                    indirect=False,
                    on_ok=lambda threads: on_page(threads, last),
                    on_err=failed,
                    quiet=True,
                )
            )

        write(
            PendingRequest(
                "get_chat_threads_summary",
                {"chat_id": chat, "offset": offset, "limit": LOOKUP_PAGE},
                indirect=False,
                on_ok=on_summary,
                on_err=failed,
                quiet=True,
            )
        )

    def history(
        self, engine: ClientProtocol, chat: str, position: HistoryPosition | None
    ) -> HistoryCursor:
        """sdk.md section 7."""
        return V03History(chat, position, engine.config.history_batch_events)

"""The LiveChat Customer Chat API v3.5/v3.6 dialect (``spec/v3.md``): names, tables, results.

The data layer (objects, payload builders, typed results) is in the ``v3_*`` modules beside
this one; the seed's and the new methods are in :mod:`.v3_calls`. This module holds what the
engine asks a dialect: which calls resolve on their push (only ``start_chat``, ``resume_chat``
and ``send_event``, section 2), the ``login`` payload with ``customer_side_storage`` replayed
(section 8), the reason and login-error tables (section 8), the pushes as SDK events (section
9), the exactly-once lookup over ``list_threads`` and the history cursor (section 6).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from customer_protocol.errors import (
    CustomerSDKError,
    InvalidArgumentsError,
    RemoteProtocolError,
)
from customer_protocol.events import (
    CustomerSideStorageUpdated,
    SDKEvent,
    ThreadSummaryEvent,
    UserData,
)
from customer_protocol.history import HistoryPosition
from customer_protocol.models import Chat, ChatsSummary, Event, HistoryBatch, Thread
from customer_protocol.requests import PendingRequest

from . import v3_errors as errors
from . import v3_objects as objects
from . import v3_payloads as build
from . import v3_pushes as pushes
from . import v3_results as results
from .base import (
    RECONNECT,
    REDIRECT,
    TERMINAL,
    Dialect,
    HistoryCursor,
    HistoryDone,
    HistoryRequest,
    Resolved,
    Verdict,
)

if TYPE_CHECKING:
    from customer_protocol.client import ClientProtocol
    from customer_protocol.dispatch import ChatTracker
    from customer_protocol.reconcile import LookupState
    from customer_protocol.tokens import Token

__all__ = ["LOOKUP_PAGE", "MAX_INFLIGHT", "V3", "OpenedChat"]

MAX_INFLIGHT: Final = 10
"""**(decision)** At most this many requests in flight per connection (v3.md section 2)."""

LOOKUP_PAGE: Final = 25
"""The ``limit`` of the ``list_threads`` pages the exactly-once lookup reads."""

_INDIRECT: Final[Mapping[str, frozenset[str]]] = {
    "start_chat": frozenset({"incoming_chat"}),
    "resume_chat": frozenset({"incoming_chat"}),
    "send_event": frozenset({"incoming_event"}),
}


class OpenedChat:
    """What a ``start_chat``/``resume_chat`` resolved with: the chat and its new thread."""

    __slots__ = ("chat", "thread")

    def __init__(self, chat: Chat, thread: Thread | None) -> None:
        self.chat = chat
        self.thread = thread

    def event(self, custom_id: str | None) -> Event | None:
        """The thread's event with ``custom_id`` (a send that opened the thread)."""
        events = self.thread.events if self.thread is not None else ()
        mine = [event for event in events if event.custom_id == custom_id]
        return mine[0] if mine else (events[-1] if events else None)


def _str(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if type(value) is not str:
        raise RemoteProtocolError(f"payload.{key} must be a string")
    return value


def _dict(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    if type(value) is not dict:
        raise RemoteProtocolError(f"payload.{key} must be an object")
    return value


# --------------------------------------------------------------------------------------------
# History: list_threads + page_id (v3.md section 6)


class V3History(HistoryCursor):
    """``list_threads {chat_id, min_events_count}``, then ``{chat_id, page_id}``."""

    __slots__ = ("_batch", "_done", "_position", "chat")

    def __init__(self, chat: str, position: HistoryPosition | None, batch_events: int) -> None:
        if position is not None and not isinstance(position, HistoryPosition):
            raise InvalidArgumentsError("Malformed history position.")
        if position is not None and position.chat != chat:
            raise InvalidArgumentsError("The history position belongs to another chat.")
        self.chat = chat
        self._position = position or HistoryPosition(chat=chat)
        self._batch = max(1, min(batch_events, build.LIST_THREADS_MAX_LIMIT))
        self._done: HistoryDone | None = None

    @property
    def position(self) -> HistoryPosition:
        """The committed position: the next ``page_id`` (or done)."""
        return self._position

    def step(self) -> HistoryRequest | HistoryDone:
        """The next request of the current call, or its end."""
        if self._done is not None:
            done, self._done = self._done, None
            return done
        position = self._position
        if position.done:
            return HistoryDone(batch=HistoryBatch(done=True, value=None))
        if position.page_id is None:
            payload = build.list_threads(self.chat, min_events_count=self._batch)
        else:
            payload = build.list_threads(self.chat, page_id=position.page_id)
        return HistoryRequest(action="list_threads", payload=payload)

    def answer(self, value: Any) -> None:
        """Fold in a ``list_threads`` page."""
        page: results.ThreadsPage = value
        ordered = sorted(page.threads, key=lambda thread: thread.order)
        done = page.next_page_id is None
        self._position = HistoryPosition(chat=self.chat, page_id=page.next_page_id, done=done)
        self._done = HistoryDone(
            batch=HistoryBatch(
                done=done, value=tuple(event for thread in ordered for event in thread.events)
            ),
            events=tuple(
                ThreadSummaryEvent(
                    id=thread.id,
                    chat=self.chat,
                    order=thread.order,
                    total_events=len(thread.events),
                )
                for thread in ordered
            ),
        )

    def abort(self) -> None:
        """A request failed: the position stays."""
        self._done = None


# --------------------------------------------------------------------------------------------
# The dialect


class V3(Dialect):
    """LiveChat Customer Chat API v3.x (``api="3.5"`` or ``"3.6"``)."""

    indirect = _INDIRECT
    terminal_login_errors = errors.LOGIN_TERMINAL_ERRORS
    max_inflight = MAX_INFLIGHT
    protocol_ping = True
    drop_unknown_push_ids = False
    summary_action = "list_chats"

    def __init__(self, api: str) -> None:
        from .v3_calls import METHODS, METHODS_35  # noqa: PLC0415 - they import this module

        self.api = api
        self.methods = METHODS if api == "3.6" else METHODS_35
        self.customer_side_storage: dict[str, Any] = {}
        """The last map a ``customer_side_storage_updated`` push gave (replayed at login)."""

    def check_address(self, license_id: Any, organization_id: Any) -> None:
        """v3 addresses an ``organization_id`` string."""
        if not isinstance(organization_id, str) or not organization_id:
            raise InvalidArgumentsError("'organization_id' must be a non-empty string.")

    # -- results -------------------------------------------------------------------------------

    def resolve(
        self,
        action: str,
        source: str,
        payload: Mapping[str, Any],
        request: Mapping[str, Any],
        tracker: ChatTracker,
    ) -> Resolved:
        """A v3 request's result: typed (``v3_results``) or, for the push-resolved calls,
        parsed from their push."""
        if source == "incoming_chat":
            parsed = pushes.parse_incoming_chat(payload)
            thread = parsed.thread
            tracker.thread_seen(thread.chat, thread.id, thread.order, None)
            tracker.set_active(thread.chat, thread.active)
            opened = list(pushes.thread_opened_events(parsed))
            return OpenedChat(parsed.chat, thread), opened
        if source == "incoming_event":
            _str(payload, "chat_id")  # required, although the result is the event alone
            thread_id = payload.get("thread_id")
            return objects.parse_event(
                _dict(payload, "event"), thread=thread_id if isinstance(thread_id, str) else None
            ), []
        if action in ("start_chat", "resume_chat"):
            # The push never came (2 s): what the response says.
            parsed = results.parse_result(action, payload)
            chat_id = getattr(parsed, "chat_id", None) or request["chat"]["id"]
            chat = Chat(id=chat_id, threads=(parsed.thread_id,))
            tracker.thread_seen(chat_id, parsed.thread_id, 0, None)
            tracker.set_active(chat_id, True)
            events = request.get("chat", {}).get("thread", {}).get("events", ())
            thread = Thread(
                id=parsed.thread_id,
                chat=chat_id,
                active=True,
                order=0,
                events=tuple(
                    objects.parse_event({**event, "id": event_id}, thread=parsed.thread_id)
                    for event, event_id in zip(events, parsed.event_ids, strict=False)
                ),
            )
            return OpenedChat(chat, thread), []
        if action == "send_event":
            sent = results.parse_send_event(payload)
            return objects.parse_event({**request["event"], "id": sent.event_id}), []
        if action == "list_threads":
            page = results.parse_list_threads(payload, chat=request["chat_id"])
            results.track_threads(page.threads, tracker)
            return page, []
        value = results.parse_result(action, payload)
        if action == "list_chats":
            results.track_chats(value.chats, tracker)
            return value, [UserData(user=user) for user in value.users]
        if action == "get_chat":
            if value.thread is not None:
                results.track_threads((value.thread,), tracker)
            return value, [UserData(user=user) for user in value.users]
        if action == "login":
            return value.customer.id, []
        return value, []

    def summary_result(self, value: Any) -> ChatsSummary:
        """``list_chats`` in the seed's shape."""
        page: results.ChatsPage = value
        return results.chats_summary(page.chats, page.total_chats)

    def summary_payload(self) -> Mapping[str, Any] | None:
        """``list_chats {}`` (the server's default page)."""
        return {}

    # -- pushes --------------------------------------------------------------------------------

    def map_push(
        self, action: str, payload: Mapping[str, Any], tracker: ChatTracker
    ) -> list[SDKEvent]:
        """v3.md section 9 (:func:`.v3_pushes.map_push`); remembers the storage map."""
        events = pushes.map_push(action, payload, tracker)
        for event in events:
            if isinstance(event, CustomerSideStorageUpdated):
                self.customer_side_storage = dict(event.customer_side_storage)
        return events

    # -- lifecycle -----------------------------------------------------------------------------

    def login_payload(self, token: Token, customer: Mapping[str, Any]) -> dict[str, Any]:
        """v3.md section 8: what the client knows of the customer, the storage, the pushes."""
        from customer_protocol import __version__  # noqa: PLC0415 - the package imports us

        # v0.3's customer.monitoring.page {url, title, referrer} is v3's customer_page and
        # referrer (the same client configuration speaks both dialects).
        monitoring = customer.get("monitoring")
        page = monitoring.get("page") if isinstance(monitoring, dict) else None
        page = page if isinstance(page, dict) and isinstance(page.get("url"), str) else None
        customer_page = None
        referrer = None
        if page is not None:
            customer_page = {"url": page["url"]}
            if isinstance(page.get("title"), str):
                customer_page["title"] = page["title"]
            if isinstance(page.get("referrer"), str):
                referrer = page["referrer"]
        return build.login(
            token,
            version=self.api,
            pushes=pushes.pushes_for(self.api),
            application_version=__version__,
            name=customer.get("name"),
            email=customer.get("email"),
            avatar=customer.get("avatar"),
            fields=customer.get("fields") or None,
            customer_side_storage=self.customer_side_storage,
            customer_page=customer_page,
            referrer=referrer,
        )

    def disconnect_verdict(self, reason: str, data: Any, host: str | None) -> Verdict:
        """v3.md section 8's table (:func:`.v3_errors.disconnect_action`)."""
        action = errors.disconnect_action(reason, data if isinstance(data, dict) else None, host)
        if action.terminal:
            return Verdict(kind=TERMINAL)
        if action.host is not None:
            return Verdict(kind=REDIRECT, host=action.host, delay=action.delay)
        return Verdict(kind=RECONNECT, delay=action.delay, fresh_token=action.fresh_token)

    def sneak_peek(self, chat: str, text: str) -> tuple[str, dict[str, Any]]:
        """``send_sneak_peek {chat_id, sneak_peek_text}``."""
        return "send_sneak_peek", {"chat_id": chat, "sneak_peek_text": text}

    # -- exactly-once and history --------------------------------------------------------------

    def lookup_page(
        self,
        chat: str,
        state: LookupState,
        write: Callable[[PendingRequest], None],
        on_page: Callable[[Sequence[Thread], bool], None],
        failed: Callable[[CustomerSDKError], None],
    ) -> None:
        """A ``list_threads`` page (newest first, ``LOOKUP_PAGE`` threads), then the next by
        ``page_id``, until the thread that was newest when the send was written."""

        def on_threads(page: results.ThreadsPage) -> None:
            threads = {thread.id: thread for thread in page.threads}
            new, reached = state.wanted([(thread.order, thread.id) for thread in page.threads])
            state.cursor = page.next_page_id
            last = reached or not page.next_page_id or not new
            on_page([threads[tid] for tid in new], last)

        cursor: str | None = state.cursor
        payload = (
            build.list_threads(chat, limit=LOOKUP_PAGE)
            if cursor is None
            else build.list_threads(chat, page_id=cursor)
        )
        write(
            PendingRequest(
                "list_threads", payload, indirect=False, on_ok=on_threads, on_err=failed, quiet=True
            )
        )

    def history(
        self, engine: ClientProtocol, chat: str, position: HistoryPosition | None
    ) -> HistoryCursor:
        """v3.md section 6."""
        return V3History(chat, position, engine.config.history_batch_events)

    def uploaded(self, engine: ClientProtocol, call: int, url: str) -> None:
        """``upload_file`` returned ``url``: send the file event (v3.md section 4)."""
        from .v3_calls import send_uploaded  # noqa: PLC0415

        send_uploaded(engine, call, url)

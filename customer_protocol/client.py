"""The client state machine: :class:`ClientProtocol`.

It consumes what happened (the transport opened, one server message arrived, the transport
closed, a token arrived, a timer fired, the user called a method) and produces one ordered list
of outputs (:mod:`customer_protocol.outputs` and :mod:`customer_protocol.events`). It does no I/O,
reads no clock and draws no randomness of its own: ``now`` (monotonic seconds) and the random
source are inputs.

A driver is one small loop::

    client = ClientProtocol(license_id=1, rng=random.random)
    client.connect(now())
    while True:
        for output in client.outputs():
            ...  # open/close/write/fetch a token/resolve futures/call listeners
        sleep until client.next_deadline() or input arrives, then feed it:
        client.receive(message, now()) / client.transport_closed(now()) / client.handle_timer(now())
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from . import args as check
from . import payloads
from .engine import ClientEngine, _Cursor
from .errors import CustomerSDKError, InvalidArgumentsError, RequestFailedError
from .events import ThreadSummaryEvent
from .history import DoneStep, HistoryPlanner, HistoryPosition, Step, SummaryStep, ThreadsStep
from .models import HistoryBatch, Rating, Thread, ThreadsSummary
from .outputs import UploadFile
from .requests import PendingRequest

__all__ = ["ClientProtocol"]


class ClientProtocol(ClientEngine):
    """The sans-IO customer client: one instance per SDK instance (it spans reconnects).

    Every input that can start or move a deadline takes ``now`` (monotonic seconds). After any
    input, drain :meth:`outputs` and act on them in order, then sleep until
    :meth:`next_deadline` (or until the next input) and call :meth:`handle_timer`.

    SDK methods return a *call id* at once; the call ends later with exactly one
    :class:`~customer_protocol.outputs.CallSucceeded` or
    :class:`~customer_protocol.outputs.CallFailed` carrying that id. Invalid arguments raise
    :class:`~customer_protocol.errors.InvalidArgumentsError` at once; calls after
    :meth:`disconnect` raise :class:`~customer_protocol.errors.ConnectionLostError`, calls after
    :meth:`destroy` raise :class:`~customer_protocol.errors.SDKDestroyedError`.
    """

    # ----------------------------------------------------------------------------------------
    # SDK methods

    def start_chat(
        self,
        now: float,
        *,
        events: Sequence[Mapping[str, Any]] = (),
        scope: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> int:
        """Start a chat; the result is a :class:`~customer_protocol.models.Chat`."""
        payload = payloads.start_chat(events, scope, properties, self._new_custom_id)
        return self._call("start_chat", payload, now)

    def send_event(self, chat: str, event: Mapping[str, Any], now: float) -> int:
        """Send an event; the result is the event as parsed (exactly once across drops)."""
        return self._send(chat, payloads.send_event(chat, event, self._new_custom_id), now)

    def send_message(
        self, chat: str, text: str, now: float, *, custom_id: str | None = None
    ) -> int:
        """Send a text message (a ``message`` event)."""
        payload = payloads.send_message(chat, text, custom_id, self._new_custom_id)
        return self._send(chat, payload, now)

    def _send(self, chat: str, payload: dict[str, Any], now: float) -> int:
        return self._call(
            "send_event",
            payload,
            now,
            reconcilable=self.config.exactly_once_sends,
            chat=chat,
            custom_id=payload["event"]["custom_id"],
        )

    def close_thread(self, chat: str, now: float) -> int:
        """Close the chat's active thread; the result is ``True``."""
        return self._call("close_thread", payloads.close_thread(chat), now)

    def get_chats_summary(self, now: float, *, offset: int = 0, limit: int = 10) -> int:
        """The customer's chats; the result is a :class:`~customer_protocol.models.ChatsSummary`."""
        return self._call("get_chats_summary", payloads.get_chats_summary(offset, limit), now)

    def get_chat_threads(self, chat: str, thread_ids: Sequence[str], now: float) -> int:
        """Load threads; the result is a tuple of :class:`~customer_protocol.models.Thread`."""
        return self._call("get_chat_threads", payloads.get_chat_threads(chat, thread_ids), now)

    def get_chat_threads_summary(
        self, chat: str, now: float, *, offset: int = 0, limit: int = 25
    ) -> int:
        """A page of thread summaries (offset 0 is the newest page)."""
        payload = payloads.get_chat_threads_summary(chat, offset, limit)
        return self._call("get_chat_threads_summary", payload, now)

    def update_customer(
        self,
        now: float,
        *,
        name: str | None = None,
        email: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> int:
        """Update the customer; the values are also sent at every later login."""
        payload = payloads.update_customer(name, email, fields)
        self._ensure_usable()
        call = self._new_call()

        def remember(value: Any) -> None:
            self._customer.update(payload["customer"])
            self._succeed(call, value)

        self._submit(
            PendingRequest(
                "update_customer",
                payload,
                indirect=False,
                on_ok=remember,
                on_err=self._failer(call),
            ),
            now,
        )
        return call

    def update_last_seen_timestamp(
        self, chat: str, now: float, *, timestamp_ms: int | None = None
    ) -> int:
        """Update the customer's last-seen timestamp; the result is the timestamp in ms."""
        payload = payloads.last_seen_timestamp(chat, timestamp_ms)
        return self._call("update_last_seen_timestamp", payload, now)

    def update_chat_properties(self, chat: str, properties: Mapping[str, Any], now: float) -> int:
        """Set chat properties (flat form); the result is ``True``."""
        payload = payloads.chat_properties(chat, properties)
        return self._call("update_chat_properties", payload, now)

    def update_chat_thread_properties(
        self, chat: str, thread: str, properties: Mapping[str, Any], now: float
    ) -> int:
        """Set thread properties (flat form); the result is ``True``."""
        payload = payloads.thread_properties(chat, thread, properties)
        return self._call("update_chat_thread_properties", payload, now)

    def update_chat_scopes(
        self,
        chat: str,
        now: float,
        *,
        add_scopes: Mapping[str, Any] | None = None,
        remove_scopes: Mapping[str, Any] | None = None,
    ) -> int:
        """Change the chat's scopes (``wire.md`` section 4); the result is ``True``."""
        payload = payloads.chat_scopes(chat, add_scopes, remove_scopes)
        return self._call("update_chat_scopes", payload, now)

    def send_rating(
        self, chat: str, value: Literal["good", "bad"], now: float, *, comment: str | None = None
    ) -> int:
        """Rate the chat's newest thread; the result is a :class:`~.models.Rating`."""
        properties = payloads.rating_properties(chat, value, comment)
        self._ensure_usable()
        self._now = now
        call = self._new_call()
        fail = self._failer(call)

        def rate(thread: str) -> None:
            rating = Rating(chat=chat, thread=thread, value=value, comment=comment)
            self._submit(
                PendingRequest(
                    "update_chat_thread_properties",
                    {"chat_id": chat, "thread_id": thread, "properties": properties},
                    indirect=True,
                    on_ok=lambda _: self._succeed(call, rating),
                    on_err=fail,
                ),
                self._now,
            )

        def newest(summary: ThreadsSummary) -> None:
            if not summary.threads_summary:
                fail(RequestFailedError("The chat has no thread to rate.", type="validation"))
                return
            rate(max(summary.threads_summary, key=lambda s: s.order).id)

        thread = self._tracker.newest_thread(chat)
        if thread is not None:
            rate(thread)
        else:
            self._submit(
                PendingRequest(
                    "get_chat_threads_summary",
                    {"chat_id": chat, "offset": 0, "limit": 1},
                    indirect=False,
                    on_ok=newest,
                    on_err=fail,
                ),
                now,
            )
        return call

    def set_sneak_peek(self, chat: str, text: str, now: float) -> None:
        """Offer the text the customer is typing; throttled per chat, never raises for I/O."""
        self._ensure_alive()
        payloads.sneak_peek(chat, text)
        self._now = now
        send, deadline = self._throttle.offer(chat, text, now)
        if send is not None:
            self._send_sneak_peek(chat, send)
        elif deadline is not None:
            self._timers.schedule(("peek", chat), deadline)

    def send_file(
        self,
        chat: str,
        data: bytes,
        now: float,
        *,
        filename: str = "file",
        content_type: str = "application/octet-stream",
        custom_id: str | None = None,
    ) -> int:
        """Upload a file over the Web API; the result is its URL. Emits :class:`UploadFile`."""
        check.check_chat(chat)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidArgumentsError("'file' must be bytes.")
        check.check_file_size(len(data), self.config.max_file_size)
        check.check_optional_str(custom_id, "custom_id")
        self._ensure_usable()
        self._now = now
        call = self._new_call()
        self._uploads.add(call)
        self._emit(
            UploadFile(
                call=call,
                chat_id=chat,
                custom_id=custom_id or self._new_custom_id(),
                data=bytes(data),
                filename=filename,
                content_type=content_type,
                token=self._tokens.get(now),
            )
        )
        return call

    def upload_finished(self, call: int, payload: Mapping[str, Any], now: float) -> None:
        """The upload of :class:`UploadFile` ``call`` succeeded with response ``payload``."""
        self._now = now
        if call not in self._uploads:
            return
        self._uploads.discard(call)
        url = payload.get("url")
        if not isinstance(url, str):
            self._fail(call, RequestFailedError("The upload response has no url.", type="internal"))
        else:
            self._succeed(call, url)

    def upload_failed(self, call: int, error: CustomerSDKError, now: float) -> None:
        """The upload of :class:`UploadFile` ``call`` failed (or was cancelled)."""
        self._now = now
        if call in self._uploads:
            self._uploads.discard(call)
            self._fail(call, error)

    def get_chat_history(self, chat: str, *, position: HistoryPosition | None = None) -> int:
        """Create a history cursor for ``chat`` (or resume ``position``); returns its id."""
        check.check_chat(chat)
        self._ensure_usable()
        if position is not None and position.chat != chat:
            raise InvalidArgumentsError("The history position belongs to another chat.")
        cursor = next(self._cursor_ids)
        planner = HistoryPlanner(
            position or HistoryPosition(chat=chat), batch_events=self.config.history_batch_events
        )
        self._cursors[cursor] = _Cursor(planner)
        return cursor

    def history_next(self, cursor: int, now: float) -> int:
        """Ask cursor ``cursor`` for its next batch; the result is a :class:`HistoryBatch`."""
        self._ensure_usable()
        state = self._cursors.get(cursor)
        if state is None:
            raise InvalidArgumentsError("Unknown history cursor.")
        self._now = now
        call = self._new_call()
        state.queue.append(call)
        self._history_run(state)
        return call

    def history_position(self, cursor: int) -> HistoryPosition:
        """The committed position of cursor ``cursor`` (serialisable with ``to_dict``)."""
        state = self._cursors.get(cursor)
        if state is None:
            raise InvalidArgumentsError("Unknown history cursor.")
        return state.planner.position

    # ----------------------------------------------------------------------------------------
    # History cursors

    def _history_run(self, state: _Cursor) -> None:
        while state.queue and not state.busy:
            self._history_step(state, state.planner.begin())

    def _history_step(self, state: _Cursor, step: Step) -> None:
        chat = state.planner.chat
        if isinstance(step, DoneStep):
            call = state.queue.popleft()
            self._succeed(call, HistoryBatch(done=state.planner.done, value=step.events))
            return
        state.busy = True

        def on_error(error: CustomerSDKError) -> None:
            state.planner.abort()
            self._history_fail(state, error)

        if isinstance(step, SummaryStep):

            def on_summary(summary: ThreadsSummary) -> None:
                state.busy = False
                self._history_step(state, state.planner.on_summary(step, summary))
                self._history_run(state)

            payload: dict[str, Any] = {"chat_id": chat, "offset": step.offset}
            if step.limit is not None:
                payload["limit"] = step.limit
            request = PendingRequest(
                "get_chat_threads_summary",
                payload,
                indirect=False,
                on_ok=on_summary,
                on_err=on_error,
            )
        else:
            loading: ThreadsStep = step

            def on_threads(threads: tuple[Thread, ...]) -> None:
                state.busy = False
                done = state.planner.on_threads(threads)
                for thread in sorted(threads, key=lambda t: t.order):
                    self._emit_event(
                        ThreadSummaryEvent(
                            id=thread.id,
                            chat=thread.chat,
                            order=thread.order,
                            total_events=len(thread.events),
                        )
                    )
                self._history_step(state, done)
                self._history_run(state)

            request = PendingRequest(
                "get_chat_threads",
                {"chat_id": chat, "thread_ids": list(loading.thread_ids)},
                indirect=False,
                on_ok=on_threads,
                on_err=on_error,
            )
        self._submit(request, self._now)

    # ----------------------------------------------------------------------------------------
    # Helpers

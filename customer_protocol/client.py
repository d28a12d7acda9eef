"""The client state machine: :class:`ClientProtocol`.

It consumes what happened (the transport opened, one server message arrived, the transport
closed, a token arrived, a timer fired, the user called a method) and produces one ordered list
of outputs (:mod:`customer_protocol.outputs` and :mod:`customer_protocol.events`). It does no I/O,
reads no clock and draws no randomness of its own: ``now`` (monotonic seconds) and the random
source are inputs.

A driver is one small loop::

    client = ClientProtocol(license_id=1, rng=random.random)  # or api="3.6", organization_id=...
    client.connect(now())
    while True:
        for output in client.outputs():
            ...  # open/close/write/fetch a token/resolve futures/call listeners
        sleep until client.next_deadline() or input arrives, then feed it:
        client.receive(message, now()) / client.transport_closed(now()) / client.handle_timer(now())
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Literal

from . import args as check
from . import payloads
from .dialects.base import HistoryDone, not_supported
from .dispatch import ChatTracker
from .engine import ClientEngine, _Cursor
from .errors import CustomerSDKError, InvalidArgumentsError, RequestFailedError
from .history import HistoryPosition
from .outputs import UploadFile
from .requests import PendingRequest
from .tokens import Token

__all__ = ["ClientProtocol"]


class ClientProtocol(ClientEngine):
    """The sans-IO customer client: one instance per SDK instance (it spans reconnects).

    ``api`` picks the dialect: ``"0.3"`` (chat.io, addressed by ``license_id``; the default) or
    ``"3.5"``/``"3.6"`` (LiveChat, addressed by ``organization_id``). ``host`` is the API host
    the driver connects to (v3 uses it to decide whether ``misdirected_connection`` may move
    the client to a regional host).

    Every input that can start or move a deadline takes ``now`` (monotonic seconds). After any
    input, drain :meth:`outputs` and act on them in order, then sleep until
    :meth:`next_deadline` (or until the next input) and call :meth:`handle_timer`.

    SDK methods return a *call id* at once; the call ends later with exactly one
    :class:`~customer_protocol.outputs.CallSucceeded` or
    :class:`~customer_protocol.outputs.CallFailed` carrying that id. Invalid arguments raise
    :class:`~customer_protocol.errors.InvalidArgumentsError` at once, a method the dialect does
    not have raises :class:`~customer_protocol.errors.NotSupportedError`; calls after
    :meth:`disconnect` raise :class:`~customer_protocol.errors.ConnectionLostError`, calls after
    :meth:`destroy` raise :class:`~customer_protocol.errors.SDKDestroyedError`.
    """

    # ----------------------------------------------------------------------------------------
    # Primitives for the dialects' methods (customer_protocol/dialects)

    @property
    def tracker(self) -> ChatTracker:
        """Per-chat activity and the newest known thread of each chat."""
        return self._tracker

    @property
    def input_time(self) -> float:
        """The ``now`` of the latest input (monotonic seconds)."""
        return self._now

    def new_custom_id(self) -> str:
        """A fresh ``custom_id`` for an outgoing event."""
        return self._new_custom_id()

    def open_call(self, now: float) -> int:
        """Register a new call (after the usability checks); returns its id."""
        return self._open_call(now)

    def succeed(self, call: int, value: Any) -> None:
        """End ``call`` with ``value`` (ignored if it already ended)."""
        self._succeed(call, value)

    def fail(self, call: int, error: CustomerSDKError) -> None:
        """End ``call`` with ``error`` (ignored if it already ended)."""
        self._fail(call, error)

    def failer(self, call: int) -> Callable[[CustomerSDKError], None]:
        """A callback failing ``call``."""
        return partial(self._fail, call)

    def request(
        self,
        action: str,
        payload: Mapping[str, Any] | None,
        *,
        on_ok: Callable[[Any], None],
        on_err: Callable[[CustomerSDKError], None],
        reconcilable: bool = False,
        chat: str | None = None,
        custom_id: str | None = None,
        encoded: str | None = None,
    ) -> PendingRequest:
        """A request record for ``action`` (push-resolved when the dialect says so);
        ``encoded`` is ``payload`` as compact JSON text when the caller has it."""
        return PendingRequest(
            action,
            payload,
            indirect=action in self.dialect.indirect,
            on_ok=on_ok,
            on_err=on_err,
            reconcilable=reconcilable,
            chat=chat,
            custom_id=custom_id,
            encoded=encoded,
        )

    def call(
        self,
        action: str,
        payload: Mapping[str, Any] | None,
        now: float,
        *,
        reconcilable: bool = False,
        chat: str | None = None,
        custom_id: str | None = None,
        before_ok: Callable[[Any], None] | None = None,
        map_value: Callable[[Any], Any] | None = None,
        encoded: str | None = None,
    ) -> int:
        """A call that is one request: its result is the request's result (through
        ``map_value`` when given; ``before_ok`` sees it first). ``encoded`` is ``payload`` as
        compact JSON text when the caller has it."""
        call = self._open_call(now)
        on_ok: Callable[[Any], None] = partial(self._succeed, call)
        if before_ok is not None or map_value is not None:
            hook, mapper, done = before_ok, map_value, on_ok

            def on_ok(value: Any) -> None:
                if hook is not None:
                    hook(value)
                done(value if mapper is None else mapper(value))

        # self.request(...), inline: every method goes through here.
        self.submit(
            PendingRequest(
                action,
                payload,
                indirect=action in self.dialect.indirect,
                on_ok=on_ok,
                on_err=partial(self._fail, call),
                reconcilable=reconcilable,
                chat=chat,
                custom_id=custom_id,
                encoded=encoded,
            )
        )
        return call

    def remember_customer(self, customer: Mapping[str, Any]) -> None:
        """Remember customer details for every later login."""
        self._customer.update(customer)

    def start_upload(self, call: int, output: UploadFile) -> None:
        """Ask the driver for a Web API upload that ends ``call``."""
        self._uploads.add(call)
        self._upload_outputs[call] = output
        self._emit(output)

    def upload_output(self, call: int) -> UploadFile | None:
        """The :class:`UploadFile` of a finished upload ``call`` (forgotten after this)."""
        return self._upload_outputs.pop(call, None)

    def cached_token(self, now: float) -> Token | None:
        """The cached token, if still valid."""
        return self._tokens.get(now)

    def _method(self, name: str) -> Callable[..., int]:
        impl = self.dialect.methods.get(name)
        if impl is None:
            raise not_supported(self.api, name)
        return impl

    # ----------------------------------------------------------------------------------------
    # The seed's methods

    def start_chat(
        self,
        now: float,
        *,
        events: Sequence[Mapping[str, Any]] = (),
        scope: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> int:
        """Start a chat; the result is a :class:`~customer_protocol.models.Chat`."""
        return self._method("start_chat")(
            self, now, events=events, scope=scope, properties=properties
        )

    def send_event(self, chat: str, event: Mapping[str, Any], now: float) -> int:
        """Send an event; the result is the event as parsed (exactly once across drops)."""
        return self._method("send_event")(self, chat, event, now)

    def send_message(
        self, chat: str, text: str, now: float, *, custom_id: str | None = None
    ) -> int:
        """Send a text message (a ``message`` event)."""
        return self._method("send_message")(self, chat, text, now, custom_id=custom_id)

    def close_thread(self, chat: str, now: float) -> int:
        """Close the chat's active thread; the result is ``True``."""
        return self._method("close_thread")(self, chat, now)

    def get_chats_summary(self, now: float, *, offset: int = 0, limit: int = 10) -> int:
        """The customer's chats; the result is a :class:`~customer_protocol.models.ChatsSummary`."""
        return self._method("get_chats_summary")(self, now, offset=offset, limit=limit)

    def get_chat_threads(self, chat: str, thread_ids: Sequence[str], now: float) -> int:
        """Load threads; the result is a tuple of :class:`~customer_protocol.models.Thread`."""
        return self._method("get_chat_threads")(self, chat, thread_ids, now)

    def get_chat_threads_summary(
        self, chat: str, now: float, *, offset: int = 0, limit: int = 25
    ) -> int:
        """A page of thread summaries (offset 0 is the newest page)."""
        return self._method("get_chat_threads_summary")(self, chat, now, offset=offset, limit=limit)

    def update_customer(
        self,
        now: float,
        *,
        name: str | None = None,
        email: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> int:
        """Update the customer; the values are also sent at every later login."""
        return self._method("update_customer")(self, now, name=name, email=email, fields=fields)

    def update_last_seen_timestamp(
        self,
        chat: str,
        now: float,
        *,
        timestamp_ms: int | None = None,
        wall_ms: int | None = None,
    ) -> int:
        """Update the customer's last-seen timestamp; the result is the timestamp in ms.

        ``wall_ms`` is the wall-clock time (ms since the epoch) the driver passes in; v3 sends
        it when ``timestamp_ms`` is not given (the core reads no clock). v0.3 ignores it.
        """
        return self._method("update_last_seen_timestamp")(
            self, chat, now, timestamp_ms=timestamp_ms, wall_ms=wall_ms
        )

    def update_chat_properties(self, chat: str, properties: Mapping[str, Any], now: float) -> int:
        """Set chat properties (flat form); the result is ``True``."""
        return self._method("update_chat_properties")(self, chat, properties, now)

    def update_chat_thread_properties(
        self, chat: str, thread: str, properties: Mapping[str, Any], now: float
    ) -> int:
        """Set thread properties (flat form); the result is ``True``."""
        return self._method("update_chat_thread_properties")(self, chat, thread, properties, now)

    def update_chat_scopes(
        self,
        chat: str,
        now: float,
        *,
        add_scopes: Mapping[str, Any] | None = None,
        remove_scopes: Mapping[str, Any] | None = None,
    ) -> int:
        """Change the chat's scopes (v0.3 only, ``wire.md`` section 4); the result is ``True``."""
        return self._method("update_chat_scopes")(
            self, chat, now, add_scopes=add_scopes, remove_scopes=remove_scopes
        )

    def send_rating(
        self, chat: str, value: Literal["good", "bad"], now: float, *, comment: str | None = None
    ) -> int:
        """Rate the chat's newest thread; the result is a :class:`~.models.Rating`."""
        return self._method("send_rating")(self, chat, value, now, comment=comment)

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
        return self._method("send_file")(
            self,
            chat,
            data,
            now,
            filename=filename,
            content_type=content_type,
            custom_id=custom_id,
        )

    def upload_finished(self, call: int, payload: Mapping[str, Any], now: float) -> None:
        """The upload of :class:`UploadFile` ``call`` succeeded with response ``payload``."""
        self._now = now
        if call not in self._uploads:
            return
        self._uploads.discard(call)
        url = payload.get("url")
        if not isinstance(url, str):
            self._upload_outputs.pop(call, None)
            self._fail(call, RequestFailedError("The upload response has no url.", type="internal"))
        else:
            self.dialect.uploaded(self, call, url)

    def upload_failed(self, call: int, error: CustomerSDKError, now: float) -> None:
        """The upload of :class:`UploadFile` ``call`` failed (or was cancelled)."""
        self._now = now
        if call in self._uploads:
            self._uploads.discard(call)
            self._upload_outputs.pop(call, None)
            self._fail(call, error)

    # ----------------------------------------------------------------------------------------
    # Methods new in LiveChat v3 (v3.md section 5; NOT_SUPPORTED in v0.3)

    def list_chats(
        self,
        now: float,
        *,
        limit: int | None = None,
        sort_order: str | None = None,
        page_id: str | None = None,
    ) -> int:
        """One ``list_chats`` page (a ``ChatsPage`` with ``next_page_id``)."""
        return self._method("list_chats")(
            self, now, limit=limit, sort_order=sort_order, page_id=page_id
        )

    def list_threads(
        self,
        chat: str,
        now: float,
        *,
        sort_order: str | None = None,
        limit: int | None = None,
        min_events_count: int | None = None,
        page_id: str | None = None,
    ) -> int:
        """One ``list_threads`` page of ``chat`` (a ``ThreadsPage``; newest first by default)."""
        return self._method("list_threads")(
            self,
            now,
            chat,
            sort_order=sort_order,
            limit=limit,
            min_events_count=min_events_count,
            page_id=page_id,
        )

    def get_chat(self, chat: str, now: float, *, thread: str | None = None) -> int:
        """The chat with one thread (the newest unless ``thread``): a ``GetChatResult``."""
        return self._method("get_chat")(self, now, chat, thread)

    def resume_chat(
        self,
        chat: str,
        now: float,
        *,
        events: Sequence[Mapping[str, Any]] = (),
        properties: Mapping[str, Any] | None = None,
        thread_properties: Mapping[str, Any] | None = None,
        access: Mapping[str, Any] | None = None,
        active: bool | None = None,
        continuous: bool | None = None,
    ) -> int:
        """Open a new thread in ``chat``; the result is a :class:`~.models.Chat`."""
        return self._method("resume_chat")(
            self,
            now,
            chat,
            events=events,
            properties=properties,
            thread_properties=thread_properties,
            access=access,
            active=active,
            continuous=continuous,
        )

    def deactivate_chat(self, chat: str, now: float) -> int:
        """Close the chat's active thread; ``True``."""
        return self._method("deactivate_chat")(self, now, chat)

    def delete_event(self, chat: str, thread: str, event: str, now: float) -> int:
        """Delete one of the customer's events (v3.6); ``True``."""
        return self._method("delete_event")(self, now, chat, thread, event)

    def send_rich_message_postback(
        self,
        chat: str,
        thread: str,
        event: str,
        now: float,
        *,
        postback_id: str,
        toggled: bool,
        button_type: str | None = None,
        button_value: str | None = None,
        ecommerce: Mapping[str, Any] | None = None,
    ) -> int:
        """Answer a rich message's button; ``True``."""
        return self._method("send_rich_message_postback")(
            self,
            now,
            chat,
            thread,
            event,
            postback_id,
            toggled,
            button_type=button_type,
            button_value=button_value,
            ecommerce=ecommerce,
        )

    def delete_chat_properties(
        self, chat: str, properties: Mapping[str, Sequence[str]], now: float
    ) -> int:
        """Delete chat properties ``{namespace: [names]}``; ``True``."""
        return self._method("delete_chat_properties")(self, now, chat, properties)

    def delete_thread_properties(
        self, chat: str, thread: str, properties: Mapping[str, Sequence[str]], now: float
    ) -> int:
        """Delete thread properties ``{namespace: [names]}``; ``True``."""
        return self._method("delete_thread_properties")(self, now, chat, thread, properties)

    def update_event_properties(
        self, chat: str, thread: str, event: str, properties: Mapping[str, Any], now: float
    ) -> int:
        """Set event properties (flat form); ``True``."""
        return self._method("update_event_properties")(self, now, chat, thread, event, properties)

    def delete_event_properties(
        self,
        chat: str,
        thread: str,
        event: str,
        properties: Mapping[str, Sequence[str]],
        now: float,
    ) -> int:
        """Delete event properties ``{namespace: [names]}``; ``True``."""
        return self._method("delete_event_properties")(self, now, chat, thread, event, properties)

    def get_customer(self, now: float) -> int:
        """The customer (with ``statistics``): a :class:`~.models.Customer`."""
        return self._method("get_customer")(self, now)

    def set_customer_session_fields(self, fields: Mapping[str, str], now: float) -> int:
        """Set the session fields (remembered for the next login); ``True``."""
        return self._method("set_customer_session_fields")(self, now, fields)

    def update_customer_page(self, url: str, now: float, *, title: str | None = None) -> int:
        """Tell the server which page the customer is on; the groups whose status changed."""
        return self._method("update_customer_page")(self, now, url, title)

    def list_group_statuses(self, now: float, *, group_ids: Sequence[int] | None = None) -> int:
        """Group statuses ``{group_id: status}`` (every group when ``group_ids`` is None)."""
        return self._method("list_group_statuses")(self, now, group_ids)

    def get_form(self, group_id: int, type: str, now: float) -> int:
        """A ``prechat``/``postchat``/``ticket`` form of a group: a ``FormResult``."""
        return self._method("get_form")(self, now, group_id, type)

    def get_predicted_agent(self, now: float) -> int:
        """The agent the chat would be routed to: a ``PredictedAgent``."""
        return self._method("get_predicted_agent")(self, now)

    def get_url_info(self, url: str, now: float) -> int:
        """The title, description and image of a URL: a ``UrlInfo``."""
        return self._method("get_url_info")(self, now, url)

    def mark_events_as_seen(self, chat: str, seen_up_to_ms: int, now: float) -> int:
        """Mark the chat's events up to ``seen_up_to_ms`` (ms) as seen; ``True``."""
        return self._method("mark_events_as_seen")(self, now, chat, seen_up_to_ms)

    def accept_greeting(self, greeting_id: int, unique_id: str, now: float) -> int:
        """Accept a greeting; ``True``."""
        return self._method("accept_greeting")(self, now, greeting_id, unique_id)

    def cancel_greeting(self, unique_id: str, now: float) -> int:
        """Cancel a greeting; ``True``."""
        return self._method("cancel_greeting")(self, now, unique_id)

    def send_greeting_button_clicked(
        self, greeting_unique_id: str, button_id: str, now: float
    ) -> int:
        """Report a click on a greeting's button (v3.6); ``True``."""
        return self._method("send_greeting_button_clicked")(
            self, now, greeting_unique_id, button_id
        )

    def request_welcome_message(
        self, now: float, *, welcome_message_id: str | None = None, group_id: int | None = None
    ) -> int:
        """Ask for a welcome message (v3.6): a ``WelcomeMessage``."""
        return self._method("request_welcome_message")(
            self, now, welcome_message_id=welcome_message_id, group_id=group_id
        )

    def cancel_rate(self, chat: str, now: float, *, properties: Sequence[str] = ("score",)) -> int:
        """Withdraw the rating of the chat's newest thread; ``True``."""
        return self._method("cancel_rate")(self, now, chat, properties)

    def upload_file(
        self,
        data: bytes,
        now: float,
        *,
        filename: str = "file",
        content_type: str = "application/octet-stream",
    ) -> int:
        """Upload a file over the Web API (emits :class:`UploadFile`); the result is its URL."""
        return self._method("upload_file")(
            self, now, data, filename=filename, content_type=content_type
        )

    # ----------------------------------------------------------------------------------------
    # History cursors

    def get_chat_history(self, chat: str, *, position: HistoryPosition | None = None) -> int:
        """Create a history cursor for ``chat`` (or resume ``position``); returns its id."""
        check.check_chat(chat)
        self._ensure_usable()
        planner = self.dialect.history(self, chat, position)
        cursor = next(self._cursor_ids)
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
    # History cursors: one call at a time per cursor, in call order (sdk.md section 7)

    def _history_run(self, state: _Cursor) -> None:
        while state.queue and not state.busy:
            step = state.planner.step()
            if isinstance(step, HistoryDone):
                for event in step.events:
                    self._emit_event(event)
                self._succeed(state.queue.popleft(), step.batch)
                continue
            state.busy = True
            self._submit(
                PendingRequest(
                    step.action,
                    step.payload,
                    indirect=False,
                    on_ok=partial(self._history_answer, state),
                    on_err=partial(self._history_error, state),
                ),
                self._now,
            )

    def _history_answer(self, state: _Cursor, value: Any) -> None:
        state.busy = False
        state.planner.answer(value)
        self._history_run(state)

    def _history_error(self, state: _Cursor, error: CustomerSDKError) -> None:
        state.planner.abort()
        self._history_fail(state, error)

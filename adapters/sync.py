"""The blocking client: ``from adapters.sync import connect`` (same method names as async).

Plain blocking sockets, two background threads:

* the **I/O thread** owns the socket: it waits (``select``) for data or the core's next
  deadline, feeds the core and writes what it asks for;
* the **event thread** runs your listeners (``on``) in order and feeds ``events()``
  iterators, so a listener may call blocking client methods.

Every method may be called from any thread; each call blocks only its caller::

    with connect(license_id=1, token="...", url="ws://127.0.0.1:8080") as client:
        chat = client.start_chat()
        client.send_message(chat.id, "Hello")
        for event in client.events(timeout=5):
            print(event)
"""

from __future__ import annotations

import contextlib
import queue
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, cast

from customer_protocol import (
    Chat,
    ChatsSummary,
    CloseTransport,
    Config,
    Event,
    FetchToken,
    HistoryBatch,
    HistoryPosition,
    OpenTransport,
    Rating,
    Send,
    SendPing,
    Thread,
    ThreadsSummary,
    Token,
    UploadFile,
)
from customer_protocol.errors import ConnectionLostError, CustomerSDKError, SDKDestroyedError
from customer_protocol.events import SDKEvent
from customer_protocol.outputs import Output
from transports.websocket import make_bh

from ._blocking import exchange, open_socket, token_from
from ._common import (
    HIGH_WATER,
    LOW_WATER,
    SDK_EVENT_TYPES,
    TRANSPORT_CLOSED,
    ClientBase,
    Subscriber,
    describe,
    logger,
    to_sdk_error,
)
from ._http import READ_SIZE, Progress, exchange_steps
from ._upload import FileLike, history_item, read_file, upload_plan
from .tokens import AccountsFlow

if TYPE_CHECKING:
    from ._transport import WebSocketTransport

__all__ = ["AccountsFlow", "Client", "History", "connect"]

SEND_TIMEOUT = 30.0
"""A write that cannot complete in this long counts as a lost connection."""
_STOP = object()


class _Waiter:
    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class _Link:
    __slots__ = ("sock", "transport")

    def __init__(self, sock: socket.socket, transport: WebSocketTransport) -> None:
        self.sock = sock
        self.transport = transport


class History:
    """A chat history cursor: ``history.next()`` or ``for events in history``."""

    def __init__(self, client: Client, cursor: int) -> None:
        self._client = client
        self._cursor = cursor
        self._finished = False

    def next(self) -> HistoryBatch:
        """Load the next (older) batch: ``HistoryBatch(done, value)``."""
        core = self._client.core
        return cast(HistoryBatch, self._client._call(core.history_next, self._cursor))

    @property
    def position(self) -> HistoryPosition:
        """Where the cursor is; pass it to ``get_chat_history(position=...)`` to resume."""
        return self._client.core.history_position(self._cursor)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> tuple[Event, ...]:
        if self._finished:
            raise StopIteration
        value, self._finished = history_item(self.next())
        if value is None:
            raise StopIteration
        return value


class Client(ClientBase):
    """The blocking customer chat client. ``with connect(...) as client:`` connects.

    Listeners run on the client's event thread, in registration order.
    """

    def __init__(
        self,
        *,
        license_id: int,
        token: Any,
        url: str = "wss://api.chat.io",
        accounts_url: str | None = None,
        customer: Mapping[str, Any] | None = None,
        config: Config | None = None,
        ssl_context: ssl.SSLContext | None = None,
        open_timeout: float | None = 60.0,
        rng: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(
            license_id=license_id,
            token=token,
            url=url,
            accounts_url=accounts_url,
            customer=customer,
            config=config,
            ssl_context=ssl_context,
            open_timeout=open_timeout,
            rng=rng,
        )
        self._lock = threading.RLock()
        self._cond = threading.Condition()
        self._waiters: dict[int, _Waiter] = {}
        self._progress: dict[int, Progress] = {}
        self._link: _Link | None = None
        self._armed_link: _Link | None = None
        self._gen = 0
        self._open_gen: int | None = None
        self._closing = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._dispatch: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._to_dispatch: list[SDKEvent] = []  # the events of the batch being pumped
        self._ready_event = threading.Event()
        self._io = threading.Thread(target=self._io_loop, name="customer-protocol-io", daemon=True)
        self._events_thread = threading.Thread(
            target=self._dispatch_loop, name="customer-protocol-events", daemon=True
        )
        self._started = False

    # ------------------------------------------------------------------------------------------
    # Context management and lifecycle

    def __enter__(self) -> Self:
        if self._started:
            raise RuntimeError("a client can be entered once")
        self._started = True
        self._io.start()
        self._events_thread.start()
        try:
            self.connect()
            if not self._ready_event.wait(self._open_timeout):
                raise ConnectionLostError("Could not connect in time.")
            self._flush_events()  # as in the async client: listeners saw the login's events
            if self._ready_error is not None and not self._ready:
                raise self._ready_error
        except BaseException:
            self._flush_events()
            self.__exit__(None, None, None)
            raise
        return self

    def _flush_events(self, timeout: float = 5.0) -> None:
        """Wait (at most ``timeout``) until the event thread delivered every queued event."""
        flushed = threading.Event()
        self._dispatch.put(flushed)
        flushed.wait(timeout)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.destroy()
        self._closing = True
        self._wake()
        self._dispatch.put(_STOP)
        current = threading.current_thread()
        for thread in (self._io, self._events_thread):
            if thread.is_alive() and thread is not current:
                thread.join(5)
        with self._lock:
            self._close_link(1000, "bye")
        self._wake_r.close()
        self._wake_w.close()

    def connect(self) -> None:
        """Start connecting (again, after :meth:`disconnect`)."""
        self._locked(self._core.connect, time.monotonic())

    def disconnect(self) -> None:
        """Close and stop reconnecting; pending calls fail with ``CONNECTION_LOST``."""
        self._locked(self._core.disconnect, time.monotonic())

    def destroy(self) -> None:
        """Remove listeners, close, fail everything with ``SDK_DESTROYED``. Idempotent."""
        self._listeners.clear()
        self._locked(self._core.destroy)
        with self._cond:
            for subscriber in self._subscribers:
                subscriber.open = False
            self._cond.notify_all()

    # ------------------------------------------------------------------------------------------
    # SDK methods

    def start_chat(
        self,
        *,
        events: Sequence[Mapping[str, Any]] = (),
        scope: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> Chat:
        """Start a chat (optionally with first events)."""
        call = self._core.start_chat
        return cast(Chat, self._call(call, events=events, scope=scope, properties=properties))

    def send_event(self, chat: str, event: Mapping[str, Any]) -> Event:
        """Send an event; exactly once across reconnects (by ``custom_id``)."""
        return cast(Event, self._call(self._core.send_event, chat, event))

    def send_message(self, chat: str, text: str, *, custom_id: str | None = None) -> Event:
        """Send a text message."""
        return cast(Event, self._call(self._core.send_message, chat, text, custom_id=custom_id))

    def close_thread(self, chat: str) -> bool:
        """Close the chat's active thread."""
        return cast(bool, self._call(self._core.close_thread, chat))

    def get_chats_summary(self, *, offset: int = 0, limit: int = 10) -> ChatsSummary:
        """The customer's chats, most recent activity first."""
        method = self._core.get_chats_summary
        return cast(ChatsSummary, self._call(method, offset=offset, limit=limit))

    def get_chat_threads(self, chat: str, thread_ids: Sequence[str]) -> tuple[Thread, ...]:
        """Load threads by id, sorted by order."""
        return cast(tuple[Thread, ...], self._call(self._core.get_chat_threads, chat, thread_ids))

    def get_chat_threads_summary(
        self, chat: str, *, offset: int = 0, limit: int = 25
    ) -> ThreadsSummary:
        """A page of thread summaries (offset 0 is the newest page)."""
        method = self._core.get_chat_threads_summary
        return cast(ThreadsSummary, self._call(method, chat, offset=offset, limit=limit))

    def update_customer(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> bool:
        """Update the customer (also sent at every later login)."""
        method = self._core.update_customer
        return cast(bool, self._call(method, name=name, email=email, fields=fields))

    def update_last_seen_timestamp(self, chat: str, timestamp: int | None = None) -> int:
        """Update the last-seen timestamp (ms); returns the stored timestamp in ms."""
        method = self._core.update_last_seen_timestamp
        return cast(int, self._call(method, chat, timestamp_ms=timestamp))

    def update_chat_properties(self, chat: str, properties: Mapping[str, Any]) -> bool:
        """Set chat properties (``{namespace: {name: value}}``)."""
        return cast(bool, self._call(self._core.update_chat_properties, chat, properties))

    def update_chat_thread_properties(
        self, chat: str, thread: str, properties: Mapping[str, Any]
    ) -> bool:
        """Set thread properties (``{namespace: {name: value}}``)."""
        method = self._core.update_chat_thread_properties
        return cast(bool, self._call(method, chat, thread, properties))

    def update_chat_scopes(
        self,
        chat: str,
        *,
        add_scopes: Mapping[str, Any] | None = None,
        remove_scopes: Mapping[str, Any] | None = None,
    ) -> bool:
        """Change the chat's scopes."""
        method = self._core.update_chat_scopes
        return cast(
            bool, self._call(method, chat, add_scopes=add_scopes, remove_scopes=remove_scopes)
        )

    def send_rating(
        self, chat: str, value: Literal["good", "bad"], comment: str | None = None
    ) -> Rating:
        """Rate the chat's newest thread ``"good"`` or ``"bad"``."""
        return cast(Rating, self._call(self._core.send_rating, chat, value, comment=comment))

    def send_file(
        self,
        chat: str,
        file: FileLike,
        *,
        custom_id: str | None = None,
        on_progress: Progress | None = None,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str:
        """Upload a file over the Web API (10 MiB max); returns its URL.

        ``on_progress(sent, total)`` is called from a worker thread; returning ``False``
        cancels the upload (the call then fails with ``CANCELLED``).
        """
        data, name, kind = read_file(file, filename, content_type)
        method = self._core.send_file
        options = {"filename": name, "content_type": kind, "custom_id": custom_id}
        return cast(str, self._call(method, chat, data, _progress=on_progress, **options))

    def set_sneak_peek(self, chat: str, text: str) -> None:
        """Offer what the customer is typing; never blocks on the network (throttled)."""
        self._locked(self._core.set_sneak_peek, chat, text, time.monotonic())

    def get_chat_history(self, chat: str, *, position: HistoryPosition | None = None) -> History:
        """A history cursor for ``chat`` (newest batch first; resume from ``position``)."""
        with self._lock:
            return History(self, self._core.get_chat_history(chat, position=position))

    def events(self, *names: str, timeout: float | None = None) -> Iterator[SDKEvent]:
        """Every event (or those named); stops after ``timeout`` seconds without one.

        A slow consumer applies backpressure: past a backlog the client stops reading.
        """
        subscriber = Subscriber(frozenset(names) or None)
        with self._cond:
            self._subscribers.append(subscriber)
        try:
            while True:
                with self._cond:
                    while not subscriber.backlog and subscriber.open:
                        if not self._cond.wait(timeout):
                            return
                    if not subscriber.backlog:
                        return
                    event = subscriber.backlog.popleft()
                    drained = len(subscriber.backlog) == LOW_WATER
                if drained:
                    self._wake()
                yield event
        finally:
            with self._cond:
                subscriber.open = False
                self._subscribers.remove(subscriber)
            self._wake()

    # ------------------------------------------------------------------------------------------
    # Calls

    def _locked(self, method: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            result = method(*args)
            self._pump()
            wake = self._io_must_wake()
        if wake:
            self._wake()
        return result

    def _io_must_wake(self) -> bool:
        """Whether the I/O thread sleeps on something stale: a deadline now too late, a link
        that changed, or a transport to open. (Called with the lock held.)"""
        return (
            self._open_gen is not None
            or self._link is not self._armed_link
            or self._deadline_moved_earlier()
        )

    def _call(
        self,
        method: Callable[..., int],
        *args: Any,
        _progress: Progress | None = None,
        **kwargs: Any,
    ) -> Any:
        waiter = _Waiter()
        with self._lock:
            call = method(*args, now=time.monotonic(), **kwargs)
            self._waiters[call] = waiter
            if _progress is not None:
                self._progress[call] = _progress
            self._pump()
            wake = self._io_must_wake()
        if wake:
            self._wake()
        waiter.done.wait()
        if waiter.error is not None:
            raise waiter.error
        return waiter.value

    # ------------------------------------------------------------------------------------------
    # The driver (the caller holds self._lock in every method below)

    def _pump(self) -> None:
        act = self._act
        while outputs := self._core.outputs():
            self._to_dispatch = []
            for output in outputs:
                act(output)
            if self._to_dispatch:  # one hand-over to the event thread per batch, not per event
                self._dispatch.put(self._to_dispatch)
            self._flush()

    def _act(self, output: Output) -> None:
        if type(output) in SDK_EVENT_TYPES:
            self._act_event(cast(SDKEvent, output))
            return
        link = self._link
        if isinstance(output, Send):
            if link is not None:
                if logger.isEnabledFor(10):
                    logger.debug("> %s", describe(output.data))
                link.transport.send_message(output.data)
        elif isinstance(output, SendPing):
            if link is not None:
                link.transport.send_ping()
        elif isinstance(output, OpenTransport):
            self._gen += 1
            self._open_gen = self._gen
        elif isinstance(output, CloseTransport):
            self._close_link(output.code, output.reason)
        elif isinstance(output, FetchToken):
            self._worker(self._fetch_token, output.fresh)
        elif isinstance(output, UploadFile):
            self._worker(self._upload, output)
        else:
            ended = self._route(output)
            if ended is not None:
                call, value, error = ended
                waiter = self._waiters.pop(call, None)
                if waiter is not None:
                    waiter.value, waiter.error = value, error
                    waiter.done.set()
            elif isinstance(output, SDKEvent.__args__):  # a subclass of an SDK event
                self._act_event(cast(SDKEvent, output))

    def _act_event(self, event: SDKEvent) -> None:
        self._to_dispatch.append(event)
        if self._note_lifecycle(event) and not self._ready_event.is_set():
            # Hand the batch over first: whoever waits for ready then flushes the event thread.
            self._dispatch.put(self._to_dispatch)
            self._to_dispatch = []
            self._ready_event.set()

    def _flush(self) -> None:
        link = self._link
        if link is None:
            return
        data = link.transport.data_to_send()
        if data:
            try:
                link.sock.sendall(data)
            except OSError:
                self._drop_link()

    def _drop_link(self) -> None:
        link = self._link
        if link is not None:  # the socket is broken: no close frame (1006 cannot be sent)
            self._gen += 1
            self._link = None
            with contextlib.suppress(OSError):
                link.sock.close()
            self._core.transport_closed(time.monotonic())

    def _close_link(self, code: int, reason: str) -> None:
        self._gen += 1
        link, self._link = self._link, None
        if link is None:
            return
        link.transport.close(code, reason)
        with contextlib.suppress(OSError):
            link.sock.sendall(link.transport.data_to_send())
        with contextlib.suppress(OSError):
            link.sock.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _worker(self, target: Callable[..., None], *args: Any) -> None:
        threading.Thread(
            target=target, args=args, name="customer-protocol-worker", daemon=True
        ).start()

    # ------------------------------------------------------------------------------------------
    # Threads

    def _io_loop(self) -> None:
        while not self._closing:
            with self._lock:
                deadline = self._armed = self._core.next_deadline()
                open_gen, self._open_gen = self._open_gen, None
                link = self._armed_link = self._link
            if open_gen is not None:
                self._open(open_gen)
                continue
            watch: list[Any] = [self._wake_r]
            if link is not None and self._backlog() < HIGH_WATER:
                watch.append(link.sock)
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                readable, _, _ = select.select(watch, [], [], timeout)
            except (OSError, ValueError):
                readable = []
            if self._wake_r in readable:
                with contextlib.suppress(OSError):
                    self._wake_r.recv(4096)
            if link is not None and link.sock in readable:
                self._on_readable(link)
            with self._lock:
                now = time.monotonic()
                deadline = self._core.next_deadline()
                if deadline is not None and deadline <= now:
                    self._core.handle_timer(now)
                    self._pump()

    def _on_readable(self, link: _Link) -> None:
        try:
            data = link.sock.recv(READ_SIZE)
            if isinstance(link.sock, ssl.SSLSocket):
                while link.sock.pending():
                    data += link.sock.recv(READ_SIZE)
        except (TimeoutError, BlockingIOError, ssl.SSLWantReadError):
            return
        except OSError:
            data = b""
        with self._lock:
            if self._link is not link:
                return
            transport = link.transport
            transport.receive_data(data)
            # Everything this read produced in one go, then one drain of the outputs.
            if self._feed_all(transport.events(), time.monotonic()) == TRANSPORT_CLOSED:
                self._flush()
                self._close_link(1000, "")
            self._pump()
            self._flush()

    def _open(self, gen: int) -> None:
        base = self.url
        try:
            sock = open_socket(base, self._ssl, self.config.connect_timeout)
            sock.settimeout(SEND_TIMEOUT)
        except OSError as exc:
            logger.info("= connect to %s failed: %s", base.host_header, exc)
            with self._lock:
                if gen == self._gen and self._link is None and self._core.phase.value == "opening":
                    self._core.transport_closed(time.monotonic())
                    self._pump()
            return
        transport = self._websocket_class(
            host=base.host_header,
            license_id=self.license_id,
            bh=make_bh(self._rng),
            path_prefix=base.prefix,
            max_message_size=self.config.max_message_size,
        )
        with self._lock:
            if gen != self._gen:
                sock.close()
                return
            self._link = _Link(sock, transport)
            self._flush()

    def _dispatch_loop(self) -> None:
        while True:
            item = self._dispatch.get()
            if item is _STOP:
                return
            if isinstance(item, threading.Event):  # a flush marker
                item.set()
                continue
            for event in item:  # the events of one batch of outputs, in order
                self._dispatch_event(event)

    def _dispatch_event(self, event: SDKEvent) -> None:
        """Run the listeners of ``event`` (on the event thread), then feed ``events()``."""
        for awaitable in self._call_listeners(event):
            # A coroutine listener cannot run here: there is no event loop in this thread.
            logger.error("= listener for %s returned an awaitable; sync listeners only", event.name)
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()
        if self._subscribers:  # events() iterators register under the condition
            with self._cond:
                self._enqueue(event)
                self._cond.notify_all()

    def _token(self, fresh: bool) -> Token:
        return token_from(
            self._token_source,
            fresh,
            web=self._web,
            ssl_context=self._ssl,
            timeout=self.config.connect_timeout,
        )

    def _fetch_token(self, fresh: bool) -> None:
        try:
            token: Token | None = self._token(fresh)
            error: CustomerSDKError | None = None
        except Exception as exc:
            token, error = None, to_sdk_error(exc)
            logger.warning("= token provider failed: %s", type(exc).__name__)
        with self._lock:
            if self._core.state.value == "destroyed":
                return
            if token is not None:
                self._core.token_received(token, time.monotonic())
            elif error is not None:
                self._core.token_failed(error, time.monotonic())
            self._pump()
        self._wake()

    def _upload(self, output: UploadFile) -> None:
        call = output.call
        payload: dict[str, Any] | None = None
        error: CustomerSDKError | None = None
        try:
            token = output.token or self._token(False)
            plan = upload_plan(output, token, self._web, self.license_id, self._rng)
            steps = exchange_steps(
                plan.request, body=plan.body, on_progress=self._progress.get(call)
            )
            payload = plan.decode(
                exchange(self._web, steps, ssl_context=self._ssl, timeout=SEND_TIMEOUT)
            )
        except Exception as exc:
            error = to_sdk_error(exc)
        self._progress.pop(call, None)
        with self._lock:
            if self._core.state.value != "destroyed":
                if payload is not None:
                    self._core.upload_finished(call, payload, time.monotonic())
                else:
                    self._core.upload_failed(call, error or SDKDestroyedError(), time.monotonic())
                self._pump()


def connect(
    *,
    license_id: int,
    token: Any,
    url: str = "wss://api.chat.io",
    accounts_url: str | None = None,
    customer: Mapping[str, Any] | None = None,
    config: Config | None = None,
    ssl_context: ssl.SSLContext | None = None,
    open_timeout: float | None = 60.0,
) -> Client:
    """Create a client; ``with`` it to connect (listeners can be attached first)."""
    return Client(
        license_id=license_id,
        token=token,
        url=url,
        accounts_url=accounts_url,
        customer=customer,
        config=config,
        ssl_context=ssl_context,
        open_timeout=open_timeout,
    )

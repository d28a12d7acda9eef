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
import functools
import queue
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from customer_protocol import Event, HistoryPosition, Token, UploadFile
from customer_protocol.errors import ConnectionLostError
from customer_protocol.events import SDKEvent

from ._blocking import exchange, open_socket, token_from
from ._common import (
    HIGH_WATER,
    LOW_WATER,
    TRANSPORT_CLOSED,
    ClientBase,
    Subscriber,
    Waiter,
    connector,
    logger,
    normalize_token,
)
from ._http import READ_SIZE, Progress, exchange_steps
from ._surface import Blocking, Call, Cursor, Surface, Upload
from ._upload import history_item, upload_plan
from .tokens import AccountsFlow, TokenFlow

if TYPE_CHECKING:
    from ._transport import WebSocketTransport

__all__ = ["AccountsFlow", "Client", "History", "connect"]

T = TypeVar("T")
SEND_TIMEOUT = 30.0
"""A write that cannot complete in this long counts as a lost connection."""
_STOP = object()


class _Latch:
    """A one-shot event one thread waits for: a lock held until :meth:`set` releases it.

    A call's caller waits on one of these rather than a ``threading.Event``, whose condition
    costs a lock allocation and two more lock round trips per wait. Set once (the client's
    lock held); waited for by one thread.
    """

    __slots__ = ("_lock", "_set")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._set = False

    def set(self) -> None:
        """Wake the waiter (idempotent)."""
        if not self._set:
            self._set = True
            self._lock.release()

    def is_set(self) -> bool:
        """Whether :meth:`set` was called."""
        return self._set

    def wait(self) -> None:
        """Block until :meth:`set` (at once if it was)."""
        self._lock.acquire()
        self._lock.release()


class _Link:
    __slots__ = ("send_all", "sock", "transport")

    def __init__(self, sock: socket.socket, transport: WebSocketTransport) -> None:
        self.sock = sock
        self.transport = transport
        #: Write all of the bytes (at most SEND_TIMEOUT; TimeoutError past it).
        self.send_all: Callable[[bytes], object]
        if isinstance(sock, ssl.SSLSocket):
            sock.settimeout(SEND_TIMEOUT)
            self.send_all = sock.sendall
        else:
            # Non-blocking: with a timeout set, CPython polls the socket before every send
            # and recv (two syscalls per request round trip); the I/O thread reads only
            # what select() reported, and writes wait in _send_all when the buffer is full.
            sock.setblocking(False)
            self.send_all = functools.partial(_send_all, sock)


def _send_all(sock: socket.socket, data: bytes) -> None:
    """``sock.sendall(data)`` for a non-blocking socket, waiting at most SEND_TIMEOUT in all."""
    view = memoryview(data)
    deadline = None
    while view:
        try:
            sent = sock.send(view)
        except BlockingIOError:
            sent = 0
        view = view[sent:]
        if view:
            now = time.monotonic()
            if deadline is None:
                deadline = now + SEND_TIMEOUT
            if now >= deadline:
                raise TimeoutError("timed out writing to the connection")
            select.select([], [sock], [], deadline - now)


class History(Cursor, Blocking):
    """A chat history cursor: ``history.next()`` or ``for events in history``."""

    _client: Client

    def _run(self, call: Call[T]) -> T:
        return self._client._run(call)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> tuple[Event, ...]:
        if self._finished:
            raise StopIteration
        value, self._finished = history_item(self.next())
        if value is None:
            raise StopIteration
        return value


class Client(ClientBase, Surface, Blocking):
    """The blocking customer chat client. ``with connect(...) as client:`` connects.

    Listeners run on the client's event thread, in registration order.
    """

    _ready_event: threading.Event

    def _init_driver(self) -> None:
        self._lock = threading.RLock()
        self._cond = threading.Condition()
        self._waiters: dict[int, Waiter[_Latch]] = {}
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
        # Batches handed to the event thread / delivered by it (one writer each): equal when
        # the event thread has nothing left to deliver.
        self._batches_put = 0
        self._batches_done = 0
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

    def _run(self, call: Call[T]) -> T:
        progress = None
        if isinstance(call, Upload):
            call.read()
            progress = call.on_progress
        waiter = Waiter(_Latch())
        with self._lock:
            id_ = call.issue(self._core, time.monotonic())
            self._waiters[id_] = waiter
            if progress is not None:
                self._progress[id_] = progress
            self._pump()
            wake = self._io_must_wake()
        if wake:
            self._wake()
        waiter.event.wait()
        if waiter.error is not None:
            raise waiter.error
        return cast(T, waiter.value)

    # ------------------------------------------------------------------------------------------
    # The driver (the caller holds self._lock in every method below)

    def _pump(self) -> None:
        apply = self._apply
        while outputs := self._core.outputs():
            self._to_dispatch = []
            for output in outputs:
                if (close := apply(output)) is not None:
                    self._close_link(close.code, close.reason)
            if self._to_dispatch:  # one hand-over to the event thread per batch, not per event
                self._batches_put += 1
                self._dispatch.put(self._to_dispatch)
            self._flush()

    def _open_link(self, gen: int) -> None:
        self._open_gen = gen  # the I/O thread opens it

    def _emit(self, event: SDKEvent) -> None:
        if (
            not self._to_dispatch
            and self._batches_done == self._batches_put
            and not self._subscribers
            and not any(self._listeners.values())
            and self._ready_event.is_set()
        ):
            # Nobody to deliver it to, and no listener still to run that could register one:
            # the event thread would do nothing with it, so it is not woken up (a thread
            # switch per response and push otherwise).
            return
        self._to_dispatch.append(event)
        if not self._ready_event.is_set() and (self._ready or self._ready_error is not None):
            # Entering is about to return: hand the batch over before it flushes the thread.
            self._batches_put += 1
            self._dispatch.put(self._to_dispatch)
            self._to_dispatch = []

    def _flush(self) -> None:
        link = self._link
        if link is None:
            return
        data = link.transport.data_to_send()
        if data:
            try:
                link.send_all(data)
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
            link.send_all(link.transport.data_to_send())
        with contextlib.suppress(OSError):
            link.sock.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _background(self, target: Callable[..., Any], *args: Any) -> None:
        source = self._token_source
        static = not callable(source) and not isinstance(source, TokenFlow)
        if target == self._fetch_token and static:
            # A token given as a value: no thread to start (it took milliseconds on a loaded
            # machine, in every connect). Its outputs are drained by the pump running this.
            token, error = None, None
            try:
                token = normalize_token(source)
            except Exception as exc:
                error = exc
            self._give_token(token, error, time.monotonic())
            return
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
        except OSError as exc:
            logger.info("= connect to %s failed: %s", base.host_header, exc)
            with self._lock:
                if gen == self._gen and self._link is None and self._core.phase.value == "opening":
                    self._core.transport_closed(time.monotonic())
                    self._pump()
            return
        transport = self._new_transport()
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
            self._batches_done += 1

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
        token, error = None, None
        try:
            token = self._token(fresh)
        except Exception as exc:
            error = exc
        with self._lock:
            if self._give_token(token, error, time.monotonic()):
                self._pump()
        self._wake()

    def _upload(self, output: UploadFile) -> None:
        call = output.call
        payload: dict[str, Any] | None = None
        error: Exception | None = None
        try:
            token = output.token or self._token(False)
            plan = upload_plan(output, token, self._web, self.target, self._rng)
            steps = exchange_steps(
                plan.request, body=plan.body, on_progress=self._progress.get(call)
            )
            payload = plan.decode(
                exchange(self._web, steps, ssl_context=self._ssl, timeout=SEND_TIMEOUT)
            )
        except Exception as exc:
            error = exc
        self._progress.pop(call, None)
        with self._lock:
            if self._give_upload(call, payload, error, time.monotonic()):
                self._pump()


connect = connector(
    Client, """Create a client; ``with`` it to connect (listeners can be attached first)."""
)

"""The async client: ONE anyio implementation behind ``adapters.asyncio`` and ``adapters.trio``.

The driver is small because the core owns every timer and policy: feed the core what happened,
act on its outputs in order, sleep until its next deadline. One lock serialises everything that
touches the core or the transport, so outputs are acted on in the order the core produced them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import inspect
import ssl
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

import anyio
import anyio.abc
import anyio.lowlevel

from customer_protocol import (
    CancelledError,
    ConnectionLostError,
    Event,
    HistoryPosition,
    Token,
    UploadFile,
)
from customer_protocol.events import SDKEvent
from customer_protocol.outputs import Output
from transports.http import ResponseReceived

from ._aiostream import AsyncioStream, running_on_asyncio
from ._aiostream import connect_tcp as asyncio_connect_tcp
from ._common import (
    HIGH_WATER,
    LOW_WATER,
    TRANSPORT_CLOSED,
    BaseURL,
    ClientBase,
    Subscriber,
    Waiter,
    call_provider,
    connector,
    logger,
    normalize_token,
)
from ._http import READ_SIZE, Progress, exchange_steps
from ._surface import Awaiting, Call, Cursor, Surface, Upload
from ._upload import history_item, upload_plan
from .tokens import TokenFlow

if TYPE_CHECKING:
    from ._transport import WebSocketTransport

__all__ = ["AsyncClient", "AsyncHistory", "connect"]

T = TypeVar("T")
_NETWORK_ERRORS = (
    OSError,
    ssl.SSLError,
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
)


class _Link:
    __slots__ = ("gen", "stream", "transport")

    def __init__(
        self, gen: int, stream: anyio.abc.ByteStream, transport: WebSocketTransport
    ) -> None:
        self.gen = gen
        self.stream = stream
        self.transport = transport


class _DriverLock:
    """The driver's lock: FIFO, and an uncontended acquire or release never yields.

    What ``anyio.Lock(fast_acquire=True)`` does, with two differences that make it cheaper
    on the hot path (taken twice per request round trip): acquiring an uncontended lock is
    not a cancellation point (the next await is), and no task ownership is recorded.
    Ownership passes straight to the first waiter on release; a waiter cancelled after it
    was handed the lock passes it on.
    """

    __slots__ = ("_locked", "_waiters")

    def __init__(self) -> None:
        self._locked = False
        self._waiters: collections.deque[anyio.Event] = collections.deque()

    def locked(self) -> bool:
        """Whether someone holds the lock."""
        return self._locked

    def try_acquire(self) -> bool:
        """Take the lock if it is free (never waits); ``False`` when someone holds it."""
        if self._locked:
            return False
        self._locked = True
        return True

    async def __aenter__(self) -> None:
        if not self._locked:
            self._locked = True
            return
        handed = anyio.Event()
        self._waiters.append(handed)
        try:
            await handed.wait()
        except BaseException:
            if handed.is_set():  # the lock was ours already: hand it on
                self.release()
            else:
                self._waiters.remove(handed)
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()

    def release(self) -> None:
        """Let the lock go (to the first waiter, if any)."""
        if self._waiters:
            self._waiters.popleft().set()  # stays locked: the first waiter owns it now
        else:
            self._locked = False


class _FutureEvent:
    """A call's end on asyncio: one future of the loop, what ``asyncio.Event`` adds a waiter
    list, a coroutine and a running-loop look-up (a ``getpid`` call on Linux) to."""

    __slots__ = ("_future",)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._future: asyncio.Future[None] = loop.create_future()

    def set(self) -> None:
        """End the wait (once; a no-op after, or after the waiter was cancelled)."""
        if not self._future.done():
            self._future.set_result(None)

    def is_set(self) -> bool:
        """Whether :meth:`set` was called (or the wait was cancelled)."""
        return self._future.done()

    def wait(self) -> asyncio.Future[None]:
        """The awaitable to wait on."""
        return self._future


class AsyncHistory(Cursor, Awaiting):
    """A chat history cursor: ``await history.next()`` or ``async for events in history``."""

    _client: AsyncClient

    async def _run(self, call: Call[T]) -> T:
        return await self._client._run(call)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> tuple[Event, ...]:
        if self._finished:
            raise StopAsyncIteration
        value, self._finished = history_item(await self.next())
        if value is None:
            raise StopAsyncIteration
        return value


class AsyncClient(ClientBase, Surface, Awaiting):
    """The customer chat client for asyncio and trio (the same code, through anyio).

    Create it with :func:`connect`, attach listeners, then ``async with client:`` connects and
    returns once the first login succeeded (or raises if it cannot: bad token twice, banned).
    Leaving the block destroys the client. Listeners run in the client's driver task: keep them
    short (a listener may return an awaitable; it is run as a separate task).
    """

    _ready_event: anyio.Event

    def _init_driver(self) -> None:
        self._waiters: dict[int, Waiter[Any]] = {}
        # Outputs taken from the core but left to a task (see _read_inline): applied first.
        self._deferred: list[Output] = []
        # An exception raised in the read callback, raised again by the reader task (as if
        # it had taken the read itself) rather than left to asyncio's transport.
        self._inline_error: BaseException | None = None
        # The event a call's caller waits on: the running backend's own (set at enter), which
        # spares anyio.Event's backend look-up on every call.
        self._call_event: Callable[[], Any] = anyio.Event
        self._progress: dict[int, Progress] = {}
        self._upload_scopes: dict[int, anyio.CancelScope] = {}
        self._link: _Link | None = None
        self._wake_pending = False
        self._gen = 0
        self._tg: anyio.abc.TaskGroup | None = None
        self._started = False
        self._on_asyncio = False
        self._clock: Callable[[], float] = anyio.current_time

    # ------------------------------------------------------------------------------------------
    # Context management

    async def __aenter__(self) -> Self:
        if self._started:
            raise RuntimeError("a client can be entered once")
        self._started = True
        self._on_asyncio = running_on_asyncio()
        # The clock anyio.current_time() reads, without its look-ups on every call.
        if self._on_asyncio:
            loop = asyncio.get_running_loop()
            self._clock = loop.time
            self._call_event = functools.partial(_FutureEvent, loop)
        else:  # anyio's other backend
            import trio  # noqa: PLC0415 - optional, and running when we are here

            self._clock = trio.current_time
            self._call_event = trio.Event
        # Uncontended (almost always), taking the lock need not yield to the event loop.
        self._lock = _DriverLock()
        self._timer_wake = anyio.Event()
        self._new_events = anyio.Event()
        self._drained = anyio.Event()
        self._ready_event = anyio.Event()
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._timer_loop)
        try:
            await self.connect()
            with anyio.move_on_after(self._open_timeout):
                await self._ready_event.wait()
            if not self._ready_event.is_set():
                raise ConnectionLostError("Could not connect in time.")
            if self._ready_error is not None and not self._ready:
                raise self._ready_error
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with anyio.CancelScope(shield=True):
            await self.destroy()
        if self._tg is not None:
            self._tg.cancel_scope.cancel()
            await self._tg.__aexit__(None, None, None)
            self._tg = None

    # ------------------------------------------------------------------------------------------
    # Lifecycle methods

    async def connect(self) -> None:
        """Start connecting (again, after :meth:`disconnect`)."""
        self._core.connect(self._now())
        await self._pump()

    async def disconnect(self) -> None:
        """Close and stop reconnecting; pending calls fail with ``CONNECTION_LOST``."""
        self._core.disconnect(self._now())
        await self._pump()

    async def destroy(self) -> None:
        """Remove listeners, close, fail everything with ``SDK_DESTROYED``. Idempotent."""
        self._listeners.clear()
        self._core.destroy()
        await self._pump()
        for subscriber in self._subscribers:
            subscriber.open = False
        self._wake_subscribers()

    # ------------------------------------------------------------------------------------------
    # SDK methods

    async def _send_file(self, upload: Upload) -> str:
        await anyio.to_thread.run_sync(upload.read)
        call = upload.issue(self._core, self._now())
        if upload.on_progress is not None:
            self._progress[call] = upload.on_progress
        try:
            return cast(str, await self._wait(call))
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                scope = self._upload_scopes.pop(call, None)
                if scope is not None:
                    scope.cancel()
                self._core.upload_failed(
                    call, CancelledError("The upload was cancelled."), self._now()
                )
                await self._pump()
            raise

    def set_sneak_peek(self, chat: str, text: str) -> None:
        """Offer what the customer is typing; never blocks (throttled per chat)."""
        self._core.set_sneak_peek(chat, text, self._now())
        if self._tg is not None:
            self._tg.start_soon(self._pump)

    def get_chat_history(
        self, chat: str, *, position: HistoryPosition | None = None
    ) -> AsyncHistory:
        """A history cursor for ``chat`` (newest batch first; resume from ``position``)."""
        return AsyncHistory(self, self._core.get_chat_history(chat, position=position))

    async def events(self, *names: str) -> AsyncIterator[SDKEvent]:
        """Every event (or those named), as a typed stream; ends when the client is destroyed.

        A slow consumer applies backpressure: past a backlog the client stops reading.
        """
        subscriber = Subscriber(frozenset(names) or None)
        self._subscribers.append(subscriber)
        try:
            while subscriber.open or subscriber.backlog:
                while subscriber.backlog:
                    event = subscriber.backlog.popleft()
                    if len(subscriber.backlog) <= LOW_WATER:
                        self._drained.set()
                    yield event
                if not subscriber.open:
                    break
                await self._new_events.wait()
        finally:
            subscriber.open = False
            self._subscribers.remove(subscriber)
            self._drained.set()

    # ------------------------------------------------------------------------------------------
    # The driver

    def _now(self) -> float:
        try:
            return self._clock()
        except Exception:  # pragma: no cover - outside an event loop
            return 0.0

    async def _run(self, call: Call[T]) -> T:
        if isinstance(call, Upload):
            return cast(T, await self._send_file(call))
        return cast(T, await self._wait(call.issue(self._core, self._now())))

    async def _wait(self, call: int) -> Any:
        waiter = self._waiters[call] = Waiter(self._call_event())
        if not self._pump_now():  # asyncio: the request written without awaiting
            await self._pump()
        try:
            event = waiter.event
            if event.is_set():  # as anyio.Event.wait: a checkpoint even when already set
                await anyio.lowlevel.checkpoint()
            else:
                await event.wait()
        finally:
            self._waiters.pop(call, None)
        if waiter.error is not None:
            raise waiter.error
        return waiter.value

    async def _pump(self) -> None:
        if not self._started:
            return
        async with self._lock:
            await self._pump_locked()
        self._wake_timer()

    def _wake_timer(self) -> None:
        """Wake the timer task if the core's next deadline is now earlier than the one it
        sleeps until (after anything that fed the core or drained its outputs)."""
        if self._deadline_moved_earlier():
            self._timer_wake.set()

    def _outputs(self) -> list[Output]:
        """The core's outputs, after those an inline read left for a task."""
        deferred = self._deferred
        if not deferred:
            return self._core.outputs()
        self._deferred = []
        deferred.extend(self._core.outputs())
        return deferred

    async def _pump_locked(self) -> None:
        apply = self._apply
        while outputs := self._outputs():
            self._wake_pending = False
            for output in outputs:
                if (close := apply(output)) is not None:  # the one output that awaits
                    await self._close_link(close.code, close.reason)
            if self._wake_pending:  # once per batch of outputs, not per event
                self._wake_subscribers()
            await self._flush()

    def _open_link(self, gen: int) -> None:
        self._spawn(self._run_link, gen)

    def _emit(self, event: SDKEvent) -> None:
        for awaitable in self._deliver(event):
            self._spawn(_run_awaitable, awaitable)
        if self._subscribers:  # only events() iterators wait on _new_events
            self._wake_pending = True

    def _wake_subscribers(self) -> None:
        if self._started:
            event, self._new_events = self._new_events, anyio.Event()
            event.set()

    def _spawn(self, func: Callable[..., Any], *args: Any) -> None:
        if self._tg is not None:
            self._tg.start_soon(func, *args)

    _background = _spawn

    async def _flush(self) -> None:
        link = self._link
        if link is None:
            return
        data = link.transport.data_to_send()
        if not data:
            return
        try:
            await link.stream.send(data)
        except _NETWORK_ERRORS:
            self._drop_link(link)

    def _drop_link(self, link: _Link) -> None:
        """The link failed under us: tell the core (its outputs are drained by the caller)."""
        if self._link is link:
            self._link = None
            self._spawn(_close_quietly, link.stream)
            self._core.transport_closed(self._now())

    async def _close_link(self, code: int, reason: str) -> None:
        self._gen += 1
        link, self._link = self._link, None
        if link is None:
            return
        link.transport.close(code, reason)
        with anyio.move_on_after(1, shield=True), contextlib.suppress(*_NETWORK_ERRORS):
            await link.stream.send(link.transport.data_to_send())
        self._spawn(_close_quietly, link.stream)

    async def _open_stream(
        self, base: BaseURL, ssl_context: ssl.SSLContext | None = None
    ) -> anyio.abc.ByteStream:
        if base.tls:
            context = ssl_context or self._ssl or ssl.create_default_context()
            return await anyio.connect_tcp(
                base.host, base.port, ssl_context=context, tls_standard_compatible=False
            )
        if self._on_asyncio:  # a leaner stream than anyio's on asyncio (adapters._aiostream)
            return await asyncio_connect_tcp(base.host, base.port)
        from ._triostream import connect_tcp as trio_connect_tcp  # noqa: PLC0415 - needs trio

        return await trio_connect_tcp(base.host, base.port)  # the same on trio

    async def _run_link(self, gen: int) -> None:
        try:
            with anyio.fail_after(self.config.connect_timeout):
                stream = await self._open_stream(self.url)
        except (*_NETWORK_ERRORS, TimeoutError) as exc:
            logger.info("= connect to %s failed: %s", self.url.host_header, exc)
            async with self._lock:
                if gen == self._gen and self._link is None and self._core.phase.value == "opening":
                    self._core.transport_closed(self._now())
                    await self._pump_locked()
            self._wake_timer()
            return
        transport = self._new_transport()
        link = _Link(gen, stream, transport)
        async with self._lock:
            if gen != self._gen:
                await _close_quietly(stream)
                return
            self._link = link
            await self._flush()
        if isinstance(stream, AsyncioStream):
            stream.set_inline(lambda data: self._read_inline(link, stream, data))
        try:
            await self._read(link)
        finally:
            if isinstance(stream, AsyncioStream):
                stream.set_inline(None)

    async def _read(self, link: _Link) -> None:
        while True:
            if self._backlog() >= HIGH_WATER:
                await self._wait_for_drain()
            data: bytes | None
            try:
                data = await link.stream.receive(READ_SIZE)
            except anyio.WouldBlock:  # nudged: an inline read left outputs to apply
                data = None
                if (error := self._inline_error) is not None:
                    self._inline_error = None
                    raise error from None
            except _NETWORK_ERRORS:
                data = b""
            async with self._lock:
                if self._link is not link:
                    return
                if data is not None:
                    self._take_read(link, data)
                await self._pump_locked()
                await self._flush()
            self._wake_timer()
            if self._link is not link:
                return

    def _take_read(self, link: _Link, data: bytes) -> None:
        """Feed the core what one read of ``link`` produced, in one go (lock held); its
        outputs are then drained once."""
        transport = link.transport
        transport.receive_data(data)
        if self._feed_all(transport.events(), self._now()) == TRANSPORT_CLOSED:
            self._link = None
            self._spawn(_finish_close, link)

    def _read_inline(self, link: _Link, stream: AsyncioStream, data: bytes) -> bool:
        """Take one read in asyncio's read callback, while the reader task waits (asyncio).

        Without this, a read wakes the reader task, which feeds the core and sets the
        caller's event, which wakes the caller: one event-loop iteration more per request
        round trip than a client that parses in its protocol callback. Here the read is fed
        at once and the outputs that run no user code and await nothing (call results,
        writes, events nobody listens to: ``_quiet``) are applied at once, in order; from
        the first other output on, the rest is left to the reader task (``_deferred``,
        applied first by any pump), so listeners still run in a task and every output is
        acted on in the order the core produced it. Declines (``False``: the reader task
        takes the bytes as before) when the lock is held, the link is not current, or the
        backlog of ``events()`` would pause reading.
        """
        if self._link is not link or self._backlog() >= HIGH_WATER:
            return False
        try:
            if not self._apply_quiet(link, stream, data):
                return False
        except Exception as exc:  # a bug: fail the reader task with it, as without this
            self._inline_error = exc
            stream.nudge()
            return True
        if self._link is not link:  # closed by this read: the reader task just ends
            self._spawn(self._pump)
        elif self._deferred:
            stream.nudge()  # the reader task applies the rest
        self._wake_timer()
        return True

    def _apply_quiet(self, link: _Link, stream: AsyncioStream, data: bytes | None) -> bool:
        """With the lock taken without waiting (``False`` when someone holds it): feed the
        read ``data`` (if any), apply the core's outputs up to the first that is not quiet
        (``_quiet``), leave the rest in ``_deferred``, hand what is to send to asyncio."""
        lock = self._lock
        if not lock.try_acquire():
            return False
        try:
            if data is not None:
                self._take_read(link, data)
            outputs = self._outputs()
            quiet, apply = self._quiet, self._apply
            for index, output in enumerate(outputs):
                if not quiet(output):
                    self._deferred = outputs[index:]
                    break
                apply(output)
            if self._link is link:
                out = link.transport.data_to_send()
                if out and not stream.write_nowait(out):
                    self._drop_link(link)
        finally:
            lock.release()
        return True

    def _pump_now(self) -> bool:
        """:meth:`_pump` without awaiting, on asyncio's plain stream, when the lock is free
        and every output is quiet; ``False`` when a task must pump (what is left is then in
        ``_deferred``, applied first)."""
        link = self._link
        if link is None or not isinstance(stream := link.stream, AsyncioStream):
            return False
        if not stream.writable():  # over high water: _pump's send waits (backpressure)
            return False
        if not self._apply_quiet(link, stream, None):
            return False
        self._wake_timer()
        return not self._deferred and self._link is link

    async def _wait_for_drain(self) -> None:
        while self._backlog() > LOW_WATER:
            self._drained = anyio.Event()
            await self._drained.wait()

    async def _timer_loop(self) -> None:
        while True:
            wake = self._timer_wake = anyio.Event()
            deadline = self._armed = self._core.next_deadline()
            now = self._now()
            if deadline is not None and deadline <= now:
                async with self._lock:
                    self._core.handle_timer(self._now())
                    await self._pump_locked()
                continue
            with anyio.move_on_after(None if deadline is None else deadline - now):
                await wake.wait()

    async def _token(self, fresh: bool) -> Token:
        source = self._token_source
        if isinstance(source, TokenFlow):
            steps, base = source.steps(), source.base or self._web
            try:
                request = next(steps)
                while True:
                    response = await self._exchange(
                        base, exchange_steps(request), source.ssl_context
                    )
                    request = steps.send(response)
            except StopIteration as stop:
                return cast(Token, stop.value)
        if callable(source):
            if inspect.iscoroutinefunction(source):
                result = await call_provider(source, fresh)
            else:
                result = await anyio.to_thread.run_sync(call_provider, source, fresh)
                if inspect.isawaitable(result):
                    result = await result
            return normalize_token(result)
        return normalize_token(source)

    async def _fetch_token(self, fresh: bool) -> None:
        token, error = None, None
        try:
            token = await self._token(fresh)
        except Exception as exc:
            error = exc
        async with self._lock:
            if self._give_token(token, error, self._now()):
                await self._pump_locked()
        self._wake_timer()

    async def _exchange(
        self, base: BaseURL, steps: Any, ssl_context: ssl.SSLContext | None = None
    ) -> ResponseReceived:
        with anyio.fail_after(self.config.connect_timeout):
            stream = await self._open_stream(base, ssl_context)
        async with stream:
            step = next(steps)
            try:
                while True:
                    if step is None:
                        try:
                            data = await stream.receive(READ_SIZE)
                        except anyio.EndOfStream:
                            data = b""
                        step = steps.send(data)
                    else:
                        await stream.send(step)
                        step = next(steps)
            except StopIteration as stop:
                return cast(ResponseReceived, stop.value)

    async def _upload(self, output: UploadFile) -> None:
        call = output.call
        payload: dict[str, Any] | None = None
        error: Exception | None = None
        with anyio.CancelScope() as scope:
            self._upload_scopes[call] = scope
            try:
                token = output.token or await self._token(False)
                plan = upload_plan(output, token, self._web, self.target, self._rng)
                steps = exchange_steps(
                    plan.request, body=plan.body, on_progress=self._progress.get(call)
                )
                payload = plan.decode(await self._exchange(self._web, steps))
            except Exception as exc:
                error = exc
        self._upload_scopes.pop(call, None)
        self._progress.pop(call, None)
        if scope.cancelled_caught:
            return
        async with self._lock:
            if self._give_upload(call, payload, error, self._now()):
                await self._pump_locked()


async def _run_awaitable(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("= async listener failed")


async def _close_quietly(stream: anyio.abc.ByteStream) -> None:
    with anyio.move_on_after(1, shield=True):
        try:
            await stream.aclose()
        except (*_NETWORK_ERRORS, anyio.get_cancelled_exc_class()):
            pass


async def _finish_close(link: _Link) -> None:
    data = link.transport.data_to_send()
    if data:
        with anyio.move_on_after(1, shield=True), contextlib.suppress(*_NETWORK_ERRORS):
            await link.stream.send(data)
    await _close_quietly(link.stream)


connect = connector(
    AsyncClient,
    """Create a client; ``async with`` it to connect (listeners can be attached first).

    ``open_timeout`` bounds how long entering waits for the first login.
    """,
)

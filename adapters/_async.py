"""The async client: ONE anyio implementation behind ``adapters.asyncio`` and ``adapters.trio``.

The driver is small because the core owns every timer and policy: feed the core what happened,
act on its outputs in order, sleep until its next deadline. One lock serialises everything that
touches the core or the transport, so outputs are acted on in the order the core produced them.
"""

from __future__ import annotations

import contextlib
import inspect
import ssl
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

import anyio
import anyio.abc

from customer_protocol import (
    CancelledError,
    Chat,
    ChatsSummary,
    CloseTransport,
    Config,
    ConnectionLostError,
    Event,
    FetchToken,
    HistoryBatch,
    HistoryPosition,
    OpenTransport,
    Rating,
    SDKDestroyedError,
    Send,
    SendPing,
    Thread,
    ThreadsSummary,
    Token,
    UploadFile,
)
from customer_protocol.events import SDKEvent
from customer_protocol.outputs import Output
from transports.http import ResponseReceived
from transports.websocket import make_bh

from ._common import (
    HIGH_WATER,
    LOW_WATER,
    SDK_EVENT_TYPES,
    TRANSPORT_CLOSED,
    BaseURL,
    ClientBase,
    Subscriber,
    call_provider,
    describe,
    logger,
    normalize_token,
    to_sdk_error,
)
from ._http import READ_SIZE, Progress, exchange_steps
from ._upload import FileLike, history_item, read_file, upload_plan
from .tokens import AccountsFlow

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


class _Waiter:
    __slots__ = ("error", "event", "value")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class _Link:
    __slots__ = ("gen", "stream", "transport")

    def __init__(
        self, gen: int, stream: anyio.abc.ByteStream, transport: WebSocketTransport
    ) -> None:
        self.gen = gen
        self.stream = stream
        self.transport = transport


class AsyncHistory:
    """A chat history cursor: ``await history.next()`` or ``async for events in history``."""

    def __init__(self, client: AsyncClient, cursor: int) -> None:
        self._client = client
        self._cursor = cursor
        self._finished = False

    async def next(self) -> HistoryBatch:
        """Load the next (older) batch: ``HistoryBatch(done, value)``."""
        core = self._client.core
        return cast(HistoryBatch, await self._client._call(core.history_next, self._cursor))

    @property
    def position(self) -> HistoryPosition:
        """Where the cursor is; pass it to ``get_chat_history(position=...)`` to resume."""
        return self._client.core.history_position(self._cursor)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> tuple[Event, ...]:
        if self._finished:
            raise StopAsyncIteration
        value, self._finished = history_item(await self.next())
        if value is None:
            raise StopAsyncIteration
        return value


class AsyncClient(ClientBase):
    """The customer chat client for asyncio and trio (the same code, through anyio).

    Create it with :func:`connect`, attach listeners, then ``async with client:`` connects and
    returns once the first login succeeded (or raises if it cannot: bad token twice, banned).
    Leaving the block destroys the client. Listeners run in the client's driver task: keep them
    short (a listener may return an awaitable; it is run as a separate task).
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
        self._waiters: dict[int, _Waiter] = {}
        self._progress: dict[int, Progress] = {}
        self._upload_scopes: dict[int, anyio.CancelScope] = {}
        self._link: _Link | None = None
        self._wake_pending = False
        self._gen = 0
        self._tg: anyio.abc.TaskGroup | None = None
        self._started = False

    # ------------------------------------------------------------------------------------------
    # Context management

    async def __aenter__(self) -> Self:
        if self._started:
            raise RuntimeError("a client can be entered once")
        self._started = True
        # Uncontended (almost always), taking the lock need not yield to the event loop.
        self._lock = anyio.Lock(fast_acquire=True)
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

    async def start_chat(
        self,
        *,
        events: Sequence[Mapping[str, Any]] = (),
        scope: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> Chat:
        """Start a chat (optionally with first events)."""
        call = self._core.start_chat
        return cast(Chat, await self._call(call, events=events, scope=scope, properties=properties))

    async def send_event(self, chat: str, event: Mapping[str, Any]) -> Event:
        """Send an event; exactly once across reconnects (by ``custom_id``)."""
        return cast(Event, await self._call(self._core.send_event, chat, event))

    async def send_message(self, chat: str, text: str, *, custom_id: str | None = None) -> Event:
        """Send a text message."""
        return cast(
            Event, await self._call(self._core.send_message, chat, text, custom_id=custom_id)
        )

    async def close_thread(self, chat: str) -> bool:
        """Close the chat's active thread."""
        return cast(bool, await self._call(self._core.close_thread, chat))

    async def get_chats_summary(self, *, offset: int = 0, limit: int = 10) -> ChatsSummary:
        """The customer's chats, most recent activity first."""
        method = self._core.get_chats_summary
        return cast(ChatsSummary, await self._call(method, offset=offset, limit=limit))

    async def get_chat_threads(self, chat: str, thread_ids: Sequence[str]) -> tuple[Thread, ...]:
        """Load threads by id, sorted by order."""
        method = self._core.get_chat_threads
        return cast(tuple[Thread, ...], await self._call(method, chat, thread_ids))

    async def get_chat_threads_summary(
        self, chat: str, *, offset: int = 0, limit: int = 25
    ) -> ThreadsSummary:
        """A page of thread summaries (offset 0 is the newest page)."""
        method = self._core.get_chat_threads_summary
        return cast(ThreadsSummary, await self._call(method, chat, offset=offset, limit=limit))

    async def update_customer(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> bool:
        """Update the customer (also sent at every later login)."""
        method = self._core.update_customer
        return cast(bool, await self._call(method, name=name, email=email, fields=fields))

    async def update_last_seen_timestamp(self, chat: str, timestamp: int | None = None) -> int:
        """Update the last-seen timestamp (ms); returns the stored timestamp in ms."""
        method = self._core.update_last_seen_timestamp
        return cast(int, await self._call(method, chat, timestamp_ms=timestamp))

    async def update_chat_properties(self, chat: str, properties: Mapping[str, Any]) -> bool:
        """Set chat properties (``{namespace: {name: value}}``)."""
        return cast(bool, await self._call(self._core.update_chat_properties, chat, properties))

    async def update_chat_thread_properties(
        self, chat: str, thread: str, properties: Mapping[str, Any]
    ) -> bool:
        """Set thread properties (``{namespace: {name: value}}``)."""
        method = self._core.update_chat_thread_properties
        return cast(bool, await self._call(method, chat, thread, properties))

    async def update_chat_scopes(
        self,
        chat: str,
        *,
        add_scopes: Mapping[str, Any] | None = None,
        remove_scopes: Mapping[str, Any] | None = None,
    ) -> bool:
        """Change the chat's scopes."""
        method = self._core.update_chat_scopes
        return cast(
            bool, await self._call(method, chat, add_scopes=add_scopes, remove_scopes=remove_scopes)
        )

    async def send_rating(
        self, chat: str, value: Literal["good", "bad"], comment: str | None = None
    ) -> Rating:
        """Rate the chat's newest thread ``"good"`` or ``"bad"``."""
        method = self._core.send_rating
        return cast(Rating, await self._call(method, chat, value, comment=comment))

    async def send_file(
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

        Cancelling the calling task cancels the upload (the call ends with ``CANCELLED``).
        """
        data, name, kind = await anyio.to_thread.run_sync(read_file, file, filename, content_type)
        call = self._core.send_file(
            chat, data, self._now(), filename=name, content_type=kind, custom_id=custom_id
        )
        if on_progress is not None:
            self._progress[call] = on_progress
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
            return anyio.current_time()
        except Exception:  # pragma: no cover - outside an event loop
            return 0.0

    async def _call(self, method: Callable[..., int], *args: Any, **kwargs: Any) -> Any:
        call = method(*args, now=self._now(), **kwargs)
        return await self._wait(call)

    async def _wait(self, call: int) -> Any:
        waiter = self._waiters[call] = _Waiter()
        await self._pump()
        try:
            await waiter.event.wait()
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
        if self._deadline_moved_earlier():
            self._timer_wake.set()

    async def _pump_locked(self) -> None:
        act = self._act
        while outputs := self._core.outputs():
            self._wake_pending = False
            for output in outputs:
                if type(output) is CloseTransport:  # the one output that awaits
                    await self._close_link(output.code, output.reason)
                else:
                    act(output)
            if self._wake_pending:  # once per batch of outputs, not per event
                self._wake_subscribers()
            await self._flush()

    def _act(self, output: Output) -> None:
        """Act on one output (all but ``CloseTransport``, which ``_pump_locked`` awaits)."""
        kind = type(output)
        if kind in SDK_EVENT_TYPES:
            self._handle_event(cast(SDKEvent, output))
            return
        link = self._link
        if kind is Send:
            if link is not None:
                data = cast(Send, output).data
                if logger.isEnabledFor(10):
                    logger.debug("> %s", describe(data))
                link.transport.send_message(data)
        elif kind is SendPing:
            if link is not None:
                link.transport.send_ping()
        elif kind is OpenTransport:
            self._gen += 1
            self._spawn(self._run_link, self._gen)
        elif kind is FetchToken:
            self._spawn(self._fetch_token, cast(FetchToken, output).fresh)
        elif kind is UploadFile:
            self._spawn(self._upload, output)
        else:
            self._handle(output)

    def _handle_event(self, event: SDKEvent) -> None:
        if self._note_lifecycle(event):
            self._ready_event.set()
        for awaitable in self._deliver(event):
            self._spawn(_run_awaitable, awaitable)
        if self._subscribers:  # only events() iterators wait on _new_events
            self._wake_pending = True

    def _handle(self, output: Output) -> None:
        ended = self._route(output)
        if ended is not None:
            call, value, error = ended
            waiter = self._waiters.get(call)
            if waiter is not None:
                waiter.value, waiter.error = value, error
                waiter.event.set()
            return
        if isinstance(output, SDKEvent.__args__):  # a subclass of an SDK event
            self._handle_event(cast(SDKEvent, output))

    def _wake_subscribers(self) -> None:
        if self._started:
            event, self._new_events = self._new_events, anyio.Event()
            event.set()

    def _spawn(self, func: Callable[..., Any], *args: Any) -> None:
        if self._tg is not None:
            self._tg.start_soon(func, *args)

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

    async def _open_stream(self, base: BaseURL) -> anyio.abc.ByteStream:
        if base.tls:
            context = self._ssl or ssl.create_default_context()
            return await anyio.connect_tcp(
                base.host, base.port, ssl_context=context, tls_standard_compatible=False
            )
        return await anyio.connect_tcp(base.host, base.port)

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
            if self._deadline_moved_earlier():
                self._timer_wake.set()
            return
        transport = self._websocket_class(
            host=self.url.host_header,
            license_id=self.license_id,
            bh=make_bh(self._rng),
            path_prefix=self.url.prefix,
            max_message_size=self.config.max_message_size,
        )
        link = _Link(gen, stream, transport)
        async with self._lock:
            if gen != self._gen:
                await _close_quietly(stream)
                return
            self._link = link
            await self._flush()
        await self._read(link)

    async def _read(self, link: _Link) -> None:
        while True:
            if self._backlog() >= HIGH_WATER:
                await self._wait_for_drain()
            try:
                data = await link.stream.receive(READ_SIZE)
            except _NETWORK_ERRORS:
                data = b""
            async with self._lock:
                if self._link is not link:
                    return
                transport = link.transport
                transport.receive_data(data)
                # Everything this read produced in one go, then one drain of the outputs.
                if self._feed_all(transport.events(), self._now()) == TRANSPORT_CLOSED:
                    self._link = None
                    self._spawn(_finish_close, link)
                await self._pump_locked()
                await self._flush()
            if self._deadline_moved_earlier():
                self._timer_wake.set()
            if self._link is not link:
                return

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
        if isinstance(source, AccountsFlow):
            steps, base = source.steps(), source.base or self._web
            try:
                request = next(steps)
                while True:
                    request = steps.send(await self._exchange(base, exchange_steps(request)))
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
        try:
            token: Token | None = await self._token(fresh)
            error = None
        except Exception as exc:
            token, error = None, to_sdk_error(exc)
            logger.warning("= token provider failed: %s", type(exc).__name__)
        async with self._lock:
            if self._core.state.value == "destroyed":
                return
            if token is not None:
                self._core.token_received(token, self._now())
            elif error is not None:
                self._core.token_failed(error, self._now())
            await self._pump_locked()
        if self._deadline_moved_earlier():
            self._timer_wake.set()

    async def _exchange(self, base: BaseURL, steps: Any) -> ResponseReceived:
        with anyio.fail_after(self.config.connect_timeout):
            stream = await self._open_stream(base)
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
        error = None
        with anyio.CancelScope() as scope:
            self._upload_scopes[call] = scope
            try:
                token = output.token or await self._token(False)
                plan = upload_plan(output, token, self._web, self.license_id, self._rng)
                steps = exchange_steps(
                    plan.request, body=plan.body, on_progress=self._progress.get(call)
                )
                payload = plan.decode(await self._exchange(self._web, steps))
            except Exception as exc:
                error = to_sdk_error(exc)
        self._upload_scopes.pop(call, None)
        self._progress.pop(call, None)
        if scope.cancelled_caught:
            return
        async with self._lock:
            if self._core.state.value != "destroyed":
                if payload is not None:
                    self._core.upload_finished(call, payload, self._now())
                else:
                    self._core.upload_failed(call, error or SDKDestroyedError(), self._now())
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
) -> AsyncClient:
    """Create a client; ``async with`` it to connect (listeners can be attached first).

    ``open_timeout`` bounds how long entering waits for the first login.
    """
    return AsyncClient(
        license_id=license_id,
        token=token,
        url=url,
        accounts_url=accounts_url,
        customer=customer,
        config=config,
        ssl_context=ssl_context,
        open_timeout=open_timeout,
    )

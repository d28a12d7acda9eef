"""The reference server's I/O: RTM WebSocket, Web API and accounts on one port, over anyio.

All protocol logic lives in :class:`customer_protocol.server.ServerCore`; this module only
moves bytes, keeps time, stores records and files, and implements the fault switches that need
a socket. It runs on asyncio and on trio.

Use it from Python::

    async with serve(port=0, config=ServerConfig(agent=AgentConfig(reply_delay=0.1))) as server:
        print(server.url)              # ws://127.0.0.1:PORT (the API base URL of a client)
        server.core.faults.binary_frames = True
        await server.restart()

    with run_in_thread(port=0) as server:  # blocking code: the server runs in another thread
        customer_id, token = server.create_customer()

or from the command line (``customer-protocol serve``, see :func:`add_serve_arguments`).

How it works
------------
* Every TCP connection runs :class:`transports.http.HTTPServerConnection` (over TLS when
  ``serve(tls=...)``). A WebSocket upgrade to an RTM path of either dialect
  (``/customer/v0.3/rtm/ws``, ``/v3.x/customer/rtm/ws``) hands the socket to
  :class:`transports.websocket.WebSocketServer` and the connection is registered with the
  core in that dialect; other requests are routed by path in :mod:`adapters._server_http`
  (Web API of both dialects, accounts, ``/v2/customer/token``) or serve an uploaded file
  (``GET`` on its URL).
* Calls into the core are plain synchronous calls made from the event loop's only thread, never
  across an ``await``: they are serialised without a lock. One timer task sleeps until
  ``core.next_deadline()`` (at most 0.25 s, to notice fault switches) and calls
  ``handle_timer``.
* Each RTM connection has a reader task and a writer task and a **bounded send queue**: when
  the bytes waiting for a slow client pass ``send_queue_limit`` (with something already
  waiting, so one big message always fits), the queue is dropped and the connection is closed
  with **1008** (policy violation: the client does not read). Every closing handshake is bounded
  by ``close_timeout``; then the socket is dropped.
* Graceful shutdown (leaving :func:`serve`): stop accepting, close every RTM connection with
  **1001** (going away), wait for the closing handshakes (at most ``close_timeout``), drop the
  remaining HTTP connections, write the last changes to the database.
* The license: v0.3 RTM and Web API requests for another ``license_id`` than
  ``ServerConfig.license_id`` get ``customer_disconnected {"reason": "license_not_found"}``
  (RTM, then close 1000) or ``404`` with a ``validation`` error (Web API). A v3
  ``organization_id`` goes to the core, which answers another one ``license_not_found``.
* Persistence: see :mod:`adapters._store_sqlite` (records after every input, files on upload).
* Fault switches (``server.core.faults``): the core's rules (:class:`FaultRule`) and
  ``drop_after_messages``, plus the flags implemented here: ``binary_frames`` (every message
  goes out as a binary frame), ``oversize_frames`` (every message is padded with trailing
  spaces past ``oversize_frame_size``, by default one byte over the client's default 1 MiB
  limit), ``ignore_pings`` (WebSocket pings get no pong), ``restart_requested`` (within 0.25 s:
  close every connection with 1012 and reload the store from the database, or from a dump of
  the in-memory store when there is none).

Logging goes to ``logging.getLogger("adapters.server")``: connections, request lines and
statuses, closes and overflows; never tokens, keys or bodies.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, Final, TypeVar

import anyio
import anyio.abc
import anyio.lowlevel
from anyio.from_thread import BlockingPortal, start_blocking_portal
from anyio.streams.tls import TLSListener

from customer_protocol.codec import encode_push
from customer_protocol.endpoints import LEGACY_API, action_path, address_query, rtm_path
from customer_protocol.server import (
    Close,
    ConnId,
    Faults,
    Output,
    Send,
    ServerConfig,
    ServerCore,
    Store,
    StoreFile,
)
from transports.base import Closed, Message, Opened
from transports.http import (
    HTTPServerConnection,
    RequestReceived,
    UpgradeRequested,
)
from transports.websocket import DEFAULT_MAX_MESSAGE_SIZE, WebSocketServer, WebSocketState

from ._server_http import answer_http, v3_organization
from ._store_sqlite import MemoryFiles, SQLitePersistence
from .tls import ServerTLS

__all__ = [
    "DEFAULT_CLOSE_TIMEOUT",
    "DEFAULT_SEND_QUEUE_LIMIT",
    "QUEUE_OVERFLOW_CODE",
    "ReferenceServer",
    "ThreadedServer",
    "run_in_thread",
    "serve",
]

logger = logging.getLogger(__name__)

DEFAULT_SEND_QUEUE_LIMIT: Final = 4 * 1024 * 1024
"""Bytes that may wait for one slow RTM client before it is disconnected."""
DEFAULT_CLOSE_TIMEOUT: Final = 2.0
"""Seconds a closing handshake may take before the socket is dropped."""
QUEUE_OVERFLOW_CODE: Final = 1008
"""The close code of a connection whose send queue overflowed (policy violation)."""
_POLL: Final = 0.25
_READ_SIZE: Final = 65536
_IO_ERRORS: Final = (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)

T = TypeVar("T")


def _binary_frame(data: bytes) -> bytes:
    """One unmasked binary WebSocket frame (the ``binary_frames`` fault)."""
    size = len(data)
    if size < 126:
        head = bytes((0x82, size))
    elif size < 1 << 16:
        head = bytes((0x82, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x82, 127)) + size.to_bytes(8, "big")
    return head + data


class _Conn:
    """One RTM connection: its transport, send queue and closing state."""

    __slots__ = (
        "abort",
        "closing",
        "id",
        "in_core",
        "outbox",
        "queued",
        "reader_done",
        "scope",
        "stream",
        "wake",
        "ws",
    )

    def __init__(self, conn_id: ConnId, stream: anyio.abc.ByteStream, ws: WebSocketServer) -> None:
        self.id = conn_id
        self.stream = stream
        self.ws = ws
        self.outbox: deque[bytes] = deque()
        self.queued = 0
        self.wake = anyio.Event()
        self.scope = anyio.CancelScope()
        self.in_core = False
        self.closing = False
        self.abort = False
        self.reader_done = False


class ReferenceServer:
    """A running reference server; get one from :func:`serve` (or :func:`run_in_thread`).

    :attr:`core` is the :class:`ServerCore` (replaced by :meth:`restart`); its methods must be
    called from the server's event loop, and outputs they return handed to :meth:`apply`.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        config: ServerConfig,
        db_path: str | Path | None = None,
        faults: Faults | None = None,
        send_queue_limit: int = DEFAULT_SEND_QUEUE_LIMIT,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        oversize_frame_size: int = DEFAULT_MAX_MESSAGE_SIZE + 1,
        id_source: Callable[[], str] | None = None,
        tls: bool = False,
        ca_path: Path | None = None,
    ) -> None:
        if send_queue_limit <= 0 or close_timeout <= 0 or max_message_size <= 0:
            raise ValueError("send_queue_limit, close_timeout and max_message_size must be > 0")
        self.host = host
        self.port = port
        self.tls = tls
        """Whether the port speaks TLS (``wss://`` / ``https://``)."""
        self.ca_path = ca_path
        """The CA file clients must trust (a self-signed certificate), if any."""
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.url = f"{'wss' if tls else 'ws'}://{netloc}"
        """The API base URL for clients (``ws://HOST:PORT``, ``wss://`` with TLS)."""
        self.http_url = f"{'https' if tls else 'http'}://{netloc}"
        """The same base as ``http(s)://`` (Web API, accounts, files)."""
        if config.files_base_url.startswith("/"):
            config = replace(config, files_base_url=self.http_url + config.files_base_url)
        self.config = config
        self.faults = faults if faults is not None else Faults()
        """The fault switches (shared by every core this server creates)."""
        self.send_queue_limit = send_queue_limit
        self.close_timeout = close_timeout
        self.max_message_size = max_message_size
        self.oversize_frame_size = oversize_frame_size
        self._id_source = id_source if id_source is not None else (lambda: secrets.token_hex(16))
        self._db: SQLitePersistence | None = None
        self._files: MemoryFiles
        if db_path is not None:
            self._db = SQLitePersistence(db_path)
            self._files = self._db
            store = Store.load(self._db.load_records())
        else:
            self._files = MemoryFiles()
            store = Store()
        self.core = self._make_core(store)
        self._conns: dict[ConnId, _Conn] = {}
        self._ids = itertools.count(1)
        self._timer_wake = anyio.Event()

    @property
    def rtm_url(self) -> str:
        """The full v0.3 RTM URL: ``ws://HOST:PORT/customer/v0.3/rtm/ws?license_id=N``."""
        return self.rtm_url_for(LEGACY_API)

    def query_for(self, api: str) -> str:
        """``license_id=<N>`` (v0.3) or ``organization_id=<id>`` (v3): this server's address."""
        if api == LEGACY_API:
            return address_query(api, license_id=self.config.license_id)
        return address_query(api, organization_id=self.config.organization_id)

    def rtm_url_for(self, api: str) -> str:
        """The full RTM URL of ``api`` (``"0.3"``, ``"3.4"``, ``"3.5"``, ``"3.6"``), e.g.
        ``wss://HOST:PORT/v3.6/customer/rtm/ws?organization_id=<ServerConfig's>``."""
        return f"{self.url}{rtm_path(api)}?{self.query_for(api)}"

    def web_api_url(self, action: str, api: str = LEGACY_API) -> str:
        """The full Web API URL of ``action`` in ``api`` (with the license / organization)."""
        return f"{self.http_url}{action_path(action, api)}?{self.query_for(api)}"

    @property
    def connection_count(self) -> int:
        """RTM connections currently open (including those closing)."""
        return len(self._conns)

    def _make_core(self, store: Store) -> ServerCore:
        epoch = time.time() - time.monotonic()
        return ServerCore(
            self.config, id_source=self._id_source, epoch=epoch, store=store, faults=self.faults
        )

    # -- administration ----------------------------------------------------------------------

    def apply(self, outputs: Iterable[Output]) -> None:
        """Act on outputs of a direct ``core`` call (sends, closes, files), then persist."""
        self._dispatch(outputs)
        self._after_input()

    def create_customer(self) -> tuple[str, str]:
        """A new customer and an access token: ``(customer_id, access_token)``."""
        result = self.core.create_customer(time.monotonic())
        self._after_input()
        return result

    def ban_customer(self, customer_id: str) -> None:
        """Ban a customer (its connections get ``customer_disconnected`` and close)."""
        self.apply(self.core.ban_customer(customer_id, time.monotonic()))

    def disconnect_customer(self, customer_id: str, reason: str) -> None:
        """Push ``customer_disconnected {reason}`` to the customer's connections and close."""
        self.apply(self.core.disconnect_customer(customer_id, reason, time.monotonic()))

    async def restart(self) -> None:
        """Drop every RTM connection (close 1012) and reload the store from persistence.

        Returns at once; the closing handshakes finish in the background (each bounded by
        ``close_timeout``).

        With a database the new core loads its rows; without one, a dump of the in-memory
        store. The agent's pending moves are lost; fault switches are kept (but
        ``restart_requested`` is reset).
        """
        self.faults.restart_requested = False
        self._dispatch(self.core.close_all(1012, "server restart"))
        self._after_input()
        if self._db is not None:
            store = Store.load(self._db.load_records())
        else:
            store = Store.load(self.core.store.dump())
        self.core = self._make_core(store)
        logger.info("= restart: %d connection(s) dropped, store reloaded", len(self._conns))
        await anyio.lowlevel.checkpoint()

    # -- core plumbing -----------------------------------------------------------------------

    def _after_input(self) -> None:
        changes = self.core.store.drain_changes()
        if self._db is not None and changes:
            self._db.save(changes)
        self._timer_wake.set()

    def _dispatch(self, outputs: Iterable[Output]) -> None:
        for output in outputs:
            if isinstance(output, Send):
                conn = self._conns.get(output.conn_id)
                if conn is not None:
                    self._send(conn, output.data)
            elif isinstance(output, Close):
                conn = self._conns.get(output.conn_id)
                if conn is not None:
                    conn.in_core = False
                    self._close(conn, output.code, output.reason, abort=output.abort)
            else:
                self._store_file(output)

    def _store_file(self, file: StoreFile) -> None:
        self._files.put_file(file)
        logger.debug("= stored file %s (%d bytes)", file.file_id, len(file.data))

    def _send(self, conn: _Conn, data: bytes) -> None:
        if conn.closing:
            return
        if self.faults.oversize_frames and len(data) < self.oversize_frame_size:
            data += b" " * (self.oversize_frame_size - len(data))
        if self.faults.binary_frames:
            frame = _binary_frame(data)
        else:
            conn.ws.send_message(data)
            frame = conn.ws.data_to_send()
        if conn.queued and conn.queued + len(frame) > self.send_queue_limit:
            logger.warning("= connection %d: send queue overflow, closing", conn.id)
            conn.outbox.clear()
            conn.queued = 0
            self._close(conn, QUEUE_OVERFLOW_CODE, "send queue overflow")
            return
        self._push(conn, frame)

    def _push(self, conn: _Conn, data: bytes) -> None:
        if data:
            conn.outbox.append(data)
            conn.queued += len(data)
            conn.wake.set()

    def _close(self, conn: _Conn, code: int, reason: str, *, abort: bool = False) -> None:
        """Close ``conn``: a close frame and a bounded wait for the echo, or (abort) drop it."""
        if conn.closing:
            return
        conn.closing = True
        if conn.in_core:
            conn.in_core = False
            self._dispatch(self.core.close_connection(conn.id, time.monotonic()))
        logger.debug("= connection %d: close %d %s%s", conn.id, code, reason, " (abort)" * abort)
        if abort:
            conn.abort = True
        else:
            conn.ws.close(code, reason)
            self._push(conn, conn.ws.data_to_send())
        conn.scope.deadline = min(conn.scope.deadline, anyio.current_time() + self.close_timeout)
        conn.wake.set()

    async def _timer_loop(self) -> None:
        while True:
            deadline = self.core.next_deadline()
            delay = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if delay > 0:
                with anyio.move_on_after(delay):
                    await self._timer_wake.wait()
                self._timer_wake = anyio.Event()
            if self.faults.restart_requested:
                await self.restart()
                continue
            now = time.monotonic()
            deadline = self.core.next_deadline()
            if deadline is not None and deadline <= now:
                self._dispatch(self.core.handle_timer(now))
                self._after_input()

    # -- connections -------------------------------------------------------------------------

    async def _handle(self, stream: anyio.abc.ByteStream) -> None:
        """Serve one TCP connection (HTTP, maybe upgraded to RTM)."""
        try:
            await self._serve_http(stream)
        except Exception:
            logger.exception("= connection handler failed")
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.aclose_forcefully(stream)

    async def _serve_http(self, stream: anyio.abc.ByteStream) -> None:
        http = HTTPServerConnection(max_upload_size=self.config.max_file_size + 64 * 1024)
        while True:
            try:
                data = await stream.receive(_READ_SIZE)
            except anyio.EndOfStream:
                data = b""
            except _IO_ERRORS:
                return
            http.receive_data(data)
            upgrade: UpgradeRequested | None = None
            for event in http.events():
                if isinstance(event, RequestReceived):
                    answer_http(self, http, event)
                elif isinstance(event, UpgradeRequested):
                    upgrade = event
                    break
            out = http.data_to_send()
            if out:
                try:
                    await stream.send(out)
                except _IO_ERRORS:
                    return
            if upgrade is not None:
                await self._serve_rtm(stream, upgrade)
                return
            if http.must_close or not data:
                return

    async def _serve_rtm(self, stream: anyio.abc.ByteStream, request: UpgradeRequested) -> None:
        ws = WebSocketServer.from_upgrade_request(
            request.target,
            request.headers,
            request.trailing_data,
            max_message_size=self.max_message_size,
            other_v3=True,  # the core answers another 3.<n> with unsupported_version
        )
        events = list(ws.events())
        if not any(isinstance(event, Opened) for event in events):
            logger.debug("< upgrade rejected")
            with suppress(*_IO_ERRORS):
                await stream.send(ws.data_to_send())
            return
        conn = _Conn(next(self._ids), stream, ws)
        address = ws.address
        assert address is not None  # set on an accepted upgrade
        # v0.3 checks the license here; a v3 organization_id is the core's to check (login).
        license_ok = address.is_v3 or address.license_id == self.config.license_id
        organization_id = v3_organization(self.config, address)
        try:
            with conn.scope:
                async with anyio.create_task_group() as tg:
                    self._conns[conn.id] = conn
                    self._push(conn, ws.data_to_send())
                    logger.debug("= connection %d: open", conn.id)
                    if license_ok:
                        opened = self.core.open_connection(
                            conn.id,
                            time.monotonic(),
                            api=address.api,
                            organization_id=organization_id,
                        )
                        conn.in_core = self.core.api_of(conn.id) is not None
                        self._dispatch(opened)
                        self._on_ws_events(conn, events)
                        self._push(conn, ws.data_to_send())
                    else:
                        push = encode_push("customer_disconnected", {"reason": "license_not_found"})
                        self._send(conn, push)
                        self._close(conn, 1000, "license_not_found")
                    self._after_input()
                    tg.start_soon(self._writer, conn)
                    await self._reader(conn)
        finally:
            self._conns.pop(conn.id, None)
            if conn.in_core:
                conn.in_core = False
                self.apply(self.core.close_connection(conn.id, time.monotonic()))
            logger.debug("= connection %d: gone", conn.id)

    async def _reader(self, conn: _Conn) -> None:
        ws = conn.ws
        while ws.state is not WebSocketState.CLOSED:
            try:
                data = await conn.stream.receive(_READ_SIZE)
            except anyio.EndOfStream:
                data = b""
            except _IO_ERRORS:
                data = b""
            ws.answer_pings = not self.faults.ignore_pings
            ws.receive_data(data)
            if data and conn.in_core:
                self.core.note_activity(conn.id, time.monotonic())
            self._on_ws_events(conn, ws.events())
            self._push(conn, ws.data_to_send())
            self._after_input()
        conn.reader_done = True
        conn.wake.set()

    def _on_ws_events(self, conn: _Conn, events: Iterable[object]) -> None:
        for event in events:
            if isinstance(event, Message):
                if conn.in_core and not conn.closing:
                    self._dispatch(self.core.receive(conn.id, event.data, time.monotonic()))
            elif isinstance(event, Closed):
                logger.debug("< connection %d: closed %d", conn.id, event.code)
                conn.closing = True
                if conn.in_core:
                    conn.in_core = False
                    self._dispatch(self.core.close_connection(conn.id, time.monotonic()))

    async def _writer(self, conn: _Conn) -> None:
        try:
            while True:
                if conn.outbox:
                    data = b"".join(conn.outbox)
                    conn.outbox.clear()
                    conn.queued = 0
                    await conn.stream.send(data)
                    continue
                if conn.abort or conn.reader_done:
                    break
                await conn.wake.wait()
                conn.wake = anyio.Event()
        except _IO_ERRORS:
            pass
        conn.scope.cancel()

    async def _wait_for_connections(self) -> None:
        """Wait (at most ``close_timeout`` + 1 s) until the closing connections are gone."""
        with anyio.move_on_after(self.close_timeout + 1.0):
            while self._conns:
                await anyio.sleep(0.01)

    # -- lifecycle ---------------------------------------------------------------------------

    async def _shutdown(self) -> None:
        self._dispatch(self.core.close_all(1001, "server shutdown"))
        for conn in list(self._conns.values()):
            self._close(conn, 1001, "server shutdown")
        self._after_input()
        await self._wait_for_connections()

    def _close_db(self) -> None:
        self._after_input()
        self._files.close()


@asynccontextmanager
async def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    db_path: str | Path | None = None,
    config: ServerConfig | None = None,
    faults: Faults | None = None,
    *,
    send_queue_limit: int = DEFAULT_SEND_QUEUE_LIMIT,
    close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    oversize_frame_size: int = DEFAULT_MAX_MESSAGE_SIZE + 1,
    id_source: Callable[[], str] | None = None,
    tls: ServerTLS | ssl.SSLContext | None = None,
) -> AsyncIterator[ReferenceServer]:
    """Run a reference server for the duration of an ``async with`` block (asyncio or trio).

    ``port=0`` picks a free port (read :attr:`ReferenceServer.url`). ``db_path`` keeps
    customers, chats, threads, events, tokens and files in an SQLite file (in memory when
    ``None``). A relative ``config.files_base_url`` is made absolute with the server's
    ``http_url``. ``tls`` (a :class:`~adapters.tls.ServerTLS`, e.g.
    ``ServerTLS.self_signed(tmp_dir)``, or a server-side :class:`ssl.SSLContext`) makes the
    port speak TLS only (``wss://``, ``https://``). Leaving the block shuts the server down
    gracefully (close 1001).
    """
    context = tls.server_context() if isinstance(tls, ServerTLS) else tls
    tcp = await anyio.create_tcp_listener(local_host=host, local_port=port)
    bound_port = tcp.extra(anyio.abc.SocketAttribute.local_port)
    listener: anyio.abc.Listener[Any] = tcp
    if context is not None:
        # Many clients end without close_notify: do not treat that as an error.
        listener = TLSListener(tcp, context, standard_compatible=False)
    server = ReferenceServer(
        host=host,
        port=bound_port,
        config=config if config is not None else ServerConfig(),
        db_path=db_path,
        faults=faults,
        send_queue_limit=send_queue_limit,
        close_timeout=close_timeout,
        max_message_size=max_message_size,
        oversize_frame_size=oversize_frame_size,
        id_source=id_source,
        tls=context is not None,
        ca_path=tls.ca_path if isinstance(tls, ServerTLS) else None,
    )
    logger.info("= serving on %s", server.http_url)
    error: Exception | None = None  # the block's own error, re-raised unwrapped below
    try:
        async with anyio.create_task_group() as connections:
            try:
                async with anyio.create_task_group() as main:
                    main.start_soon(listener.serve, server._handle, connections)
                    main.start_soon(server._timer_loop)
                    try:
                        yield server
                    except Exception as exc:
                        error = exc
                    finally:
                        main.cancel_scope.cancel()
            finally:
                with anyio.CancelScope(shield=True):
                    await listener.aclose()
                    await server._shutdown()
                connections.cancel_scope.cancel()
    finally:
        server._close_db()
        logger.info("= stopped serving on %s", server.http_url)
    if error is not None:
        raise error


class ThreadedServer:
    """A :class:`ReferenceServer` running in a background thread (see :func:`run_in_thread`).

    Its methods are safe to call from any thread: they run in the server's event loop.
    """

    def __init__(self, server: ReferenceServer, portal: BlockingPortal) -> None:
        self.server = server
        self.portal = portal
        self.url = server.url
        self.http_url = server.http_url
        self.rtm_url = server.rtm_url
        self.ca_path = server.ca_path

    @property
    def core(self) -> ServerCore:
        """The core (read it freely; change it through :meth:`call`)."""
        return self.server.core

    @property
    def faults(self) -> Faults:
        """The fault switches (setting a flag from another thread is safe)."""
        return self.server.faults

    def call(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func(*args)`` in the server's loop (e.g. ``call(server.apply, outputs)``)."""
        return self.portal.call(func, *args)

    def create_customer(self) -> tuple[str, str]:
        """A new customer and an access token: ``(customer_id, access_token)``."""
        return self.portal.call(self.server.create_customer)

    def ban_customer(self, customer_id: str) -> None:
        """See :meth:`ReferenceServer.ban_customer`."""
        self.portal.call(self.server.ban_customer, customer_id)

    def disconnect_customer(self, customer_id: str, reason: str) -> None:
        """See :meth:`ReferenceServer.disconnect_customer`."""
        self.portal.call(self.server.disconnect_customer, customer_id, reason)

    def restart(self) -> None:
        """See :meth:`ReferenceServer.restart` (blocks until it is done)."""
        self.portal.call(self.server.restart)


@contextmanager
def run_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    db_path: str | Path | None = None,
    config: ServerConfig | None = None,
    faults: Faults | None = None,
    *,
    backend: str = "asyncio",
    **options: Any,
) -> Iterator[ThreadedServer]:
    """Run :func:`serve` in a background thread for blocking code (sync tests, the demo).

    ``options`` are :func:`serve`'s keyword options. Leaving the block shuts the server down
    and joins the thread.
    """
    with (
        start_blocking_portal(backend) as portal,
        portal.wrap_async_context_manager(
            serve(host, port, db_path, config, faults, **options)
        ) as server,
    ):
        yield ThreadedServer(server, portal)

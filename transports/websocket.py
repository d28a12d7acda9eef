"""The RTM WebSocket transport: wsproto, client and server roles, sans-IO.

Both roles implement :class:`transports.base.ByteTransport`. The driver loop is the same for
both::

    transport = WebSocketClient(host="api.chat.io", license_id=123, bh=make_bh(random.random))
    sock.sendall(transport.data_to_send())          # the opening handshake
    while True:
        data = sock.recv(65536)                     # b"" at end of stream
        transport.receive_data(data)
        for event in transport.events():            # Opened, Message, Pong, Closed
            ...                                     # may call send_message(), close(), ...
        sock.sendall(transport.data_to_send())      # pongs, close replies, your messages
        if transport.state is WebSocketState.CLOSED:
            sock.close()
            break

Conventions:

* **End of stream** is ``receive_data(b"")``. If the closing handshake had not completed, it
  yields ``Closed(code=1006)`` (``error=HandshakeRejected(status_code=0)`` before the opening
  handshake completed).
* **Bad input never raises.** Oversized, binary, non-UTF-8 or malformed input queues a close
  frame with the matching code and yields one ``Closed(code=..., error=<TransportError>)``;
  every later input is ignored. A rejected opening handshake yields
  ``Closed(code=1006, error=HandshakeRejected(status_code=...))``.
* **Closed is reported exactly once**; then write :meth:`data_to_send` one last time (it may
  hold the close reply or the HTTP error response) and close the socket.
* **Pings are answered automatically** (the pong is in :meth:`data_to_send`) unless
  ``answer_pings`` is set to ``False`` (fault injection in a test server). Every pong
  received, asked for or not, yields a :class:`~transports.base.Pong`.
* **Sending after close is a no-op** (the ``Closed`` event tells the caller why);
  sending before the opening handshake completed raises :class:`NotOpenError`.

wsproto itself enforces no message size limit and never answers pings or errors; this module
does. It counts message bytes as fragments arrive, checks the length a pending frame header
announces (so a header claiming 2**62 bytes fails at once), and feeds wsproto at most about
``max_message_size`` bytes at a time, so no more than that is ever buffered.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import h11
from wsproto import ConnectionType, WSConnection
from wsproto.connection import Connection, ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.events import Pong as WsPong
from wsproto.utilities import RemoteProtocolError

from customer_protocol.endpoints import (
    LEGACY_API,
    Address,
    AddressError,
    Endpoint,
    parse_address,
    route,
)
from transports._wscommon import (
    DEFAULT_MAX_MESSAGE_SIZE,
    RTM_PATH,
    FramedEndpoint,
    NotOpenError,
    WebSocketState,
    check_close_code,
    check_ping_payload,
    make_bh,
    new_message,
    rejected_message,
    rtm_target,
)
from transports._wsfast import MaskSource, client_text_frame, take_text_frames, text_frame_size
from transports.base import (
    CloseCode,
    Closed,
    HandshakeRejected,
    InvalidPayload,
    Message,
    MessageTooBig,
    Opened,
    Pong,
    ProtocolViolation,
    TransportError,
    UnsupportedData,
)

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "RTM_PATH",
    "NotOpenError",
    "WebSocketClient",
    "WebSocketServer",
    "WebSocketState",
    "make_bh",
    "rtm_target",
]

_ABNORMAL = CloseCode.ABNORMAL


_CONNECTING = WebSocketState.CONNECTING
_OPEN = WebSocketState.OPEN
_CLOSING = WebSocketState.CLOSING
_CLOSED = WebSocketState.CLOSED


def _str_headers(headers: Sequence[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in headers
    )


class _WebSocketEndpoint(FramedEndpoint):
    """What both roles share: the open connection's framing, closing and queues."""

    __slots__ = (
        "_conn",
        "_decoder",
        "_fast",
        "_masks",
        "_out",
        "_pend",
        "_pend_need",
        "_pend_size",
        "answer_pings",
        "target",
    )

    def __init__(self, max_message_size: int) -> None:
        super().__init__(max_message_size)
        self._conn: Connection | None = None
        self._decoder: Any = None  # wsproto's frame decoder, to read pending frame headers
        # The client's fast path for whole text frames (transports._wsfast): wsproto's frame
        # protocol, to see that it holds nothing; None when not used.
        self._fast: Any = None
        self._masks = MaskSource()
        self._out: list[bytes] = []
        # The fast path's incomplete last frame (one it will take once whole), kept here while
        # wsproto holds nothing: its parts, their size, and the frame's whole size (0 while its
        # header is incomplete). Never more than one frame; wsproto is idle while it is kept.
        self._pend: list[bytes] = []
        self._pend_size = 0
        self._pend_need = 0
        #: The request target of the opening handshake.
        self.target = ""
        #: Answer inbound pings with pongs (the default). A test server can set it to
        #: ``False`` to simulate a peer that stopped answering keepalives.
        self.answer_pings = True

    # -- public API ---------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; ``b""`` means the peer closed the stream.

        Never raises for bad input. Then drain :meth:`events` and write :meth:`data_to_send`.
        Input after :class:`~transports.base.Closed` is ignored.
        """
        state = self._state
        if state is _OPEN or state is _CLOSING:
            conn = self._conn
            assert conn is not None
            if not data:
                if self._pend:  # wsproto reports what it would have made of the partial frame
                    self._flush_pending(conn)
                    if self._state is _CLOSED:
                        return
                self._finish(Closed(code=_ABNORMAL))
                return
            if state is _OPEN and self._fast is not None:
                pieces = self._pend
                if pieces:  # the rest of a fast-path frame (wsproto is idle meanwhile)
                    size = self._pend_size + len(data)
                    pieces.append(data)
                    if size < self._pend_need:
                        self._pend_size = size
                        return
                    data = b"".join(pieces)
                    self._pend = []
                    self._pend_size = 0
                if self._idle(conn):
                    used = take_text_frames(data, self._max, self._emit_message)
                    size = len(data)
                    if used == size:
                        return
                    need = text_frame_size(data, used, self._max)
                    if need == 0 or need > size - used:  # an incomplete fast-path frame
                        # (kept as read while none of it was taken: see _flush_pending)
                        self._pend = [data[used:]] if used else pieces or [data]
                        self._pend_size = size - used
                        self._pend_need = need
                        return
                    if pieces and not used:  # the kept frame is not taken after all
                        self._pend = pieces
                        self._flush_pending(conn)
                        return
                    if used:
                        data = data[used:]
            self._feed(conn, data)
        elif state is _CONNECTING:
            if data:
                self._receive_handshake(data)
            else:
                message = "the stream ended before the opening handshake completed"
                error = HandshakeRejected(message, status_code=0)
                self._finish(Closed(code=_ABNORMAL, reason=message, error=error))

    def data_to_send(self) -> bytes:
        """Return (and forget) the bytes to write to the socket now; may be ``b""``.

        Call it after every :meth:`receive_data` and every send/close call, and write the
        bytes in order.
        """
        out = self._out
        if not out:
            return b""
        self._out = []
        return b"".join(out)

    def send_message(self, data: bytes) -> None:
        """Queue ``data`` (one complete UTF-8 JSON document) as a text message.

        Then call :meth:`data_to_send` and write the bytes. A no-op once the connection is
        closing or closed. Raises :class:`NotOpenError` before :class:`Opened`, and
        :class:`UnicodeDecodeError` (a :class:`ValueError`) if ``data`` is not UTF-8.
        """
        state = self._state
        if state is _OPEN:
            conn = self._conn
            assert conn is not None
            text = data.decode("utf-8")
            if self._fast is not None and conn.state is ConnectionState.OPEN:
                self._out.append(client_text_frame(data, self._masks.take()))
            else:
                self._out.append(conn.send(TextMessage(data=text)))
        elif state is _CONNECTING:
            raise NotOpenError("cannot send a message before the opening handshake completed")

    def send_ping(self, payload: bytes = b"") -> None:
        """Queue a ping (keepalive); a :class:`~transports.base.Pong` event reports the answer.

        Then call :meth:`data_to_send` and write the bytes. ``payload`` is at most 125 bytes
        (:class:`ValueError` otherwise). A no-op once closing or closed; raises
        :class:`NotOpenError` before :class:`Opened`.
        """
        check_ping_payload(payload)
        state = self._state
        if state is _OPEN:
            assert self._conn is not None
            self._out.append(self._conn.send(Ping(payload=bytes(payload))))
        elif state is _CONNECTING:
            raise NotOpenError("cannot ping before the opening handshake completed")

    def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """Start the closing handshake; idempotent.

        Then call :meth:`data_to_send`, write the bytes, and keep feeding
        :meth:`receive_data` until :class:`Closed` arrives (with the code the peer echoed), or
        give up and feed ``b""``. Before the opening handshake completed, nothing is sent: the
        connection is abandoned and ``Closed(code=1006)`` is reported at once. ``code`` must
        be one a peer may send (1000-1003, 1007-1013, 3000-4999), else :class:`ValueError`.
        """
        check_close_code(code)
        state = self._state
        if state is _OPEN and self._pend:
            # wsproto takes over the partial frame now (the fast path is for OPEN only); if it
            # finds an error there, that is reported as it would have been already.
            assert self._conn is not None
            self._flush_pending(self._conn)
            state = self._state
        if state is _OPEN:
            assert self._conn is not None
            self._out.append(self._conn.send(CloseConnection(code=code, reason=reason)))
            self._state = _CLOSING
        elif state is _CONNECTING:
            self._finish(Closed(code=_ABNORMAL, reason=reason))

    # -- framing (hot path) -------------------------------------------------------------------

    def _feed(self, conn: Connection, data: bytes) -> None:
        """Hand ``data`` to wsproto, at most a chunk at a time, and turn its events into ours."""
        chunk = self._chunk
        if len(data) <= chunk:
            conn.receive_data(data)
            self._drain(conn)
            return
        for start in range(0, len(data), chunk):
            conn.receive_data(data[start : start + chunk])
            self._drain(conn)
            if self._state is _CLOSED:
                return

    def _flush_pending(self, conn: Connection) -> None:
        """Hand the fast path's kept frame to wsproto, in the pieces it was read in (so
        wsproto sees the reads it would have seen: the same events, errors and messages)."""
        pieces = self._pend
        self._pend = []
        self._pend_size = 0
        self._pend_need = 0
        for piece in pieces:
            self._feed(conn, piece)
            if self._state is _CLOSED:
                return

    def _emit_message(self, data: bytes) -> None:
        self._events.append(new_message(data))

    def _idle(self, conn: Connection) -> bool:
        """Whether wsproto holds nothing: no buffered bytes, partial frame or message."""
        proto = self._fast
        decoder = proto._frame_decoder
        return (
            not self._parts
            and decoder.header is None
            and not decoder.buffer.buffer
            and proto._message_decoder.opcode is None
            and not conn._events
        )

    def _drain(self, conn: Connection) -> None:
        """Turn every pending wsproto event into ours; must run after every receive_data."""
        append = self._events.append
        limit = self._max
        for event in conn.events():
            if type(event) is TextMessage:
                data = event.data.encode("utf-8")
                if event.message_finished and not self._parts:
                    if len(data) > limit:
                        self._fail(MessageTooBig(f"message over {limit} bytes"))
                        return
                    append(new_message(data))
                    continue
                size = self._size + len(data)
                if size > limit:
                    self._fail(MessageTooBig(f"message over {limit} bytes"))
                    return
                self._parts.append(data)
                if event.message_finished:
                    append(Message(data=b"".join(self._parts)))
                    self._parts = []
                    size = 0
                self._size = size
            elif type(event) is Ping:
                # No pong once our close is sent (wsproto refuses it, and the peer expects
                # nothing more than its close reply).
                if self.answer_pings and conn.state is ConnectionState.OPEN:
                    self._out.append(conn.send(event.response()))
            elif type(event) is WsPong:
                append(Pong(payload=event.payload))
            elif type(event) is CloseConnection:
                self._on_close(conn, event)
                return
            elif type(event) is BytesMessage:
                self._fail(UnsupportedData("binary messages are not supported"))
                return
        self._check_pending_header()

    def _check_pending_header(self) -> None:
        """Fail now if the frame wsproto is in the middle of announces too many bytes."""
        decoder = self._decoder
        if decoder is None:
            return
        header = decoder.header
        if header is None or header.opcode.iscontrol():
            return
        announced = self._size + header.payload_len - decoder.payload_consumed
        if announced > self._max:
            if header.opcode == 2:  # BINARY: report the more fundamental problem
                self._fail(UnsupportedData("binary messages are not supported"))
            else:
                self._fail(MessageTooBig(f"message over {self._max} bytes"))

    def _on_close(self, conn: Connection, event: CloseConnection) -> None:
        ws_state = conn.state
        if ws_state is ConnectionState.REMOTE_CLOSING:  # the peer starts the closing handshake
            self._out.append(conn.send(event.response()))
            self._finish(Closed(code=int(event.code), reason=event.reason or ""))
        elif ws_state is ConnectionState.CLOSED:  # the peer answers our close
            self._finish(Closed(code=int(event.code), reason=event.reason or ""))
        elif event.code == CloseCode.INVALID_PAYLOAD:  # wsproto reports a ParseFailed this way
            self._fail(InvalidPayload(event.reason or "invalid UTF-8"))
        else:
            self._fail(ProtocolViolation(event.reason or "protocol error"))

    def _fail(self, error: TransportError) -> None:
        """Queue a close frame for ``error`` (unless we already sent one) and report Closed."""
        if self._state is _OPEN:
            assert self._conn is not None
            self._out.append(
                self._conn.send(CloseConnection(code=error.close_code, reason=error.message))
            )
        self._finish(Closed(code=error.close_code, reason=error.message, error=error))

    def _finish(self, closed: Closed) -> None:
        self._state = _CLOSED
        self._parts = []
        self._size = 0
        self._decoder = None
        self._fast = None
        self._pend = []
        self._pend_size = 0
        self._pend_need = 0
        self._events.append(closed)

    def _open(self, conn: Connection, opened: Opened) -> None:
        """Switch to the open state over wsproto's ``conn`` and process what it holds."""
        self._conn = conn
        proto = getattr(conn, "_proto", None)
        decoder = getattr(proto, "_frame_decoder", None)
        # Reading the pending header relies on wsproto internals; without them, counting the
        # fragments as they arrive still enforces the limit.
        if hasattr(decoder, "header") and hasattr(decoder, "payload_consumed"):
            self._decoder = decoder
        # The fast path for whole text frames reads the same internals, and more: it is used
        # by the client role without extensions, when they all are where it expects them.
        if (
            self._decoder is not None
            and getattr(proto, "client", False) is True
            and getattr(proto, "extensions", None) == []
            and hasattr(getattr(decoder, "buffer", None), "buffer")
            and hasattr(getattr(proto, "_message_decoder", None), "opcode")
            and hasattr(conn, "_events")
        ):
            self._fast = proto
        self._state = _OPEN
        self._events.append(opened)
        self._drain(conn)

    def _receive_handshake(self, data: bytes) -> None:
        raise NotImplementedError


class WebSocketClient(_WebSocketEndpoint):
    """The client role: opens the RTM endpoint of :func:`rtm_target`.

    ``{path_prefix}/customer/v0.3/rtm/ws?license_id=..&bh=..`` by default; with ``api="3.6"``
    (or ``"3.4"``, ``"3.5"``) and ``organization_id``,
    ``{path_prefix}/v3.6/customer/rtm/ws?organization_id=..``.

    The opening handshake is queued by the constructor: call :meth:`data_to_send` right away
    and write it, then feed the response to :meth:`receive_data`. An accepted handshake yields
    ``Opened(target=<request target>, headers=<response headers>)``; any other response yields
    ``Closed(code=1006, error=HandshakeRejected(status_code=<HTTP status>))``.

    ``host`` is the Host header (``"api.chat.io"`` or ``"127.0.0.1:8080"``); ``bh`` a random
    base-36 string (see :func:`make_bh`; ``""`` leaves it out); ``origin`` an optional Origin
    header. Invalid arguments raise :class:`ValueError`.
    """

    __slots__ = ("_ws",)

    def __init__(
        self,
        *,
        host: str,
        license_id: int | None = None,
        bh: str = "",
        origin: str | None = None,
        extra_headers: Sequence[tuple[str, str]] = (),
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        path_prefix: str = "",
        api: str = LEGACY_API,
        organization_id: str | None = None,
    ) -> None:
        super().__init__(max_message_size)
        self.target = rtm_target(
            license_id=license_id,
            bh=bh,
            path_prefix=path_prefix,
            api=api,
            organization_id=organization_id,
        )
        headers = [("Origin", origin)] if origin is not None else []
        headers.extend(extra_headers)
        self._ws = WSConnection(ConnectionType.CLIENT)
        try:
            request = Request(
                host=host,
                target=self.target,
                extra_headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers],
            )
            self._out.append(self._ws.send(request))
        except (h11.LocalProtocolError, UnicodeError) as exc:
            raise ValueError(f"invalid host or header: {exc}") from exc

    def _receive_handshake(self, data: bytes) -> None:
        ws = self._ws
        try:
            ws.receive_data(data)
            # Only the handshake's events: the frames after the 101 stay for _drain().
            events = list(ws.handshake.events())
        except (RemoteProtocolError, UnicodeError) as exc:
            # wsproto decodes some header values as ASCII and lets the UnicodeDecodeError out.
            self._reject(HandshakeRejected(f"invalid handshake response: {exc}", status_code=0))
            return
        for event in events:
            if isinstance(event, AcceptConnection):
                conn = ws.connection
                assert conn is not None
                headers = _str_headers(event.extra_headers)
                self._open(conn, Opened(target=self.target, headers=headers))
                return
            if isinstance(event, RejectConnection):
                status = event.status_code
                message = rejected_message(status)
                self._reject(HandshakeRejected(message, status_code=status))
                return

    def _reject(self, error: HandshakeRejected) -> None:
        self._finish(Closed(code=_ABNORMAL, reason=error.message, error=error))


class WebSocketServer(_WebSocketEndpoint):
    """The server role: accepts the RTM upgrade of either dialect.

    ``GET /customer/v0.3/rtm/ws?license_id=<positive int>`` or
    ``GET /v3.{4,5,6}/customer/rtm/ws?organization_id=<non-empty string>``; once accepted,
    :attr:`address` says which dialect and which license / organization were addressed.
    With ``other_v3=True`` any other ``/v3.<n>/`` is accepted too (its :attr:`address` names
    that version), for a server that answers it with ``unsupported_version``.

    Feed the client's bytes to :meth:`receive_data` (the HTTP request is parsed here), or
    build the server with :meth:`from_upgrade_request` when the request was parsed elsewhere.
    An acceptable request queues the 101 response and yields
    ``Opened(target=<request target>, headers=<request headers, lower-case names>)``.
    Otherwise an HTTP error response is queued and
    ``Closed(code=1006, error=HandshakeRejected(status_code=...))`` is reported: 404 for
    another path (or an unknown v3 version), 400 for a missing or invalid ``license_id`` /
    ``organization_id`` or a malformed upgrade, 405 for
    another method, 426 for a request that is not a WebSocket upgrade or has another
    ``Sec-WebSocket-Version``. In both cases, write :meth:`data_to_send`.
    """

    __slots__ = ("_h11", "_other_v3", "_request", "address")

    def __init__(
        self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, other_v3: bool = False
    ) -> None:
        super().__init__(max_message_size)
        self._other_v3 = other_v3
        self._h11 = h11.Connection(h11.SERVER)
        self._request: list[tuple[bytes, bytes]] | None = None
        #: The dialect and license / organization the accepted request addressed (set
        #: before :class:`~transports.base.Opened` is reported; ``None`` until then and for
        #: a rejected request).
        self.address: Address | None = None

    @classmethod
    def from_upgrade_request(
        cls,
        target: str | bytes,
        headers: Sequence[tuple[bytes | str, bytes | str]],
        trailing_data: bytes = b"",
        *,
        method: str | bytes = "GET",
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        other_v3: bool = False,
    ) -> WebSocketServer:
        """Start the server role from a request an HTTP parser (e.g. h11) already read.

        ``trailing_data`` is what the parser read past the request (h11:
        ``conn.trailing_data[0]`` once it returned ``PAUSED``). The returned server has
        already accepted or rejected the request: drain :meth:`events`, write
        :meth:`data_to_send`, then go on feeding :meth:`receive_data` with the socket's bytes.
        """
        server = cls(max_message_size=max_message_size, other_v3=other_v3)
        raw_target = target.encode("ascii") if isinstance(target, str) else target
        raw_method = method.encode("ascii") if isinstance(method, str) else method
        raw_headers = [
            (
                (name.encode("latin-1") if isinstance(name, str) else name).lower(),
                value.encode("latin-1") if isinstance(value, str) else value,
            )
            for name, value in headers
        ]
        server._start(raw_method, raw_target, raw_headers, trailing_data)
        return server

    def _receive_handshake(self, data: bytes) -> None:
        conn = self._h11
        conn.receive_data(data)
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                self._reject(exc.error_status_hint, f"malformed HTTP request: {exc}")
                return
            if event is h11.NEED_DATA:
                return
            if isinstance(event, h11.Request):
                target = event.target
                headers = list(event.headers)
                if self._reject_bad_request(event.method, target, headers):
                    return
                self.target = target.decode("ascii")
                self._request = headers
            elif event is h11.PAUSED:
                # A valid upgrade request always has an Upgrade header, so h11 pauses after it.
                assert self._request is not None
                self._accept(self.target.encode("ascii"), self._request, conn.trailing_data[0])
                return

    def _start(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], trailing: bytes
    ) -> None:
        if self._reject_bad_request(method, target, headers):
            return
        self.target = target.decode("ascii")  # checked by _reject_bad_request
        self._accept(target, headers, trailing)

    def _reject_bad_request(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
    ) -> bool:
        """Reject the request (and return True) unless it is an RTM WebSocket upgrade."""
        try:
            parts = urlsplit(target.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            self._reject(400, "the request target is not a valid URL")
            return True
        found = route(parts.path, other_v3=self._other_v3)
        if found is None or found.endpoint is not Endpoint.RTM or found.api is None:
            self._reject(
                404,
                f"no such endpoint; RTM is at {RTM_PATH} or /v3.{{4,5,6}}/customer/rtm/ws",
            )
            return True
        try:
            address = parse_address(found.api, parts.query)
        except AddressError as exc:
            self._reject(400, str(exc))
            return True
        if method != b"GET":
            self._reject(405, "the RTM endpoint only accepts GET", [(b"Allow", b"GET")])
            return True
        fields: dict[bytes, bytes] = {}
        for name, value in headers:
            name = name.lower()
            fields[name] = fields[name] + b", " + value if name in fields else value
        if fields.get(b"upgrade", b"").strip().lower() != b"websocket":
            self._reject(
                426,
                "the RTM endpoint speaks WebSocket only",
                [(b"Upgrade", b"websocket"), (b"Sec-WebSocket-Version", b"13")],
            )
            return True
        tokens = [token.strip().lower() for token in fields.get(b"connection", b"").split(b",")]
        if b"upgrade" not in tokens:
            self._reject(400, "a WebSocket upgrade needs 'Connection: Upgrade'")
            return True
        version = fields.get(b"sec-websocket-version")
        if version is None:
            self._reject(400, "missing Sec-WebSocket-Version")
            return True
        if version.strip() != b"13":
            self._reject(
                426, "unsupported Sec-WebSocket-Version", [(b"Sec-WebSocket-Version", b"13")]
            )
            return True
        try:
            key_ok = len(base64.b64decode(fields.get(b"sec-websocket-key", b""), validate=True))
        except binascii.Error:
            key_ok = 0
        if key_ok != 16:
            self._reject(400, "missing or invalid Sec-WebSocket-Key")
            return True
        if not fields.get(b"host"):
            self._reject(400, "missing Host header")
            return True
        self.address = address
        return False

    def _accept(self, target: bytes, headers: list[tuple[bytes, bytes]], trailing: bytes) -> None:
        ws = WSConnection(ConnectionType.SERVER)
        try:
            ws.initiate_upgrade_connection(headers, target)
            for _ in ws.handshake.events():
                pass  # the Request event: already validated above
            response = ws.send(AcceptConnection())
        except RemoteProtocolError as exc:
            hint = exc.event_hint
            status = hint.status_code if isinstance(hint, RejectConnection) else 400
            self._reject(status, f"invalid WebSocket upgrade: {exc}")
            return
        except (h11.ProtocolError, UnicodeError) as exc:
            self._reject(400, f"invalid WebSocket upgrade: {exc}")
            return
        conn = ws.connection
        assert conn is not None
        self._request = None
        self._out.append(response)
        self._open(conn, Opened(target=self.target, headers=_str_headers(headers)))
        if trailing and self._state is not _CLOSED:
            self.receive_data(trailing)

    def _reject(self, status: int, message: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
        """Queue an HTTP error response and report the handshake as rejected."""
        self.address = None
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body = f"{status} {phrase}: {message}\n".encode()
        head = [
            f"HTTP/1.1 {status} {phrase}".encode("ascii"),
            b"Content-Type: text/plain; charset=utf-8",
            b"Content-Length: %d" % len(body),
            b"Connection: close",
        ]
        head.extend(name + b": " + value for name, value in extra)
        self._out.append(b"\r\n".join(head) + b"\r\n\r\n" + body)
        error = HandshakeRejected(message, status_code=status)
        self._finish(Closed(code=_ABNORMAL, reason=message, error=error))

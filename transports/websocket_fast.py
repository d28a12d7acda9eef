"""The RTM WebSocket client transport on websockets' sans-IO protocol (the ``speedups`` extra).

:class:`FastWebSocketClient` has the interface, events, limits and typed errors of
:class:`transports.websocket.WebSocketClient` (see that module for the driver loop and the
conventions: ``receive_data(b"")`` is end of stream, bad input never raises, ``Closed`` is
reported exactly once, pings are answered automatically). It parses frames with
``websockets.client.ClientProtocol``, about three times as fast as wsproto, and is what the
adapters pick when ``websockets`` is installed (``Config.websocket``).

What this module adds to websockets' protocol, as the wsproto transport does to wsproto:

* **Limits and errors of this project**: a text message over ``max_message_size`` bytes
  (counted across fragments; a frame header announcing more fails at once) closes with 1009,
  a binary message with 1003 (also when its header announces more than the limit), invalid
  UTF-8 with 1007, any framing error with 1002. The close frame sent carries the reason the
  ``Closed`` event reports.
* **A close frame in the middle of a fragmented message** ends the connection normally (the
  peer's close is echoed), as with wsproto; websockets alone would fail it with 1002.
* websockets fails an oversized frame on its length alone; the frame header is then read back
  from the last bytes fed (where the parser stopped), so that the error names the right
  problem (binary, control frame or size). Nothing of this runs on the hot path.

The protocol errors' texts are websockets' own (``"reserved bits must be 0"``), so they differ
from the wsproto transport's; codes and error types are the same. With a ``max_message_size``
under 125 bytes a control frame over the limit also fails the connection (1002); the default
is 1 MiB.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from websockets.client import ClientProtocol
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus, PayloadTooBig, ProtocolError
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.uri import parse_uri

from customer_protocol.endpoints import LEGACY_API
from transports._wscommon import (
    DEFAULT_MAX_MESSAGE_SIZE,
    FramedEndpoint,
    NotOpenError,
    WebSocketState,
    check_close_code,
    check_ping_payload,
    new_message,
    rejected_message,
    rtm_target,
)
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

__all__ = ["FastWebSocketClient"]

_ABNORMAL = CloseCode.ABNORMAL
_CONNECTING = WebSocketState.CONNECTING
_OPEN = WebSocketState.OPEN
_CLOSING = WebSocketState.CLOSING
_CLOSED = WebSocketState.CLOSED
_TEXT = Opcode.TEXT
_CONT = Opcode.CONT
_PONG = Opcode.PONG
_CLOSE = Opcode.CLOSE
_BINARY = Opcode.BINARY
_WS_OPEN = State.OPEN

# The request target and Host header are ours; the URI only satisfies the constructor.
_URI = parse_uri("ws://localhost/")
# Response headers the handshake consumes (the wsproto transport leaves them out as well).
_HANDSHAKE_HEADERS = frozenset(
    {
        "connection",
        "upgrade",
        "sec-websocket-accept",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
    }
)
_TOKEN = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]|^[ \t]|[ \t]$")


def _check_header(name: str, value: str) -> None:
    if not _TOKEN.match(name) or _BAD_VALUE.search(value):
        raise ValueError(f"invalid host or header: {name!r}")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(f"invalid host or header: {name!r}") from exc


class _Protocol(ClientProtocol):
    """websockets' client protocol, noting how much input was left unparsed on a failure."""

    unparsed = 0

    def fail(self, code: int, reason: str = "") -> None:
        self.unparsed = len(self.reader.buffer)
        super().fail(code, reason)


def _close_frame(code: int, reason: str) -> bytes:
    """A masked close frame (the client's) with ``code`` and ``reason``; 1005: empty."""
    payload = b"" if code == CloseCode.NO_STATUS else Close(code, reason).serialize()
    return Frame(_CLOSE, payload).serialize(mask=True)


class FastWebSocketClient(FramedEndpoint):
    """The client role on websockets' protocol; the same interface as ``WebSocketClient``.

    It opens the RTM endpoint of :func:`~transports.websocket.rtm_target` (v0.3 by default;
    ``api="3.6"`` with ``organization_id`` for v3). The opening handshake is queued by the
    constructor: write :meth:`data_to_send`, then feed the response to :meth:`receive_data`.
    An accepted handshake yields ``Opened(target=..., headers=<response headers but the
    handshake's own>)``; any other response ``Closed(code=1006,
    error=HandshakeRejected(status_code=<HTTP status, 0 if none>))``.
    Arguments as for ``WebSocketClient``; invalid ones raise :class:`ValueError`.
    """

    __slots__ = ("_piece", "_proto", "_tail", "_tail_before", "target")

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
        #: The request target of the opening handshake.
        self.target = rtm_target(
            license_id=license_id,
            bh=bh,
            path_prefix=path_prefix,
            api=api,
            organization_id=organization_id,
        )
        wanted = [("Host", host)]
        if origin is not None:
            wanted.append(("Origin", origin))
        wanted.extend(extra_headers)
        if not host:
            raise ValueError("invalid host or header: empty Host")
        for name, value in wanted:
            _check_header(name, value)
        # The last bytes fed, to read back the header of a frame that failed on its length.
        self._tail = self._tail_before = self._piece = b""
        proto = self._proto = _Protocol(_URI, max_size=max_message_size)
        ours = {name.lower() for name, _ in wanted}
        headers = Headers(wanted)
        for name, value in proto.connect().headers.raw_items():
            if name.lower() not in ours:
                headers[name] = value
        proto.send_request(Request(self.target, headers))

    # -- public API ---------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; ``b""`` means the peer closed the stream.

        Never raises for bad input. Then drain :meth:`events` and write :meth:`data_to_send`.
        Input after :class:`~transports.base.Closed` is ignored.
        """
        state = self._state
        if state is _OPEN or state is _CLOSING:
            if not data:
                self._finish(Closed(code=_ABNORMAL))
                return
            proto = self._proto
            chunk = self._chunk
            if len(data) <= chunk:
                self._feed(proto, data)
                self._drain(proto)
                return
            for start in range(0, len(data), chunk):
                self._feed(proto, data[start : start + chunk])
                self._drain(proto)
                if self._state is _CLOSED:
                    return
        elif state is _CONNECTING:
            if data:
                for start in range(0, len(data), self._chunk):
                    self._feed(self._proto, data[start : start + self._chunk])
                    self._handshake(eof=False)
                    if self._state is not _CONNECTING:
                        return
            else:
                self._proto.receive_eof()
                self._handshake(eof=True)

    def data_to_send(self) -> bytes:
        """Return (and forget) the bytes to write to the socket now; may be ``b""``."""
        proto = self._proto
        if not proto.writes:
            return b""
        return b"".join(proto.data_to_send())  # an EOF marker (b"") joins as nothing

    def send_message(self, data: bytes) -> None:
        """Queue ``data`` (one complete UTF-8 JSON document) as a text message.

        A no-op once closing or closed. Raises :class:`NotOpenError` before ``Opened`` and
        :class:`UnicodeDecodeError` (a :class:`ValueError`) if ``data`` is not UTF-8.
        """
        state = self._state
        if state is _OPEN:
            if not data.isascii():
                data.decode("utf-8")
            self._proto.send_text(data)
        elif state is _CONNECTING:
            raise NotOpenError("cannot send a message before the opening handshake completed")

    def send_ping(self, payload: bytes = b"") -> None:
        """Queue a ping; a :class:`~transports.base.Pong` event reports the answer.

        ``payload`` is at most 125 bytes (:class:`ValueError`). A no-op once closing or
        closed; raises :class:`NotOpenError` before ``Opened``.
        """
        check_ping_payload(payload)
        state = self._state
        if state is _OPEN:
            self._proto.send_ping(bytes(payload))
        elif state is _CONNECTING:
            raise NotOpenError("cannot ping before the opening handshake completed")

    def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """Start the closing handshake; idempotent (as ``WebSocketClient.close``).

        Before the opening handshake completed nothing is sent and ``Closed(code=1006)`` is
        reported at once. ``code`` must be 1000-1003, 1007-1013 or 3000-4999.
        """
        check_close_code(code)
        state = self._state
        if state is _OPEN:
            encoded = reason.encode("utf-8")
            if len(encoded) > 123:  # a control frame's payload is at most 125 bytes
                reason = encoded[:123].decode("utf-8", "ignore")
            self._proto.send_close(code, reason)
            self._state = _CLOSING
        elif state is _CONNECTING:
            self._finish(Closed(code=_ABNORMAL, reason=reason))

    # -- framing (hot path) -------------------------------------------------------------------

    def _feed(self, proto: ClientProtocol, piece: bytes) -> None:
        """Feed ``piece`` to websockets, remembering the 10 bytes before it (a frame header)."""
        before = self._tail
        self._tail_before = before
        self._piece = piece
        self._tail = piece[-10:] if len(piece) >= 10 else (before + piece)[-10:]
        proto.receive_data(piece)

    def _drain(self, proto: ClientProtocol) -> None:
        """Turn websockets' frames into our events, then report a parser failure if any."""
        events = proto.events
        if events:
            proto.events = []
            self._frames(events)
        if proto.parser_exc is not None and self._state is not _CLOSED:
            self._parser_failed(proto)

    def _frames(self, frames: list[Any]) -> None:
        append = self._events.append
        limit = self._max
        for frame in frames:
            opcode = frame.opcode
            if opcode is _TEXT and frame.fin:
                data = bytes(frame.data)
                if not data.isascii():
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        self._fail(InvalidPayload(f"invalid UTF-8: {exc.reason}"))
                        return
                append(new_message(data))
            elif opcode is _TEXT or opcode is _CONT:
                size = self._size + len(frame.data)
                if size > limit:  # websockets checks it too; kept for max sizes under 125
                    self._fail(MessageTooBig(f"message over {limit} bytes"))
                    return
                self._parts.append(bytes(frame.data))
                self._size = size
                if frame.fin:
                    data = b"".join(self._parts)
                    self._parts = []
                    self._size = 0
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        self._fail(InvalidPayload(f"invalid UTF-8: {exc.reason}"))
                        return
                    append(Message(data=data))
            elif opcode is _PONG:
                append(Pong(payload=bytes(frame.data)))
            elif opcode is _CLOSE:
                self._peer_closed()
                return
            elif opcode is _BINARY:
                self._fail(UnsupportedData("binary messages are not supported"))
                return
            # PING: websockets queued the pong already.

    def _peer_closed(self) -> None:
        """The peer's close frame arrived; websockets echoed it if we had not closed."""
        close = self._proto.close_rcvd
        assert close is not None
        self._finish(Closed(code=int(close.code), reason=close.reason))

    def _parser_failed(self, proto: ClientProtocol) -> None:
        """websockets failed the connection (and queued a close frame if it was open)."""
        exc = proto.parser_exc
        wrote_close = proto.close_sent is not None and self._state is _OPEN
        if proto.close_rcvd is not None:
            # A close frame in the middle of a fragmented message: a normal close for us.
            close = proto.close_rcvd
            if wrote_close:
                proto.writes[-1] = _close_frame(close.code, close.reason)
            self._finish(Closed(code=int(close.code), reason=close.reason))
            return
        error: TransportError
        if isinstance(exc, PayloadTooBig):
            error = self._too_big(getattr(exc, "size", None))
        elif isinstance(exc, UnicodeDecodeError):
            error = InvalidPayload(f"invalid UTF-8 in a close reason: {exc.reason}")
        elif isinstance(exc, ProtocolError):
            error = ProtocolViolation(str(exc) or "protocol error")
        else:  # websockets' own failure: report it as a protocol error of the stream
            error = ProtocolViolation(f"frame parser failed: {type(exc).__name__}")
        if wrote_close:
            proto.writes[-1] = _close_frame(error.close_code, error.message)
        self._finish(Closed(code=error.close_code, reason=error.message, error=error))

    def _too_big(self, size: int | None) -> TransportError:
        """The error for a frame whose header announced ``size`` bytes, over the limit.

        websockets raised right after reading the header, which ended where its parser
        stopped: ``unparsed`` bytes before the end of what was fed, all in the last piece.
        """
        window = self._tail_before + self._piece
        end = len(window) - self._proto.unparsed
        opcode = 1
        for length_bytes, marker in ((0, size), (2, 126), (8, 127)):
            start = end - 2 - length_bytes
            if start < 0 or size is None or (not length_bytes and size >= 126):
                continue
            announced = int.from_bytes(window[start + 2 : end]) if length_bytes else size
            if window[start + 1] & 0x7F == marker and announced == size:
                opcode = window[start] & 0x0F
                break
        if opcode == 2:
            return UnsupportedData("binary messages are not supported")
        if opcode >= 8:
            return ProtocolViolation("control frame too long")
        return MessageTooBig(f"message over {self._max} bytes")

    def _fail(self, error: TransportError) -> None:
        """Queue a close frame for ``error`` (unless one was sent) and report Closed."""
        proto = self._proto
        if proto.state is _WS_OPEN:
            proto.fail(error.close_code, error.message)
        else:
            proto.parser = proto.discard()
            next(proto.parser)
        self._finish(Closed(code=error.close_code, reason=error.message, error=error))

    def _finish(self, closed: Closed) -> None:
        self._state = _CLOSED
        self._parts = []
        self._size = 0
        self._events.append(closed)

    # -- opening handshake --------------------------------------------------------------------

    def _handshake(self, *, eof: bool) -> None:
        proto = self._proto
        events = proto.events
        proto.events = []
        error = proto.handshake_exc
        if error is not None:
            if isinstance(error, InvalidStatus):
                status = error.response.status_code
                self._reject(HandshakeRejected(rejected_message(status), status_code=status))
            elif eof:
                message = "the stream ended before the opening handshake completed"
                self._reject(HandshakeRejected(message, status_code=0))
            else:
                message = f"invalid handshake response: {error}"
                self._reject(HandshakeRejected(message, status_code=0))
            return
        if not events:
            if eof:
                message = "the stream ended before the opening handshake completed"
                self._reject(HandshakeRejected(message, status_code=0))
            return
        response = cast(Response, events[0])
        headers = tuple(
            (name.lower(), value)
            for name, value in response.headers.raw_items()
            if name.lower() not in _HANDSHAKE_HEADERS
        )
        self._state = _OPEN
        self._events.append(Opened(target=self.target, headers=headers))
        if len(events) > 1:
            self._frames(events[1:])
        if proto.parser_exc is not None and self._state is not _CLOSED:
            self._parser_failed(proto)

    def _reject(self, error: HandshakeRejected) -> None:
        self._proto.writes = []  # websockets' EOF marker: the driver closes the socket itself
        self._finish(Closed(code=_ABNORMAL, reason=error.message, error=error))

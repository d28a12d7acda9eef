"""HTTP/1.1 over h11, both roles, without I/O (the Web API and accounts build on it).

**Client role** — :class:`HTTPClientConnection` sends one request at a time on a keep-alive
connection and reassembles each response (``Content-Length``, chunked, or read-to-EOF) into a
:class:`ResponseReceived`, up to ``max_response_size`` bytes of body. A driver:

1. calls :meth:`~HTTPClientConnection.send_request` (or ``start_request`` / ``send_body`` /
   ``end_request`` to stream a body, e.g. a :class:`~transports.multipart.MultipartBody`) and
   writes :meth:`~HTTPClientConnection.data_to_send` to the socket;
2. feeds every read with :meth:`~HTTPClientConnection.receive_data` (``b""`` = the peer closed)
   and drains :meth:`~HTTPClientConnection.events` after each feed;
3. on :class:`ResponseReceived`, decodes it (``transports.webapi.decode_web_api_response``,
   or the helpers of ``transports.accounts``); if
   :attr:`~HTTPClientConnection.can_send_request` is true the connection can carry the next
   request, otherwise the driver closes the socket;
4. on :class:`ConnectionEnded`, closes the socket; ``error`` says why when it was not clean.

**Server role** — :class:`HTTPServerConnection` parses requests (``Content-Length`` or chunked
bodies, a body limit answered with ``413``, pipelined keep-alive requests) into
:class:`RequestReceived`, or :class:`UpgradeRequested` for a WebSocket upgrade (then it stops:
hand ``target``, ``headers`` and ``trailing_data`` to the WebSocket transport). Requests it
cannot parse are answered by the connection itself (``400``, ``413``, ``431``) and reported as
:class:`RequestRejected`. A driver feeds bytes, drains events, answers each
:class:`RequestReceived` with :meth:`~HTTPServerConnection.send_response`,
:meth:`~HTTPServerConnection.send_json` or :meth:`~HTTPServerConnection.send_error`, writes
:meth:`~HTTPServerConnection.data_to_send`, drains events again (a pipelined request may be
waiting), and closes the socket once :attr:`~HTTPServerConnection.must_close` is true.

**Conventions.** End of stream is ``receive_data(b"")``. Nothing the peer sends raises: bad
input becomes an event carrying a :class:`HTTPTransportError`. Misuse by the driver (sending a
request while one is in flight, answering when no request is waiting) raises
:class:`~customer_protocol.errors.LocalProtocolError`. The server-side decoding helpers here
and in ``transports.webapi`` / ``transports.accounts`` raise an :class:`HTTPRequestError` whose
``status_code`` is the answer to send (:meth:`HTTPServerConnection.send_error` sends it).
Tokens and secrets never appear in reprs or error messages.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import h11

from customer_protocol.codec import dumps
from customer_protocol.errors import InvalidArgumentsError, LocalProtocolError

from ._http_messages import (
    _HEAD_TOO_LARGE,
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_HEADER_SIZE,
    DEFAULT_MAX_UPLOAD_SIZE,
    BadRequest,
    ConnectionEnded,
    Headers,
    HTTPClientEvent,
    HTTPRequest,
    HTTPRequestError,
    HTTPServerEvent,
    HTTPTransportError,
    IncompleteResponse,
    MalformedResponse,
    MethodNotAllowed,
    NotFound,
    RequestReceived,
    RequestRejected,
    RequestTooLarge,
    ResponseReceived,
    ResponseTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    UpgradeRequested,
    _decode_headers,
    _h11_call,
    _head_size,
    _split_target,
    header_value,
)

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_HEADER_SIZE",
    "DEFAULT_MAX_UPLOAD_SIZE",
    "BadRequest",
    "ConnectionEnded",
    "HTTPClientConnection",
    "HTTPClientEvent",
    "HTTPRequest",
    "HTTPRequestError",
    "HTTPServerConnection",
    "HTTPServerEvent",
    "HTTPTransportError",
    "Headers",
    "IncompleteResponse",
    "MalformedResponse",
    "MethodNotAllowed",
    "NotFound",
    "RequestReceived",
    "RequestRejected",
    "RequestTooLarge",
    "ResponseReceived",
    "ResponseTooLarge",
    "Unauthorized",
    "UnsupportedMediaType",
    "UpgradeRequested",
    "bearer_token",
    "check_credential",
    "check_host",
    "header_value",
    "parse_form",
    "require_method",
]


# -- client role ----------------------------------------------------------------------------------


class HTTPClientConnection:
    """The client side of one HTTP/1.1 connection: one request at a time, kept alive.

    See the module docstring for the order of calls.
    """

    def __init__(
        self,
        *,
        max_response_size: int = DEFAULT_MAX_BODY_SIZE,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
    ) -> None:
        """``max_response_size`` bounds each response body; past it: :class:`ResponseTooLarge`."""
        if max_response_size <= 0 or max_header_size <= 0:
            raise InvalidArgumentsError("size limits must be positive")
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_header_size)
        self._max_header_size = max_header_size
        self.max_response_size = max_response_size
        self._out = bytearray()
        self._events: deque[HTTPClientEvent] = deque()
        self._in_flight = False
        self._response: h11.Response | None = None
        self._response_done = False
        self._body = bytearray()
        self._ended = False
        self._eof = False

    @property
    def can_send_request(self) -> bool:
        """True when a new request may be started on this connection now."""
        return (
            not self._ended
            and not self._in_flight
            and self._h11.our_state is h11.IDLE
            and self._h11.their_state is h11.IDLE
        )

    @property
    def ended(self) -> bool:
        """True once :class:`ConnectionEnded` has been reported."""
        return self._ended

    def send_request(self, request: HTTPRequest) -> None:
        """Queue a whole request (head and ``request.body``); then write :meth:`data_to_send`.

        Raises :class:`LocalProtocolError` unless :attr:`can_send_request`.
        """
        if request.body is None:
            raise LocalProtocolError("send_request needs a body; use start_request to stream")
        self.start_request(request)
        if request.body:
            self.send_body(request.body)
        self.end_request()

    def start_request(self, request: HTTPRequest) -> None:
        """Queue a request head; follow with :meth:`send_body` calls and :meth:`end_request`.

        The headers must carry ``Content-Length`` (or ``Transfer-Encoding: chunked``) for a
        body. Raises :class:`LocalProtocolError` unless :attr:`can_send_request`. A
        :class:`LocalProtocolError` from h11 itself (a body that does not match its
        ``Content-Length``, a missing ``Host``) leaves the connection unusable: close it.
        """
        if not self.can_send_request:
            raise LocalProtocolError("the connection cannot take a request now")
        self._out += _h11_call(
            self._h11.send,
            h11.Request(
                method=request.method, target=request.target, headers=list(request.headers)
            ),
        )
        self._in_flight = True
        self._response = None
        self._response_done = False
        self._body = bytearray()

    def send_body(self, data: bytes) -> None:
        """Queue a piece of the request body; then write :meth:`data_to_send`.

        Ignored once the connection has ended (stop streaming when :meth:`events` reports
        :class:`ConnectionEnded`, or a :class:`ResponseReceived` that arrived early).
        """
        if self._ended or self._h11.our_state is not h11.SEND_BODY:
            if self._ended or self._response_done:
                return
            raise LocalProtocolError("no request body is being sent")
        if data:
            self._out += _h11_call(self._h11.send, h11.Data(data=data))

    def end_request(self) -> None:
        """Finish the request body; then write :meth:`data_to_send` and wait for the response."""
        if self._ended or self._h11.our_state is not h11.SEND_BODY:
            if self._ended or self._response_done:
                return
            raise LocalProtocolError("no request body is being sent")
        self._out += _h11_call(self._h11.send, h11.EndOfMessage())
        self._maybe_next_cycle()

    def data_to_send(self) -> bytes:
        """Return (and forget) the bytes to write to the socket now. May be empty."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; ``b""`` means the server closed its side.

        Drain :meth:`events` afterwards. Never raises for anything the server sent.
        """
        if self._ended or self._eof:
            return
        if not data:
            self._eof = True
        self._h11.receive_data(data)
        self._pump()

    def events(self) -> Iterator[HTTPClientEvent]:
        """Yield, and forget, the events that happened since the last call."""
        while self._events:
            yield self._events.popleft()

    def _fail(self, error: HTTPTransportError) -> None:
        self._events.append(ConnectionEnded(error=error))
        self._ended = True

    def _maybe_next_cycle(self) -> None:
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
        if self._response_done and self._h11.our_state is not h11.SEND_BODY:
            self._in_flight = False

    def _pump(self) -> None:
        while not self._ended:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                if exc.error_status_hint == 431:
                    self._fail(MalformedResponse(_HEAD_TOO_LARGE))
                elif self._eof:
                    self._fail(IncompleteResponse("the server closed the connection mid-response"))
                else:
                    self._fail(MalformedResponse("the server sent malformed HTTP"))
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.InformationalResponse):
                continue
            if isinstance(event, h11.Response):
                if not self._in_flight or self._response_done:
                    self._fail(MalformedResponse("the server sent a response nobody asked for"))
                    return
                if _head_size(event.reason, event.headers) > self._max_header_size:
                    self._fail(MalformedResponse(_HEAD_TOO_LARGE))
                    return
                length = header_value(_decode_headers(event.headers), "content-length")
                if length is not None and length.isdigit() and int(length) > self.max_response_size:
                    self._fail(ResponseTooLarge(self._too_large_message()))
                    return
                self._response = event
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > self.max_response_size:
                    self._fail(ResponseTooLarge(self._too_large_message()))
                    return
            elif isinstance(event, h11.EndOfMessage):
                response = self._response
                if response is None:  # pragma: no cover - h11 never ends a message unopened
                    self._fail(MalformedResponse("a response ended before it started"))
                    return
                self._events.append(
                    ResponseReceived(
                        status=response.status_code,
                        reason=response.reason.decode("latin-1"),
                        headers=_decode_headers(response.headers),
                        body=bytes(self._body),
                    )
                )
                self._response_done = True
                self._body = bytearray()
                self._maybe_next_cycle()
            elif isinstance(event, h11.ConnectionClosed):
                if self._in_flight and not self._response_done:
                    self._fail(IncompleteResponse("the server closed the connection mid-response"))
                else:
                    self._events.append(ConnectionEnded())
                    self._ended = True
                return

    def _too_large_message(self) -> str:
        return f"the response body is over the limit of {self.max_response_size} bytes"


# -- server role ----------------------------------------------------------------------------------


class _Phase(enum.Enum):
    READING = "reading"
    RESPONDING = "responding"
    UPGRADED = "upgraded"
    CLOSED = "closed"


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


def _error_body(error_type: str, message: str) -> bytes:
    return dumps({"error": {"type": error_type, "message": message}})


class HTTPServerConnection:
    """The server side of one HTTP/1.1 connection (keep-alive, pipelining, upgrades).

    See the module docstring for the order of calls.
    """

    def __init__(
        self,
        *,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_upload_size: int = DEFAULT_MAX_UPLOAD_SIZE,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
    ) -> None:
        """Bodies over ``max_body_size`` (``max_upload_size`` for multipart) get a 413."""
        if min(max_body_size, max_upload_size, max_header_size) <= 0:
            raise InvalidArgumentsError("size limits must be positive")
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=max_header_size)
        self._max_header_size = max_header_size
        self.max_body_size = max_body_size
        self.max_upload_size = max_upload_size
        self._out = bytearray()
        self._events: deque[HTTPServerEvent] = deque()
        self._phase = _Phase.READING
        self._eof = False
        self._request: h11.Request | None = None
        self._body = bytearray()
        self._limit = max_body_size
        self._upgrade = False

    @property
    def must_close(self) -> bool:
        """True once the connection is done: write :meth:`data_to_send`, then close the socket.

        (After :class:`UpgradeRequested` it is false: the socket belongs to the WebSocket.)
        """
        return self._phase is _Phase.CLOSED

    @property
    def awaiting_response(self) -> bool:
        """True while a :class:`RequestReceived` waits for its answer."""
        return self._phase is _Phase.RESPONDING

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; ``b""`` means the client closed its side.

        Drain :meth:`events` afterwards. Never raises for anything the client sent; after
        :class:`UpgradeRequested` feeding more raises :class:`LocalProtocolError`.
        """
        if self._phase is _Phase.UPGRADED:
            raise LocalProtocolError("the connection was upgraded; feed the WebSocket instead")
        if self._phase is _Phase.CLOSED or self._eof:
            return
        if not data:
            self._eof = True
        self._h11.receive_data(data)
        self._pump()

    def events(self) -> Iterator[HTTPServerEvent]:
        """Yield, and forget, the events that happened since the last call."""
        while self._events:
            yield self._events.popleft()

    def data_to_send(self) -> bytes:
        """Return (and forget) the bytes to write to the socket now. May be empty."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def send_response(self, status: int, headers: Headers = (), body: bytes = b"") -> None:
        """Answer the waiting request; then write :meth:`data_to_send` and drain :meth:`events`.

        ``Content-Length`` is added unless given. Raises :class:`LocalProtocolError` unless
        :attr:`awaiting_response`.
        """
        if self._phase is not _Phase.RESPONDING:
            raise LocalProtocolError("no request is waiting for a response")
        names = {name.lower() for name, _ in headers}
        all_headers = list(headers)
        if "content-length" not in names and "transfer-encoding" not in names:
            all_headers.append(("Content-Length", str(len(body))))
        self._out += _h11_call(
            self._h11.send,
            h11.Response(status_code=status, headers=all_headers, reason=_reason(status)),
        )
        if body:
            self._out += _h11_call(self._h11.send, h11.Data(data=body))
        self._out += _h11_call(self._h11.send, h11.EndOfMessage())
        self._request = None
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
            self._phase = _Phase.READING
            self._pump()
        else:
            self._close()

    def send_json(self, status: int, obj: Any, headers: Headers = ()) -> None:
        """Answer with ``obj`` as a JSON body (see :meth:`send_response`)."""
        self.send_response(status, ((*headers, ("Content-Type", "application/json"))), dumps(obj))

    def send_error(self, error: HTTPRequestError) -> None:
        """Answer with ``error.status_code`` and ``{"error": {"type", "message"}}``."""
        self.send_response(
            error.status_code,
            (*error.headers, ("Content-Type", "application/json")),
            _error_body(error.error_type, error.message),
        )

    def _close(self) -> None:
        if self._h11.our_state is h11.MUST_CLOSE:
            self._out += self._h11.send(h11.ConnectionClosed()) or b""
        self._phase = _Phase.CLOSED

    def _reject(self, error: HTTPRequestError) -> None:
        """Queue a 4xx answer by hand (h11 may be in an error state) and close."""
        reason = _reason(error.status_code).decode("ascii")
        body = _error_body(error.error_type, error.message)
        head = [f"HTTP/1.1 {error.status_code} {reason}"]
        head += [f"{name}: {value}" for name, value in error.headers]
        head += [
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Connection: close",
        ]
        self._out += ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        self._events.append(RequestRejected(error=error))
        self._phase = _Phase.CLOSED

    def _pump(self) -> None:
        while self._phase is _Phase.READING:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                if self._eof:
                    self._events.append(
                        ConnectionEnded(error=BadRequest("the client closed mid-request"))
                    )
                    self._phase = _Phase.CLOSED
                elif exc.error_status_hint == 431:
                    self._reject(BadRequest(_HEAD_TOO_LARGE, status_code=431))
                else:
                    self._reject(
                        BadRequest("malformed HTTP request", status_code=exc.error_status_hint)
                    )
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self._start_request(event)
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > self._limit:
                    self._reject(RequestTooLarge(self._too_large_message()))
            elif isinstance(event, h11.EndOfMessage):
                self._finish_request()
            elif isinstance(event, h11.ConnectionClosed):
                self._events.append(ConnectionEnded())
                self._phase = _Phase.CLOSED

    def _start_request(self, event: h11.Request) -> None:
        self._request = event
        self._body = bytearray()
        if _head_size(event.method + event.target, event.headers) > self._max_header_size:
            self._reject(BadRequest(_HEAD_TOO_LARGE, status_code=431))
            return
        headers = _decode_headers(event.headers)
        upgrade = header_value(headers, "upgrade") or ""
        self._upgrade = "websocket" in upgrade.lower()
        content_type = (header_value(headers, "content-type") or "").lower()
        multipart = content_type.startswith("multipart/form-data")
        self._limit = self.max_upload_size if multipart else self.max_body_size
        length = header_value(headers, "content-length")
        if length is not None and length.isdigit() and int(length) > self._limit:
            self._reject(RequestTooLarge(self._too_large_message()))
            return
        if self._h11.they_are_waiting_for_100_continue:
            self._out += self._h11.send(h11.InformationalResponse(status_code=100, headers=[]))

    def _finish_request(self) -> None:
        request = self._request
        if request is None:  # pragma: no cover - h11 never ends a message unopened
            self._reject(BadRequest("a request ended before it started"))
            return
        target = request.target.decode("latin-1")
        path, query = _split_target(target)
        headers = _decode_headers(request.headers)
        if self._upgrade:
            self._phase = _Phase.UPGRADED
            self._events.append(
                UpgradeRequested(
                    target=target,
                    path=path,
                    query=query,
                    headers=headers,
                    trailing_data=self._h11.trailing_data[0],
                )
            )
            return
        self._phase = _Phase.RESPONDING
        self._events.append(
            RequestReceived(
                method=request.method.decode("latin-1"),
                target=target,
                path=path,
                query=query,
                headers=headers,
                body=bytes(self._body),
            )
        )
        self._body = bytearray()

    def _too_large_message(self) -> str:
        return f"the request body is over the limit of {self._limit} bytes"


# -- shared request helpers -----------------------------------------------------------------------


def check_credential(what: str, token: str) -> None:
    """Raise :class:`InvalidArgumentsError` unless ``token`` can go in a header (never shown)."""
    if not isinstance(token, str) or not token or any(c in token for c in "\r\n\x00 "):
        raise InvalidArgumentsError(f"{what} must be a non-empty string without whitespace")


def check_host(host: str) -> None:
    """Raise :class:`InvalidArgumentsError` unless ``host`` is a bare ``host[:port]``."""
    if not isinstance(host, str) or not host or any(c in host for c in "\r\n\x00 /"):
        raise InvalidArgumentsError("host must be a bare host[:port]")


def bearer_token(request: RequestReceived) -> str:
    """The token of ``Authorization: Bearer <token>``; raises :class:`Unauthorized` (401)."""
    value = request.header("authorization") or ""
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing or malformed Authorization: Bearer header")
    return token


def parse_form(request: RequestReceived) -> dict[str, str]:
    """Decode an ``application/x-www-form-urlencoded`` body (first value of each name).

    Raises :class:`UnsupportedMediaType` (415) for another content type and
    :class:`BadRequest` (400) for a body that is not UTF-8.
    """
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("expected application/x-www-form-urlencoded")
    try:
        text = request.body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("malformed form body") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def require_method(request: RequestReceived, method: str) -> None:
    """Raise :class:`MethodNotAllowed` (405, with ``Allow``) unless the method is ``method``."""
    if request.method != method:
        raise MethodNotAllowed(f"use {method}", headers=(("Allow", method),))

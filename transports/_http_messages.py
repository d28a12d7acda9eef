"""The HTTP vocabulary of :mod:`transports.http`: limits, headers, errors, events, requests.

Shared by the client and server roles (and by ``transports.webapi`` / ``transports.accounts``
through :mod:`transports.http`, which re-exports every public name here: import from there).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import h11

from customer_protocol.errors import LocalProtocolError

from .base import CloseCode, TransportError
from .multipart import MAX_FILE_SIZE

DEFAULT_MAX_BODY_SIZE: Final = 1 << 20
"""Default limit of a JSON or form body, either direction (1 MiB)."""
DEFAULT_MAX_UPLOAD_SIZE: Final = MAX_FILE_SIZE + 64 * 1024
"""Default limit of a ``multipart/form-data`` request body: the 10 MiB file plus the parts."""
DEFAULT_MAX_HEADER_SIZE: Final = 16 * 1024
"""Default limit of a request or response head."""
Headers = tuple[tuple[str, str], ...]
"""HTTP headers as ``(name, value)`` pairs; names lower-cased in everything this module emits."""

_SECRET_HEADERS: Final = frozenset({"authorization", "cookie", "proxy-authorization"})


def _redacted(headers: Headers) -> str:
    shown = [(n, "<redacted>" if n.lower() in _SECRET_HEADERS else v) for n, v in headers]
    return repr(tuple(shown))


def header_value(headers: Headers, name: str) -> str | None:
    """Return the first value of header ``name`` (case-insensitive), or ``None``."""
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


def _decode_headers(raw: Iterator[tuple[bytes, bytes]] | Any) -> Headers:
    return tuple((n.decode("latin-1"), v.decode("latin-1")) for n, v in raw)


# -- errors ---------------------------------------------------------------------------------------


class HTTPTransportError(TransportError):
    """Base class of the errors of the HTTP transport. :attr:`status_code` is 0 unless set."""

    status_code: int = 0


class MalformedResponse(HTTPTransportError):
    """The server sent something that is not valid HTTP/1.1 (or an unsolicited response)."""


class IncompleteResponse(HTTPTransportError):
    """The server closed the connection before the response was complete."""

    close_code = CloseCode.ABNORMAL


class ResponseTooLarge(HTTPTransportError):
    """A response body went past the client's ``max_response_size``."""

    close_code = CloseCode.MESSAGE_TOO_BIG


class HTTPRequestError(HTTPTransportError):
    """A request the server cannot serve; :attr:`status_code` is the 4xx answer to send.

    :attr:`error_type` is the ``type`` of the ``{"error": ...}`` body sent with it
    (``wire.md`` section 6); :attr:`headers` are extra response headers (e.g. ``Allow``).
    """

    status_code = 400
    error_type = "validation"

    def __init__(
        self, message: str, *, status_code: int | None = None, headers: Headers = ()
    ) -> None:
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers


class BadRequest(HTTPRequestError):
    """400: malformed HTTP, JSON, form or multipart data, or a missing/invalid parameter."""


class Unauthorized(HTTPRequestError):
    """401: no usable ``Authorization: Bearer`` header."""

    status_code = 401
    error_type = "authentication"


class NotFound(HTTPRequestError):
    """404: no such endpoint or Web API action."""

    status_code = 404


class MethodNotAllowed(HTTPRequestError):
    """405: the endpoint exists but not for this method (the answer carries ``Allow``)."""

    status_code = 405


class RequestTooLarge(HTTPRequestError):
    """413: the body (or the uploaded file) is over the limit."""

    status_code = 413


class UnsupportedMediaType(HTTPRequestError):
    """415: the body's ``Content-Type`` is not one the endpoint accepts."""

    status_code = 415


# -- events and requests --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class HTTPRequest:
    """A request for :class:`HTTPClientConnection` to send.

    ``body=None`` means the body is streamed (``start_request`` / ``send_body`` /
    ``end_request``) and ``headers`` carry its ``Content-Length``. The repr hides the
    ``Authorization`` header and the body (which may hold secrets).
    """

    method: str
    target: str
    headers: Headers
    body: bytes | None = b""

    def __repr__(self) -> str:
        size = "streamed" if self.body is None else f"{len(self.body)} bytes"
        return (
            f"HTTPRequest(method={self.method!r}, target={self.target!r}, "
            f"headers={_redacted(self.headers)}, body=<{size}>)"
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ResponseReceived:
    """A complete response (client role). Decode it; then send the next request or close."""

    status: int
    reason: str
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return header_value(self.headers, name)

    def __repr__(self) -> str:
        return (
            f"ResponseReceived(status={self.status}, reason={self.reason!r}, "
            f"headers={_redacted(self.headers)}, body=<{len(self.body)} bytes>)"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionEnded:
    """The connection is over; close the socket. ``error`` is ``None`` for a clean close."""

    error: HTTPTransportError | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RequestReceived:
    """A complete request (server role). Answer it with exactly one ``send_*`` call.

    :attr:`path` is the target's path (still percent-encoded), :attr:`query` its parameters
    (the first value of each name). The repr hides ``Authorization`` and the body.
    """

    method: str
    target: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return header_value(self.headers, name)

    def __repr__(self) -> str:
        return (
            f"RequestReceived(method={self.method!r}, target={self.target!r}, "
            f"headers={_redacted(self.headers)}, body=<{len(self.body)} bytes>)"
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class UpgradeRequested:
    """A WebSocket upgrade request (server role); this connection object is finished.

    Pass ``target``, ``headers`` and ``trailing_data`` (bytes that followed the request) to
    ``transports.websocket.WebSocketServer.from_upgrade_request`` and feed the socket to it
    from now on.
    """

    target: str
    path: str
    query: dict[str, str]
    headers: Headers
    trailing_data: bytes

    def __repr__(self) -> str:
        return (
            f"UpgradeRequested(target={self.target!r}, headers={_redacted(self.headers)}, "
            f"trailing_data=<{len(self.trailing_data)} bytes>)"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRejected:
    """The server connection answered a request it could not parse (already queued).

    Write :meth:`HTTPServerConnection.data_to_send`, then close the socket
    (:attr:`HTTPServerConnection.must_close` is true).
    """

    error: HTTPRequestError

    @property
    def status_code(self) -> int:
        """The status of the answer that was queued."""
        return self.error.status_code


HTTPClientEvent = ResponseReceived | ConnectionEnded
HTTPServerEvent = RequestReceived | UpgradeRequested | RequestRejected | ConnectionEnded


def _split_target(target: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(target)
    query: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(name, value)
    return parts.path, query


_HEAD_TOO_LARGE: Final = "the message head is too large"


def _head_size(first_line: bytes, headers: Any) -> int:
    """The size of a message head as sent (close enough to h11's incomplete-event limit)."""
    return len(first_line) + 16 + sum(len(name) + len(value) + 4 for name, value in headers)


def _h11_call(func: Any, *args: Any) -> Any:
    """Run an h11 send-side call, turning its misuse errors into ours."""
    try:
        return func(*args)
    except h11.LocalProtocolError as exc:
        raise LocalProtocolError(f"HTTP misuse: {exc}") from None


def post_request(
    host: str,
    target: str,
    token: str | None,
    content_type: str,
    body: bytes | None,
    *,
    length: int | None = None,
) -> HTTPRequest:
    """A ``POST`` that accepts JSON: ``Host``, ``Authorization: Bearer`` (when ``token`` is
    given), ``Content-Type``, ``Accept`` and ``Content-Length`` (of ``body``, or ``length``
    for a body streamed later, ``body=None``). The caller checks ``host`` and ``token``."""
    headers: list[tuple[str, str]] = [("Host", host)]
    if token is not None:
        headers.append(("Authorization", f"Bearer {token}"))
    headers += [
        ("Content-Type", content_type),
        ("Accept", "application/json"),
        ("Content-Length", str(len(body) if body is not None else length)),
    ]
    return HTTPRequest(method="POST", target=target, headers=tuple(headers), body=body)

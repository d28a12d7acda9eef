"""The Web API of ``wire.md`` section 4 over :mod:`transports.http`, both roles.

Client side: :func:`build_web_api_request` (JSON actions) and :func:`build_send_file_request`
(the head of a streamed multipart upload) build :class:`~transports.http.HTTPRequest` values for
:class:`~transports.http.HTTPClientConnection`; :func:`decode_web_api_response` turns the
:class:`~transports.http.ResponseReceived` into the payload dict, or raises the SDK error the
response means (``AuthenticationError``, ``RequestFailedError``; ``RemoteProtocolError`` for a
malformed success body).

Server side: :func:`endpoint_of` routes a path to one of the four endpoints of ``wire.md``
section 1; :func:`parse_web_api_request` decodes a
:class:`~transports.http.RequestReceived` into a :class:`WebAPICall` or raises the
:class:`~transports.http.HTTPRequestError` to answer with (``HTTPServerConnection.send_error``);
:func:`web_api_success` and :func:`web_api_error` build the answer bodies for ``send_json``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

from customer_protocol.codec import dumps, loads
from customer_protocol.errors import (
    AuthenticationError,
    CustomerSDKError,
    InvalidArgumentsError,
    RemoteProtocolError,
    RequestFailedError,
)

from .http import (
    BadRequest,
    HTTPRequest,
    NotFound,
    RequestReceived,
    RequestTooLarge,
    ResponseReceived,
    UnsupportedMediaType,
    bearer_token,
    check_credential,
    check_host,
    require_method,
)
from .multipart import (
    FILE_TOO_BIG_MESSAGE,
    MAX_FILE_SIZE,
    FilePart,
    MultipartBody,
    MultipartError,
    MultipartTooLarge,
    parse_multipart,
)

__all__ = [
    "API_PATH",
    "WEB_API_ACTIONS",
    "Endpoint",
    "WebAPICall",
    "build_send_file_request",
    "build_web_api_request",
    "decode_web_api_response",
    "endpoint_of",
    "parse_web_api_request",
    "web_api_error",
    "web_api_success",
    "web_api_target",
]

API_PATH: Final = "/customer/v0.3"
"""The versioned path under which the RTM and Web API endpoints live (``wire.md`` section 1)."""
WEB_API_ACTIONS: Final = frozenset(
    {
        "start_chat",
        "send_event",
        "send_file",
        "send_sneak_peek",
        "close_thread",
        "update_chat_scopes",
        "update_customer",
        "update_chat_properties",
        "update_chat_thread_properties",
    }
)
"""The actions the Web API serves (``wire.md`` section 4)."""


class Endpoint(enum.StrEnum):
    """The endpoints of ``wire.md`` section 1, as the one-port reference server routes them."""

    RTM = "rtm"
    WEB_API = "web_api"
    CUSTOMER_CODE = "customer_code"
    CUSTOMER_TOKEN = "customer_token"


def endpoint_of(path: str, *, prefix: str = "") -> Endpoint | None:
    """Which endpoint ``path`` (a request's path, below ``prefix``) belongs to, if any."""
    if prefix and not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    if rest == f"{API_PATH}/rtm/ws":
        return Endpoint.RTM
    if rest.startswith(f"{API_PATH}/action/"):
        return Endpoint.WEB_API
    if rest == "/customer/":
        return Endpoint.CUSTOMER_CODE
    if rest == "/customer/token":
        return Endpoint.CUSTOMER_TOKEN
    return None


def web_api_target(action: str, license_id: int, *, prefix: str = "") -> str:
    """``{prefix}/customer/v0.3/action/<action>?license_id=<id>``, checked.

    Raises :class:`InvalidArgumentsError` for an action that is not a Web API action or a
    license id that is not a positive integer.
    """
    if action not in WEB_API_ACTIONS:
        raise InvalidArgumentsError(
            f"{action!r} is not a Web API action (one of {', '.join(sorted(WEB_API_ACTIONS))})"
        )
    if isinstance(license_id, bool) or not isinstance(license_id, int) or license_id <= 0:
        raise InvalidArgumentsError("license_id must be a positive integer")
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise InvalidArgumentsError("prefix must start with '/' and not end with '/'")
    return f"{prefix}{API_PATH}/action/{action}?{urlencode({'license_id': license_id})}"


def build_web_api_request(
    *,
    host: str,
    access_token: str,
    license_id: int,
    action: str,
    payload: Mapping[str, Any],
    prefix: str = "",
) -> HTTPRequest:
    """Build ``POST .../action/<action>`` with the bare JSON ``payload`` as the body.

    For ``send_file`` use :func:`build_send_file_request`. Send the result with
    :meth:`HTTPClientConnection.send_request`; decode the answer with
    :func:`decode_web_api_response`.
    """
    if action == "send_file":
        raise InvalidArgumentsError("send_file is multipart: use build_send_file_request")
    target = web_api_target(action, license_id, prefix=prefix)
    check_host(host)
    check_credential("access_token", access_token)
    body = dumps(dict(payload))
    return HTTPRequest(
        method="POST",
        target=target,
        headers=(
            ("Host", host),
            ("Authorization", f"Bearer {access_token}"),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            ("Content-Length", str(len(body))),
        ),
        body=body,
    )


def build_send_file_request(
    *, host: str, access_token: str, license_id: int, body: MultipartBody, prefix: str = ""
) -> HTTPRequest:
    """Build the head of a ``send_file`` upload whose body is streamed from ``body``.

    Start it with :meth:`HTTPClientConnection.start_request`, then send every
    ``body.next_chunk()`` with :meth:`~HTTPClientConnection.send_body` (report progress as
    ``body.bytes_sent / body.bytes_total``), then :meth:`~HTTPClientConnection.end_request`.
    Build ``body`` with :func:`transports.multipart.build_send_file_body` (it checks the
    10 MiB limit before anything is sent).
    """
    target = web_api_target("send_file", license_id, prefix=prefix)
    check_host(host)
    check_credential("access_token", access_token)
    return HTTPRequest(
        method="POST",
        target=target,
        headers=(
            ("Host", host),
            ("Authorization", f"Bearer {access_token}"),
            ("Content-Type", body.content_type),
            ("Accept", "application/json"),
            ("Content-Length", str(body.bytes_total)),
        ),
        body=None,
    )


def _error_from_body(status: int, reason: str, body: bytes) -> CustomerSDKError:
    error: Any = None
    try:
        document = loads(body)
        if isinstance(document, dict):
            error = document.get("error")
    except RemoteProtocolError:
        pass
    if isinstance(error, dict):
        error_type = error.get("type") if isinstance(error.get("type"), str) else None
        message = error.get("message") if isinstance(error.get("message"), str) else ""
        data = error.get("data")
    else:
        error_type, message, data = None, "", None
    message = message or f"HTTP {status} {reason}".strip()
    if error_type == "authentication" or status == 401:
        return AuthenticationError(message, type=error_type or "authentication", data=data)
    return RequestFailedError(message, type=error_type or "internal", data=data)


def decode_web_api_response(response: ResponseReceived) -> dict[str, Any]:
    """Return the payload of a Web API response, or raise what the response means.

    * 2xx: ``{"payload": {...}}`` or a bare payload object → the payload dict (an empty body
      is ``{}``); anything else raises ``RemoteProtocolError``.
    * 4xx/5xx: ``{"error": {"type", "message", "data"?}}`` → raises ``AuthenticationError`` for
      type ``authentication`` or status 401, else ``RequestFailedError`` with the server's
      ``type``/``message``/``data``. An error body that cannot be read still raises one of
      those two, with type ``internal`` and the status line as the message.
    * any other status raises ``RemoteProtocolError``.
    """
    status = response.status
    if status >= 400:
        raise _error_from_body(status, response.reason, response.body)
    if not 200 <= status < 300:
        raise RemoteProtocolError(f"unexpected HTTP status {status}")
    if not response.body.strip():
        return {}
    document = loads(response.body)
    if not isinstance(document, dict):
        raise RemoteProtocolError("a Web API response must be a JSON object", raw=response.body)
    payload = document.get("payload", document)
    if not isinstance(payload, dict):
        raise RemoteProtocolError("'payload' must be an object", raw=response.body)
    return payload


# -- Web API, server side -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WebAPICall:
    """A parsed Web API request: answer it with ``send_json(200, {"payload": ...})``.

    For ``send_file``, :attr:`payload` holds the ``payload.*`` text fields (``chat_id``,
    ``custom_id``) and :attr:`file` the upload. The token is left out of the repr.
    """

    action: str
    license_id: int
    access_token: str = field(repr=False)
    payload: dict[str, Any]
    file: FilePart | None = None


def _license_id(query: Mapping[str, str]) -> int:
    raw = query.get("license_id")
    if raw is None:
        raise BadRequest("missing license_id query parameter")
    if not raw.isascii() or not raw.isdigit() or int(raw) <= 0 or len(raw) > 19:
        raise BadRequest("license_id must be a positive integer")
    return int(raw)


def parse_web_api_request(
    request: RequestReceived, *, prefix: str = "", max_file_size: int = MAX_FILE_SIZE
) -> WebAPICall:
    """Decode a Web API request, or raise the :class:`HTTPRequestError` to answer with.

    Checks, in order: the path (404 unless ``{prefix}/customer/v0.3/action/<known action>``),
    the method (405 unless POST), ``license_id`` (400), the bearer token (401), then the body:
    JSON object (400 if malformed; an empty body is ``{}``), or for ``send_file``
    ``multipart/form-data`` (415 otherwise; 400 if malformed or without ``payload.file``;
    413 for a file over ``max_file_size``).
    """
    if endpoint_of(request.path, prefix=prefix) is not Endpoint.WEB_API:
        raise NotFound("no such endpoint")
    action = request.path[len(prefix) + len(API_PATH) + len("/action/") :]
    if action not in WEB_API_ACTIONS:
        raise NotFound("no such Web API action")
    require_method(request, "POST")
    license_id = _license_id(request.query)
    token = bearer_token(request)
    content_type = request.header("content-type") or ""
    if action == "send_file":
        return _parse_send_file(request, content_type, license_id, token, max_file_size)
    if content_type and content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("expected application/json")
    payload: Any = {}
    if request.body.strip():
        try:
            payload = loads(request.body)
        except RemoteProtocolError:
            raise BadRequest("the body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("the payload must be a JSON object")
    return WebAPICall(action=action, license_id=license_id, access_token=token, payload=payload)


def _parse_send_file(
    request: RequestReceived, content_type: str, license_id: int, token: str, max_file_size: int
) -> WebAPICall:
    if not content_type.lower().startswith("multipart/form-data"):
        raise UnsupportedMediaType("send_file expects multipart/form-data")
    try:
        form = parse_multipart(request.body, content_type, max_file_size=max_file_size)
    except MultipartTooLarge:
        raise RequestTooLarge(
            FILE_TOO_BIG_MESSAGE
            if max_file_size == MAX_FILE_SIZE
            else f"the file is over the limit of {max_file_size} bytes"
        ) from None
    except MultipartError as exc:
        raise BadRequest(f"malformed multipart body: {exc.message}") from None
    file = form.files.get("payload.file")
    if file is None:
        raise BadRequest("missing payload.file")
    payload: dict[str, Any] = {
        name.removeprefix("payload."): value
        for name, value in form.fields.items()
        if name.startswith("payload.")
    }
    return WebAPICall(
        action="send_file", license_id=license_id, access_token=token, payload=payload, file=file
    )


def web_api_success(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a successful Web API answer: ``{"payload": payload}`` (for ``send_json``)."""
    return {"payload": dict(payload)}


def web_api_error(error_type: str, message: str, data: Any = None) -> dict[str, Any]:
    """The body of a failed Web API answer: ``{"error": {"type", "message", "data"?}}``."""
    error: dict[str, Any] = {"type": error_type, "message": message}
    if data is not None:
        error["data"] = data
    return {"error": error}

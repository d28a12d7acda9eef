"""The Web API of ``wire.md`` section 4 over :mod:`transports.http`, both roles.

Client side: :func:`build_web_api_request` (JSON actions) and :func:`build_send_file_request`
(the head of a streamed multipart upload) build :class:`~transports.http.HTTPRequest` values for
:class:`~transports.http.HTTPClientConnection`; :func:`decode_web_api_response` turns the
:class:`~transports.http.ResponseReceived` into the payload dict, or raises the SDK error the
response means (``AuthenticationError``, ``RequestFailedError``; ``RemoteProtocolError`` for a
malformed success body).

Both dialects: v0.3 (``/customer/v0.3/action/<action>?license_id=``, ``wire.md`` section 4)
and LiveChat v3.x (``/v3.6/customer/action/<action>?organization_id=``, ``v3.md`` section 1;
pass ``api="3.6"`` and ``organization_id``). The paths come from
:mod:`customer_protocol.endpoints`.

Server side: :func:`endpoint_of` routes a path to one of the endpoints of ``wire.md``
section 1 and ``v3.md`` section 1; :func:`parse_web_api_request` decodes a
:class:`~transports.http.RequestReceived` into a :class:`WebAPICall` or raises the
:class:`~transports.http.HTTPRequestError` to answer with (``HTTPServerConnection.send_error``);
:func:`web_api_success` and :func:`web_api_error` build the answer bodies for ``send_json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from customer_protocol.codec import dumps, loads
from customer_protocol.endpoints import (
    LEGACY_API,
    AddressError,
    Endpoint,
    action_path,
    address_query,
    api_base,
    parse_address,
    route,
)
from customer_protocol.errors import (
    AuthenticationError,
    CustomerSDKError,
    InvalidArgumentsError,
    RemoteProtocolError,
    RequestFailedError,
)

from ._http_messages import post_request
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
    MultipartForm,
    MultipartTooLarge,
    parse_multipart,
)

__all__ = [
    "API_PATH",
    "UPLOAD_FILE",
    "WEB_API_ACTIONS",
    "Endpoint",
    "WebAPICall",
    "build_send_file_request",
    "build_upload_file_request",
    "build_web_api_request",
    "decode_web_api_response",
    "endpoint_of",
    "parse_web_api_request",
    "web_api_error",
    "web_api_success",
    "web_api_target",
]

API_PATH: Final = api_base(LEGACY_API)
"""The v0.3 path under which the RTM and Web API endpoints live (``wire.md`` section 1)."""
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
"""The actions the v0.3 Web API serves (``wire.md`` section 4). In v3 every action name is
routed and the server decides which it serves."""
_ADDRESS_PARAMS: Final = frozenset({"organization_id", "license_id"})
UPLOAD_FILE: Final = "upload_file"
"""The v3 multipart action (field ``file``; the answer is ``{"url": ...}``)."""


def endpoint_of(path: str, *, prefix: str = "") -> Endpoint | None:
    """Which endpoint ``path`` (a request's path, below ``prefix``) belongs to, if any.

    Both dialects: see :func:`customer_protocol.endpoints.route` for the api and action.
    """
    found = route(path, prefix=prefix)
    return None if found is None else found.endpoint


def web_api_target(
    action: str,
    license_id: int | None = None,
    *,
    prefix: str = "",
    api: str = LEGACY_API,
    organization_id: str | None = None,
) -> str:
    """The request target of a Web API call, checked.

    v0.3: ``{prefix}/customer/v0.3/action/<action>?license_id=<id>``; v3 (``api="3.6"``...):
    ``{prefix}/v<api>/customer/action/<action>?organization_id=<id>``. Raises
    :class:`InvalidArgumentsError` for an unknown ``api``, an action that is not a v0.3 Web
    API action (v0.3) or not an action name (v3), a missing or invalid id, or a bad prefix.
    """
    if api == LEGACY_API and action not in WEB_API_ACTIONS:
        raise InvalidArgumentsError(
            f"{action!r} is not a Web API action (one of {', '.join(sorted(WEB_API_ACTIONS))})"
        )
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise InvalidArgumentsError("prefix must start with '/' and not end with '/'")
    try:
        path = action_path(action, api)
        query = address_query(api, license_id=license_id, organization_id=organization_id)
    except ValueError as exc:
        raise InvalidArgumentsError(str(exc)) from None
    return f"{prefix}{path}?{query}"


def build_web_api_request(
    *,
    host: str,
    access_token: str,
    license_id: int | None = None,
    action: str,
    payload: Mapping[str, Any],
    prefix: str = "",
    api: str = LEGACY_API,
    organization_id: str | None = None,
) -> HTTPRequest:
    """Build ``POST .../action/<action>`` with the bare JSON ``payload`` as the body.

    For ``send_file`` (v0.3) use :func:`build_send_file_request`, for ``upload_file`` (v3)
    :func:`build_upload_file_request`. Send the result with
    :meth:`HTTPClientConnection.send_request`; decode the answer with
    :func:`decode_web_api_response`.
    """
    if action == "send_file" and api == LEGACY_API:
        raise InvalidArgumentsError("send_file is multipart: use build_send_file_request")
    if action == UPLOAD_FILE and api != LEGACY_API:
        raise InvalidArgumentsError("upload_file is multipart: use build_upload_file_request")
    target = web_api_target(
        action, license_id, prefix=prefix, api=api, organization_id=organization_id
    )
    check_host(host)
    check_credential("access_token", access_token)
    return post_request(host, target, access_token, "application/json", dumps(dict(payload)))


def _multipart_head(host: str, access_token: str, target: str, body: MultipartBody) -> HTTPRequest:
    check_host(host)
    check_credential("access_token", access_token)
    return post_request(
        host, target, access_token, body.content_type, None, length=body.bytes_total
    )


def build_send_file_request(
    *, host: str, access_token: str, license_id: int, body: MultipartBody, prefix: str = ""
) -> HTTPRequest:
    """Build the head of a v0.3 ``send_file`` upload whose body is streamed from ``body``.

    Start it with :meth:`HTTPClientConnection.start_request`, then send every
    ``body.next_chunk()`` with :meth:`~HTTPClientConnection.send_body` (report progress as
    ``body.bytes_sent / body.bytes_total``), then :meth:`~HTTPClientConnection.end_request`.
    Build ``body`` with :func:`transports.multipart.build_send_file_body` (it checks the
    10 MiB limit before anything is sent).
    """
    target = web_api_target("send_file", license_id, prefix=prefix)
    return _multipart_head(host, access_token, target, body)


def build_upload_file_request(
    *,
    host: str,
    access_token: str,
    organization_id: str,
    body: MultipartBody,
    api: str = "3.6",
    prefix: str = "",
) -> HTTPRequest:
    """Build the head of a v3 ``upload_file`` upload whose body is streamed from ``body``.

    As :func:`build_send_file_request`; build ``body`` with
    :func:`transports.multipart.build_upload_file_body` (field ``file``). The answer decodes
    to ``{"url": ...}``.
    """
    if api == LEGACY_API:
        raise InvalidArgumentsError("upload_file is a v3 action; v0.3 uploads with send_file")
    target = web_api_target(UPLOAD_FILE, prefix=prefix, api=api, organization_id=organization_id)
    return _multipart_head(host, access_token, target, body)


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
    """A parsed Web API request of either dialect.

    :attr:`api` is ``"0.3"`` (answer with ``send_json(200, web_api_success(payload))``) or a
    v3 version (the answer is the bare payload). v0.3 calls carry :attr:`license_id`, v3
    calls :attr:`organization_id` (or :attr:`license_id` when the client named the license).
    For v0.3 ``send_file``, :attr:`payload` holds the ``payload.*`` text fields (``chat_id``,
    ``custom_id``) and :attr:`file` the upload; for v3 ``upload_file``, :attr:`payload` is
    ``{}`` and :attr:`file` the ``file`` part. The token is left out of the repr.
    """

    action: str
    license_id: int | None = None
    access_token: str = field(repr=False)
    payload: dict[str, Any]
    file: FilePart | None = None
    api: str = LEGACY_API
    organization_id: str | None = None


def parse_web_api_request(
    request: RequestReceived,
    *,
    prefix: str = "",
    max_file_size: int = MAX_FILE_SIZE,
    other_v3: bool = False,
) -> WebAPICall:
    """Decode a Web API request, or raise the :class:`HTTPRequestError` to answer with.

    Checks, in order: the path (404 unless ``{prefix}/customer/v0.3/action/<known action>``
    or ``{prefix}/v3.{4,5,6}/customer/action/<action name>``), the method (405 unless POST;
    v3 also takes GET, whose query parameters but ``organization_id`` / ``license_id`` are the
    payload),
    ``license_id`` / ``organization_id`` (400), the bearer token (401), then the body: JSON
    object (400 if malformed; an empty body is ``{}``), or for v0.3 ``send_file`` / v3
    ``upload_file`` ``multipart/form-data`` (415 otherwise; 400 if malformed or without
    ``payload.file`` / ``file``; 413 for a file over ``max_file_size``). ``other_v3`` routes
    any other ``/v3.<n>/`` too (see :func:`customer_protocol.endpoints.route`).
    """
    found = route(request.path, prefix=prefix, other_v3=other_v3)
    if found is None or found.endpoint is not Endpoint.WEB_API:
        raise NotFound("no such endpoint")
    action, api = found.action, found.api
    assert action is not None and api is not None  # a WEB_API route has both
    if api == LEGACY_API and action not in WEB_API_ACTIONS:
        raise NotFound("no such Web API action")
    if api == LEGACY_API or request.method != "GET":
        require_method(request, "POST")
    query = request.target.partition("?")[2]
    try:
        address = parse_address(api, query)
    except AddressError as exc:
        raise BadRequest(str(exc)) from None
    license_id, organization_id = address.license_id, address.organization_id
    token = bearer_token(request)
    if request.method == "GET":  # v3 only: LiveChat's JS SDK reads some actions with GET
        fields = {k: v for k, v in request.query.items() if k not in _ADDRESS_PARAMS}
        return WebAPICall(
            action=action,
            license_id=license_id,
            access_token=token,
            payload=fields,
            api=api,
            organization_id=organization_id,
        )
    content_type = request.header("content-type") or ""
    if action == "send_file" and api == LEGACY_API:
        return _parse_send_file(request, content_type, license_id, token, max_file_size)
    if action == UPLOAD_FILE and api != LEGACY_API:
        form = _parse_form_data(request, content_type, max_file_size)
        file = form.files.get("file")
        if file is None:
            raise BadRequest("missing file")
        return WebAPICall(
            action=action,
            license_id=license_id,
            access_token=token,
            payload={},
            file=file,
            api=api,
            organization_id=organization_id,
        )
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
    return WebAPICall(
        action=action,
        license_id=license_id,
        access_token=token,
        payload=payload,
        api=api,
        organization_id=organization_id,
    )


def _parse_form_data(
    request: RequestReceived, content_type: str, max_file_size: int
) -> MultipartForm:
    if not content_type.lower().startswith("multipart/form-data"):
        raise UnsupportedMediaType("an upload expects multipart/form-data")
    try:
        return parse_multipart(request.body, content_type, max_file_size=max_file_size)
    except MultipartTooLarge:
        raise RequestTooLarge(
            FILE_TOO_BIG_MESSAGE
            if max_file_size == MAX_FILE_SIZE
            else f"the file is over the limit of {max_file_size} bytes"
        ) from None
    except MultipartError as exc:
        raise BadRequest(f"malformed multipart body: {exc.message}") from None


def _parse_send_file(
    request: RequestReceived,
    content_type: str,
    license_id: int | None,
    token: str,
    max_file_size: int,
) -> WebAPICall:
    form = _parse_form_data(request, content_type, max_file_size)
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


def web_api_success(payload: Mapping[str, Any], *, api: str = LEGACY_API) -> dict[str, Any]:
    """The body of a successful Web API answer (for ``send_json``).

    v0.3: ``{"payload": payload}``; v3: the bare payload (``v3.md`` section 1).
    """
    return {"payload": dict(payload)} if api == LEGACY_API else dict(payload)


def web_api_error(error_type: str, message: str, data: Any = None) -> dict[str, Any]:
    """The body of a failed Web API answer: ``{"error": {"type", "message", "data"?}}``."""
    error: dict[str, Any] = {"type": error_type, "message": message}
    if data is not None:
        error["data"] = data
    return {"error": error}

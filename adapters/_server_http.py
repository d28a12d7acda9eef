"""The reference server's HTTP requests, routed by path to the right dialect (one port).

:func:`customer_protocol.endpoints.route` names the endpoint (and for the Web API the dialect
and action); the transports parse the request; :class:`ServerCore` answers it:

* ``/customer/v0.3/action/<action>?license_id=`` and
  ``/v3.{4,5,6}/customer/action/<action>?organization_id=`` (JSON, multipart ``send_file`` /
  ``upload_file``, a v3 ``GET``) -> ``ServerCore.web_api(..., api=, organization_id=)``;
  another ``/v3.<n>/`` goes to the core too, which answers ``unsupported_version``;
* ``/customer/`` and ``/customer/token`` (v0.3 accounts code flow) and
  ``/v2/customer/token`` (v3 agent-token and cookie grants, JSON or form);
* the RTM paths without a WebSocket upgrade -> 426;
* anything else: an uploaded file (``GET`` on its URL) or 404.

Liberal where real clients differ (``v3.md`` section 11): pretty-printed JSON, an ``Origin``
header (which also stands in for a missing ``redirect_uri`` of the cookie grant, and is allowed
by CORS: every answer to a request with an ``Origin`` allows it, with credentials, and an
``OPTIONS`` preflight to an HTTP endpoint gets 200), a body without ``Content-Type`` on the
token endpoint.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from customer_protocol.endpoints import LEGACY_API, Address, Endpoint, route
from customer_protocol.server import HttpReply, ServerConfig, Upload
from transports.accounts import parse_customer_token_v2_request
from transports.http import (
    HTTPRequestError,
    HTTPServerConnection,
    NotFound,
    RequestReceived,
    parse_form,
    require_method,
)
from transports.webapi import parse_web_api_request

if TYPE_CHECKING:
    from .server import ReferenceServer

__all__ = ["answer_http", "v3_organization"]

logger = logging.getLogger("adapters.server")

_UPGRADE_HEADERS = (("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"))


def answer_http(
    server: ReferenceServer, http: HTTPServerConnection, request: RequestReceived
) -> None:
    """Answer one HTTP request on ``http`` (exactly one response is queued)."""
    found = route(request.path, other_v3=True)
    endpoint = None if found is None else found.endpoint
    cors = _cors_headers(request)
    if request.method == "OPTIONS" and endpoint is not None and endpoint is not Endpoint.RTM:
        logger.debug("< OPTIONS %s -> 200", request.path)
        http.send_response(200, (*cors, *_preflight_headers(request)))
        return
    try:
        if endpoint is Endpoint.WEB_API:
            reply = _web_api(server, request)
        elif endpoint is Endpoint.CUSTOMER_CODE:
            require_method(request, "POST")
            form = parse_form(request)
            auth = request.header("authorization")
            reply = server.core.accounts_authorize(auth, form, time.monotonic())
        elif endpoint is Endpoint.CUSTOMER_TOKEN:
            require_method(request, "POST")
            reply = server.core.accounts_token(parse_form(request), time.monotonic())
        elif endpoint is Endpoint.CUSTOMER_TOKEN_V2:
            reply = _token_v2(server, request)
        elif endpoint is Endpoint.RTM:
            raise HTTPRequestError(
                "the RTM endpoint speaks WebSocket only", status_code=426, headers=_UPGRADE_HEADERS
            )
        else:
            _serve_file(server, http, request, cors)
            return
    except HTTPRequestError as error:
        logger.debug("< %s %s -> %d", request.method, request.path, error.status_code)
        body = {"error": {"type": error.error_type, "message": error.message}}
        http.send_json(error.status_code, body, (*error.headers, *cors))
        return
    server._after_input()
    logger.debug("< %s %s -> %d", request.method, request.path, reply.status)
    http.send_json(reply.status, reply.body, (*reply.headers, *cors))


def _cors_headers(request: RequestReceived) -> tuple[tuple[str, str], ...]:
    """CORS for browser clients: the request's ``Origin`` is allowed, with credentials (the
    cookie grant's identity cookies need them)."""
    origin = request.header("origin")
    if not origin:
        return ()
    return (
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Credentials", "true"),
        ("Vary", "Origin"),
    )


def _preflight_headers(request: RequestReceived) -> tuple[tuple[str, str], ...]:
    asked = request.header("access-control-request-headers")
    return (
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
        ("Access-Control-Allow-Headers", asked or "Authorization, Content-Type"),
        ("Access-Control-Max-Age", "600"),
    )


def v3_organization(config: ServerConfig, address: Address) -> str | None:
    """The ``organization_id`` to give the core for a v3 request.

    A v3 client that named the license (``license_id``) instead gets this server's
    organization when the license is ours, else ``""`` (never an organization of ours: the
    core answers ``license_not_found`` in the v3 way).
    """
    if address.organization_id is not None or address.license_id is None:
        return address.organization_id
    return config.organization_id if address.license_id == config.license_id else ""


def _web_api(server: ReferenceServer, request: RequestReceived) -> HttpReply:
    call = parse_web_api_request(request, max_file_size=server.config.max_file_size, other_v3=True)
    if call.api == LEGACY_API and call.license_id != server.config.license_id:
        error = {"type": "validation", "message": "license_id: license not found"}
        return HttpReply(status=404, body={"error": error})
    address = Address(
        api=call.api, license_id=call.license_id, organization_id=call.organization_id
    )
    organization_id = v3_organization(server.config, address)
    upload = None
    if call.file is not None:
        upload = Upload(
            name=call.file.filename, content_type=call.file.content_type, data=call.file.data
        )
    result = server.core.web_api(
        f"Bearer {call.access_token}",
        call.action,
        call.payload,
        time.monotonic(),
        upload=upload,
        api=call.api,
        organization_id=organization_id,
    )
    server._dispatch(result.outputs)
    return result.reply


def _token_v2(server: ReferenceServer, request: RequestReceived) -> HttpReply:
    parsed = parse_customer_token_v2_request(request)
    fields = dict(parsed.fields)
    if parsed.redirect_uri is not None:
        fields.setdefault("redirect_uri", parsed.redirect_uri)
    headers = {
        name: value for name, value in request.headers if name in ("authorization", "cookie")
    }
    return server.core.accounts_token_v2(headers, fields, time.monotonic())


def _serve_file(
    server: ReferenceServer,
    http: HTTPServerConnection,
    request: RequestReceived,
    cors: tuple[tuple[str, str], ...],
) -> None:
    blob = server._files.get_file(request.path)
    if blob is None:
        raise NotFound("no such endpoint or file")
    require_method(request, "GET")
    content_type, data = blob
    logger.debug("< GET %s -> 200 (%d bytes)", request.path, len(data))
    http.send_response(200, (("Content-Type", content_type), *cors), data)

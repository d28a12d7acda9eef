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
header (which also stands in for a missing ``redirect_uri`` of the cookie grant), a body
without ``Content-Type`` on the token endpoint.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from customer_protocol.endpoints import LEGACY_API, Endpoint, route
from customer_protocol.server import HttpReply, Upload
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

__all__ = ["answer_http"]

logger = logging.getLogger("adapters.server")

_UPGRADE_HEADERS = (("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"))


def answer_http(
    server: ReferenceServer, http: HTTPServerConnection, request: RequestReceived
) -> None:
    """Answer one HTTP request on ``http`` (exactly one response is queued)."""
    found = route(request.path, other_v3=True)
    endpoint = None if found is None else found.endpoint
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
            _serve_file(server, http, request)
            return
    except HTTPRequestError as error:
        logger.debug("< %s %s -> %d", request.method, request.path, error.status_code)
        http.send_error(error)
        return
    server._after_input()
    logger.debug("< %s %s -> %d", request.method, request.path, reply.status)
    http.send_json(reply.status, reply.body, reply.headers)


def _web_api(server: ReferenceServer, request: RequestReceived) -> HttpReply:
    call = parse_web_api_request(request, max_file_size=server.config.max_file_size, other_v3=True)
    if call.api == LEGACY_API and call.license_id != server.config.license_id:
        error = {"type": "validation", "message": "license_id: license not found"}
        return HttpReply(status=404, body={"error": error})
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
        organization_id=call.organization_id,
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
    server: ReferenceServer, http: HTTPServerConnection, request: RequestReceived
) -> None:
    blob = server._files.get_file(request.path)
    if blob is None:
        raise NotFound("no such endpoint or file")
    require_method(request, "GET")
    content_type, data = blob
    logger.debug("< GET %s -> 200 (%d bytes)", request.path, len(data))
    http.send_response(200, (("Content-Type", content_type),), data)

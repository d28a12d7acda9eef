"""The accounts token flow of ``wire.md`` section 7 over :mod:`transports.http`, both roles.

Client side, two requests (each sent with ``HTTPClientConnection.send_request``):

1. :func:`build_customer_code_request` → ``POST {prefix}/customer/`` with the app access token;
   decode the answer with :func:`decode_customer_code_response` → :class:`CustomerCode`.
   Keep ``customer_id`` / ``customer_key`` to get the same customer back next time.
2. :func:`build_customer_token_request` with that code → ``POST {prefix}/customer/token``;
   decode with :func:`decode_customer_token_response` → :class:`CustomerToken`.

There is no refresh token: renew by repeating both steps with the kept identity. A 4xx answer
raises ``AuthenticationError``, a 5xx ``RequestFailedError``, a malformed body
``RemoteProtocolError`` (without the body attached: it may hold secrets).

Server side: :func:`parse_customer_code_request` and :func:`parse_customer_token_request`
decode a ``RequestReceived`` or raise the ``HTTPRequestError`` to answer with; answer success
with ``send_json(200, result.to_json())``.

LiveChat v3 (``v3.md`` section 7) has one request instead, ``POST /v2/customer/token`` with
the agent-token grant (an agent's token as Bearer) or the cookie grant:
:func:`build_customer_token_v2_request` / :func:`decode_customer_token_v2_response` on the
client, :func:`parse_customer_token_v2_request` on the server (JSON or form body).

Access tokens, customer keys, codes and client secrets never appear in reprs or messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from customer_protocol.codec import dumps, loads
from customer_protocol.endpoints import CODE_PATH, TOKEN_PATH, TOKEN_V2_PATH
from customer_protocol.errors import (
    AuthenticationError,
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
    ResponseReceived,
    UnsupportedMediaType,
    bearer_token,
    check_credential,
    check_host,
    parse_form,
    require_method,
)

__all__ = [
    "CODE_PATH",
    "TOKEN_PATH",
    "TOKEN_V2_PATH",
    "CustomerCode",
    "CustomerCodeRequest",
    "CustomerToken",
    "CustomerTokenRequest",
    "CustomerTokenV2",
    "CustomerTokenV2Request",
    "build_customer_code_request",
    "build_customer_token_request",
    "build_customer_token_v2_request",
    "decode_customer_code_response",
    "decode_customer_token_response",
    "decode_customer_token_v2_response",
    "parse_customer_code_request",
    "parse_customer_token_request",
    "parse_customer_token_v2_request",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerCode:
    """The answer of step 1. ``code`` and ``customer_key`` are secret (hidden in the repr)."""

    code: str = field(repr=False)
    customer_id: str
    customer_key: str = field(repr=False)
    state: str = ""

    def to_json(self) -> dict[str, Any]:
        """The response body a server sends (``send_json(200, code.to_json())``)."""
        return {
            "code": self.code,
            "customer_id": self.customer_id,
            "customer_key": self.customer_key,
            "state": self.state,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerToken:
    """The answer of step 2. ``access_token`` is secret (hidden in the repr).

    ``login.token`` is ``f"{token_type} {access_token}"``; ``expires_in`` is in seconds.
    """

    access_token: str = field(repr=False)
    expires_in: int
    token_type: str = "Bearer"

    def to_json(self) -> dict[str, Any]:
        """The response body a server sends."""
        return {
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "token_type": self.token_type,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerCodeRequest:
    """Step 1 as the server reads it. Secrets are hidden in the repr."""

    app_access_token: str = field(repr=False)
    client_id: str
    redirect_uri: str
    customer_id: str | None = None
    customer_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerTokenRequest:
    """Step 2 as the server reads it. Secrets are hidden in the repr."""

    code: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str


def _form_request(
    host: str, target: str, fields: Mapping[str, str], token: str | None
) -> HTTPRequest:
    check_host(host)
    body = urlencode(dict(fields)).encode("ascii")
    return post_request(host, target, token, "application/x-www-form-urlencoded", body)


def _check_prefix(prefix: str) -> None:
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise InvalidArgumentsError("prefix must start with '/' and not end with '/'")


def _check_field(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentsError(f"{name} must be a non-empty string")


def build_customer_code_request(
    *,
    host: str,
    app_access_token: str,
    client_id: str,
    redirect_uri: str,
    customer_id: str | None = None,
    customer_key: str | None = None,
    prefix: str = "",
) -> HTTPRequest:
    """Build step 1: ``POST {prefix}/customer/`` (form-urlencoded, app token as Bearer).

    Pass both ``customer_id`` and ``customer_key`` to get an existing customer back. Send the
    request, then decode the answer with :func:`decode_customer_code_response`.
    """
    _check_prefix(prefix)
    check_credential("app_access_token", app_access_token)
    _check_field("client_id", client_id)
    _check_field("redirect_uri", redirect_uri)
    if (customer_id is None) != (customer_key is None):
        raise InvalidArgumentsError("pass both customer_id and customer_key, or neither")
    fields = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri}
    if customer_id is not None and customer_key is not None:
        _check_field("customer_id", customer_id)
        _check_field("customer_key", customer_key)
        fields |= {"customer_id": customer_id, "customer_key": customer_key}
    return _form_request(host, prefix + CODE_PATH, fields, app_access_token)


def build_customer_token_request(
    *,
    host: str,
    code: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    prefix: str = "",
) -> HTTPRequest:
    """Build step 2: ``POST {prefix}/customer/token`` exchanging ``code`` for an access token.

    Send the request, then decode the answer with :func:`decode_customer_token_response`.
    """
    _check_prefix(prefix)
    for name, value in (
        ("code", code),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("redirect_uri", redirect_uri),
    ):
        _check_field(name, value)
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
    }
    return _form_request(host, prefix + TOKEN_PATH, fields, None)


def _error_message(body: bytes) -> tuple[str | None, str]:
    """The (type, message) of an accounts error body: ``{"error": {...}}`` or OAuth style."""
    try:
        document = loads(body)
    except RemoteProtocolError:
        return None, ""
    if not isinstance(document, dict):
        return None, ""
    error = document.get("error")
    if isinstance(error, dict):
        kind, message = error.get("type"), error.get("message")
    else:
        kind, message = error, document.get("error_description")
    return (
        kind if isinstance(kind, str) else None,
        message if isinstance(message, str) else "",
    )


def _json_object(response: ResponseReceived) -> dict[str, Any]:
    if response.status >= 400:
        kind, message = _error_message(response.body)
        message = message or f"HTTP {response.status} {response.reason}".strip()
        if response.status < 500:
            raise AuthenticationError(message, type=kind or "authentication")
        raise RequestFailedError(message, type=kind or "internal")
    if not 200 <= response.status < 300:
        raise RemoteProtocolError(f"unexpected HTTP status {response.status}")
    try:
        document = loads(response.body)
    except RemoteProtocolError:
        raise RemoteProtocolError("the accounts answer is not valid JSON") from None
    if not isinstance(document, dict):
        raise RemoteProtocolError("the accounts answer must be a JSON object")
    return document


def _expires_in(document: Mapping[str, Any]) -> int:
    expires_in = document.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in < 0:
        raise RemoteProtocolError("the accounts answer needs an integer 'expires_in'")
    return expires_in


def _string(document: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = document.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise RemoteProtocolError(f"the accounts answer needs a string {name!r}")
    return value


def decode_customer_code_response(response: ResponseReceived) -> CustomerCode:
    """Decode step 1's answer ``{code, customer_id, customer_key, state}``, or raise.

    4xx raises ``AuthenticationError``, 5xx ``RequestFailedError``, a malformed body
    ``RemoteProtocolError``. Then send step 2 (:func:`build_customer_token_request`).
    """
    document = _json_object(response)
    return CustomerCode(
        code=_string(document, "code"),
        customer_id=_string(document, "customer_id"),
        customer_key=_string(document, "customer_key"),
        state=_string(document, "state", required=False),
    )


def decode_customer_token_response(response: ResponseReceived) -> CustomerToken:
    """Decode step 2's answer ``{access_token, expires_in, token_type}``, or raise.

    Errors as in :func:`decode_customer_code_response`; ``expires_in`` must be a non-negative
    integer; a missing ``token_type`` is ``"Bearer"``.
    """
    document = _json_object(response)
    return CustomerToken(
        access_token=_string(document, "access_token"),
        expires_in=_expires_in(document),
        token_type=_string(document, "token_type", required=False) or "Bearer",
    )


def _path_below(request: RequestReceived, prefix: str, path: str) -> None:
    if request.path != prefix + path:
        raise NotFound("no such endpoint")
    require_method(request, "POST")


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise BadRequest(f"missing form field {name!r}")
    return value


def parse_customer_code_request(
    request: RequestReceived, *, prefix: str = ""
) -> CustomerCodeRequest:
    """Decode step 1 on the server, or raise the ``HTTPRequestError`` to answer with.

    404 for another path, 405 for another method, 401 without a bearer token, 415 for a body
    that is not form-urlencoded, 400 for a missing field or ``response_type`` other than
    ``code``, or only one of ``customer_id`` / ``customer_key``.
    """
    _path_below(request, prefix, CODE_PATH)
    token = bearer_token(request)
    form = parse_form(request)
    if form.get("response_type") != "code":
        raise BadRequest("response_type must be 'code'")
    customer_id = form.get("customer_id") or None
    customer_key = form.get("customer_key") or None
    if (customer_id is None) != (customer_key is None):
        raise BadRequest("customer_id and customer_key go together")
    return CustomerCodeRequest(
        app_access_token=token,
        client_id=_required(form, "client_id"),
        redirect_uri=_required(form, "redirect_uri"),
        customer_id=customer_id,
        customer_key=customer_key,
    )


def parse_customer_token_request(
    request: RequestReceived, *, prefix: str = ""
) -> CustomerTokenRequest:
    """Decode step 2 on the server, or raise the ``HTTPRequestError`` to answer with.

    404 for another path, 405 for another method, 415 for a body that is not
    form-urlencoded, 400 for a missing field or ``grant_type`` other than
    ``authorization_code``.
    """
    _path_below(request, prefix, TOKEN_PATH)
    form = parse_form(request)
    if form.get("grant_type") != "authorization_code":
        raise BadRequest("grant_type must be 'authorization_code'")
    return CustomerTokenRequest(
        code=_required(form, "code"),
        client_id=_required(form, "client_id"),
        client_secret=_required(form, "client_secret"),
        redirect_uri=_required(form, "redirect_uri"),
    )


# -- LiveChat v3: POST /v2/customer/token ---------------------------------------------------------

_V2_GRANTS = ("agent_token", "cookie")


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerTokenV2:
    """The answer of ``POST /v2/customer/token``. ``access_token`` is hidden in the repr.

    ``login.token`` is ``f"{token_type} {access_token}"``; pass :attr:`entity_id` back in the
    next grant to keep the same customer.
    """

    access_token: str = field(repr=False)
    client_id: str
    entity_id: str
    expires_in: int
    organization_id: str
    token_type: str = "Bearer"

    def to_json(self) -> dict[str, Any]:
        """The response body a server sends."""
        return {
            "access_token": self.access_token,
            "client_id": self.client_id,
            "entity_id": self.entity_id,
            "expires_in": self.expires_in,
            "token_type": self.token_type,
            "organization_id": self.organization_id,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerTokenV2Request:
    """``POST /v2/customer/token`` as the server reads it (JSON or form body).

    :attr:`authorization` is the raw ``Authorization`` header (the agent token of the
    ``agent_token`` grant) and :attr:`cookie` the raw ``Cookie`` header (the identity of the
    ``cookie`` grant); both are hidden in the repr. :attr:`redirect_uri` falls back to the
    ``Origin`` header. :attr:`fields` is the whole decoded body.
    """

    grant_type: str
    client_id: str
    response_type: str
    organization_id: str | None = None
    entity_id: str | None = None
    redirect_uri: str | None = None
    origin: str | None = None
    authorization: str | None = field(default=None, repr=False)
    cookie: str | None = field(default=None, repr=False)
    fields: dict[str, Any] = field(default_factory=dict, repr=False)


def build_customer_token_v2_request(
    *,
    host: str,
    agent_token: str,
    client_id: str,
    organization_id: str | None = None,
    entity_id: str | None = None,
    prefix: str = "",
) -> HTTPRequest:
    """Build the agent-token grant: ``POST {prefix}/v2/customer/token`` (JSON body).

    ``agent_token`` is the agent's access token (sent as Bearer); ``entity_id`` from an earlier
    answer gets the same customer back. Decode the answer with
    :func:`decode_customer_token_v2_response`.
    """
    _check_prefix(prefix)
    check_host(host)
    check_credential("agent_token", agent_token)
    _check_field("client_id", client_id)
    body: dict[str, str] = {
        "grant_type": "agent_token",
        "client_id": client_id,
        "response_type": "token",
    }
    for name, value in (("organization_id", organization_id), ("entity_id", entity_id)):
        if value is not None:
            _check_field(name, value)
            body[name] = value
    return post_request(host, prefix + TOKEN_V2_PATH, agent_token, "application/json", dumps(body))


def decode_customer_token_v2_response(response: ResponseReceived) -> CustomerTokenV2:
    """Decode ``{access_token, client_id, entity_id, expires_in, token_type, organization_id}``.

    Errors as in :func:`decode_customer_code_response`; ``expires_in`` must be a non-negative
    integer; a missing ``token_type`` is ``"Bearer"``.
    """
    document = _json_object(response)
    expires_in = _expires_in(document)
    return CustomerTokenV2(
        access_token=_string(document, "access_token"),
        client_id=_string(document, "client_id", required=False),
        entity_id=_string(document, "entity_id"),
        expires_in=expires_in,
        organization_id=_string(document, "organization_id", required=False),
        token_type=_string(document, "token_type", required=False) or "Bearer",
    )


def _v2_body(request: RequestReceived) -> dict[str, Any]:
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", ""):
        if content_type == "" and request.body.lstrip().startswith(b"{"):
            content_type = "application/json"
        else:
            return dict(parse_form(_with_form_type(request)))
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaType("expected application/json or a form body")
    try:
        document = loads(request.body) if request.body.strip() else {}
    except RemoteProtocolError:
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise BadRequest("the body must be a JSON object")
    return document


def _with_form_type(request: RequestReceived) -> RequestReceived:
    if request.header("content-type"):
        return request
    headers = (*request.headers, ("content-type", "application/x-www-form-urlencoded"))
    return RequestReceived(
        method=request.method,
        target=request.target,
        path=request.path,
        query=request.query,
        headers=headers,
        body=request.body,
    )


def _optional(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value


def parse_customer_token_v2_request(
    request: RequestReceived, *, prefix: str = ""
) -> CustomerTokenV2Request:
    """Decode ``POST {prefix}/v2/customer/token``, or raise the ``HTTPRequestError`` to answer.

    404 for another path, 405 for another method, 415 for a body that is neither JSON nor
    form-urlencoded (a body without ``Content-Type`` is read as either), 400 for a malformed
    body, a missing ``client_id``, a ``grant_type`` other than ``agent_token`` / ``cookie`` or
    a ``response_type`` other than ``token``. The credentials (Bearer agent token, cookies)
    are passed through unchecked: the server decides.
    """
    _path_below(request, prefix, TOKEN_V2_PATH)
    body = _v2_body(request)
    grant_type = _optional(body, "grant_type")
    if grant_type not in _V2_GRANTS:
        raise BadRequest("grant_type must be 'agent_token' or 'cookie'")
    response_type = _optional(body, "response_type") or "token"
    if response_type != "token":
        raise BadRequest("response_type must be 'token'")
    client_id = _optional(body, "client_id")
    if client_id is None:
        raise BadRequest("missing client_id")
    origin = request.header("origin")
    return CustomerTokenV2Request(
        grant_type=grant_type,
        client_id=client_id,
        response_type=response_type,
        organization_id=_optional(body, "organization_id"),
        entity_id=_optional(body, "entity_id"),
        redirect_uri=_optional(body, "redirect_uri") or origin,
        origin=origin,
        authorization=request.header("authorization"),
        cookie=request.header("cookie"),
        fields=body,
    )

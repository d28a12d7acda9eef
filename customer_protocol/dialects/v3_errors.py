"""The v3 error types and the ``customer_disconnected`` reasons, as data and pure decisions.

``spec/v3.md`` section 10 lists the server's error types (each reaches callers as
``REQUEST_FAILED`` with ``type``/``message``/``data``, ``authentication`` as
``AUTHENTICATION``); section 8 says what the client does with a login error and with each
``customer_disconnected`` reason. :func:`disconnect_action` turns a reason into a
:class:`DisconnectAction` the engine carries out; nothing here reads a clock or changes state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from customer_protocol.errors import ErrorCode
from customer_protocol.models import _obj, _str

__all__ = [
    "DISCONNECT_REASONS",
    "ERROR_TYPES",
    "LOGIN_TERMINAL_ERRORS",
    "DisconnectAction",
    "disconnect_action",
    "error_code",
    "login_error_action",
    "parse_customer_disconnected",
    "region_host",
]

ERROR_TYPES: Final = frozenset(
    {
        "authentication",
        "authorization",
        "chat_anonymized",
        "chat_inactive",
        "customer_banned",
        "entity_too_large",
        "greeting_not_found",
        "group_not_found",
        "group_offline",
        "group_unavailable",
        "groups_offline",
        "internal",
        "license_expired",
        "license_not_found",
        "limit_reached",
        "misdirected_request",
        "not_allowed",
        "not_found",
        "pending_requests_limit_reached",
        "request_timeout",
        "service_unavailable",
        "too_many_requests",
        "unsupported_version",
        "users_limit_reached",
        "validation",
        "wrong_product_version",
    }
)
"""The server's error types in v3.6 (an unknown type is still a ``REQUEST_FAILED``)."""


def error_code(error_type: str | None) -> ErrorCode:
    """The caller-visible code of a server error ``type``."""
    return ErrorCode.AUTHENTICATION if error_type == "authentication" else ErrorCode.REQUEST_FAILED


LOGIN_TERMINAL_ERRORS: Final = frozenset(
    {
        "customer_banned",
        "license_expired",
        "unsupported_version",
        "wrong_product_version",
        "users_limit_reached",
    }
)
"""Login errors after which the client stops (``disconnected``)."""

LoginErrorAction = Literal["fresh_token", "terminal", "reconnect"]


def login_error_action(error_type: str | None) -> LoginErrorAction:
    """What to do when ``login`` fails with ``error_type``: ``fresh_token`` (fetch a fresh
    token and log in again, once: the engine counts), ``terminal``, or ``reconnect`` (with
    backoff) for anything else."""
    if error_type == "authentication":
        return "fresh_token"
    if error_type in LOGIN_TERMINAL_ERRORS:
        return "terminal"
    return "reconnect"


# --------------------------------------------------------------------------------------------
# customer_disconnected

DisconnectRule = Literal[
    "reconnect", "reconnect_fresh_token", "terminal", "temporarily_blocked", "misdirected"
]

DISCONNECT_REASONS: Final[Mapping[str, DisconnectRule]] = {
    # reconnect: after the first short delay, then backoff
    "access_token_revoked": "reconnect_fresh_token",
    "access_token_expired": "reconnect_fresh_token",
    "connection_evicted": "reconnect",
    "connection_timeout": "reconnect",
    "internal_error": "reconnect",
    "service_temporarily_unavailable": "reconnect",
    "too_many_unauthorized_connections": "reconnect",
    # terminal: the docs' table
    "license_not_found": "terminal",
    "license_expired": "terminal",
    "unsupported_version": "terminal",
    "too_many_connections": "terminal",
    "logged_out_remotely": "terminal",
    # terminal: as LiveChat's JS SDK documents them
    "customer_banned": "terminal",
    "inactivity_timeout": "terminal",
    "identity_mismatch": "terminal",
    "users_limit_reached": "terminal",
    # depends on data
    "customer_temporarily_blocked": "temporarily_blocked",
    "misdirected_connection": "misdirected",
}
"""The v3.6 ``customer_disconnected`` reasons and their rule; an unknown reason reconnects."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DisconnectAction:
    """What the engine does after ``customer_disconnected``.

    ``terminal``: emit ``disconnected`` with ``reason``, close, fail pending calls with
    ``CONNECTION_LOST``, stay down. Otherwise reconnect: ``fresh_token`` asks the token
    provider for a new token first; ``delay`` (seconds) replaces the usual first delay when
    set; ``host`` replaces the API host of the base URL when set (a region).
    """

    reason: str
    terminal: bool
    fresh_token: bool = False
    delay: float | None = None
    host: str | None = None


def parse_customer_disconnected(payload: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The ``reason`` and ``data`` (``{}`` when absent) of a ``customer_disconnected`` push."""
    obj = _obj(payload, "payload")
    data = obj.get("data")
    return _str(obj, "reason", "payload"), {} if data is None else _obj(data, "payload.data")


_REGION: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_LIVECHAT_DOMAIN: Final = "livechatinc.com"


def region_host(region: Any) -> str | None:
    """``api-<region>.livechatinc.com`` for a well-formed region name, else ``None``."""
    if not isinstance(region, str) or len(region) > 32 or not _REGION.match(region):
        return None
    return f"api-{region}.{_LIVECHAT_DOMAIN}"


def _is_livechat_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == _LIVECHAT_DOMAIN or host.endswith("." + _LIVECHAT_DOMAIN)


def _timeout(data: Mapping[str, Any]) -> float | None:
    value = data.get("timeout")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 <= value < 86_400 * 366:  # also rejects NaN
        return None
    return float(value)


def disconnect_action(
    reason: str, data: Mapping[str, Any] | None, base_url_host: str | None
) -> DisconnectAction:
    """The action for ``customer_disconnected {reason, data}`` (``spec/v3.md`` section 8).

    * reconnect reasons (and unknown ones): reconnect; ``access_token_expired`` and
      ``access_token_revoked`` with a fresh token;
    * terminal reasons: stop;
    * ``customer_temporarily_blocked``: reconnect after ``data.timeout`` seconds when given,
      else stop;
    * ``misdirected_connection``: reconnect to ``api-<data.region>.livechatinc.com`` when
      ``base_url_host`` is a livechatinc.com host and the region is well-formed, else stop.

    ``data`` that is not an object counts as none; ``base_url_host`` ``None`` is no host.
    """
    if not isinstance(data, Mapping):
        data = {}
    rule = DISCONNECT_REASONS.get(reason, "reconnect")
    if rule == "terminal":
        return DisconnectAction(reason=reason, terminal=True)
    if rule == "temporarily_blocked":
        timeout = _timeout(data)
        if timeout is None:
            return DisconnectAction(reason=reason, terminal=True)
        return DisconnectAction(reason=reason, terminal=False, delay=timeout)
    if rule == "misdirected":
        host = region_host(data.get("region"))
        if host is None or base_url_host is None or not _is_livechat_host(base_url_host):
            return DisconnectAction(reason=reason, terminal=True)
        return DisconnectAction(reason=reason, terminal=False, host=host)
    return DisconnectAction(
        reason=reason, terminal=False, fresh_token=rule == "reconnect_fresh_token"
    )

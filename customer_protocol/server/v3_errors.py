"""The HTTP status of each v3 error type (Web API answers ``{"error": {...}}`` with it)."""

from __future__ import annotations

from typing import Final

from .outputs import HttpReply
from .validation import ApiError

__all__ = ["v3_http_error", "v3_status"]

_STATUS: Final = {
    "validation": 400,
    "chat_inactive": 400,
    "misdirected_request": 421,
    "authentication": 401,
    "authorization": 403,
    "customer_banned": 403,
    "not_allowed": 403,
    "chat_anonymized": 403,
    "license_expired": 403,
    "not_found": 404,
    "license_not_found": 404,
    "greeting_not_found": 404,
    "group_not_found": 404,
    "entity_too_large": 413,
    "unsupported_version": 400,
    "wrong_product_version": 400,
    "too_many_requests": 429,
    "limit_reached": 429,
    "users_limit_reached": 429,
    "pending_requests_limit_reached": 429,
    "group_offline": 422,
    "groups_offline": 422,
    "group_unavailable": 422,
    "service_unavailable": 503,
    "request_timeout": 504,
}


def v3_status(error_type: str) -> int:
    """The HTTP status of a v3 error type (500 for ``internal`` and anything unknown)."""
    return _STATUS.get(error_type, 500)


def v3_http_error(error: ApiError) -> HttpReply:
    """The Web API answer of a failed v3 call."""
    return HttpReply(status=v3_status(error.type), body={"error": error.to_wire()})

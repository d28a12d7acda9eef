"""v3.md section 10: the server's error types and the codes callers see."""

from __future__ import annotations

import pytest

from customer_protocol import ErrorCode
from customer_protocol.dialects import v3_errors as e

SPEC_TYPES = [
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
]


def test_the_table_is_the_spec_list() -> None:
    assert sorted(SPEC_TYPES) == sorted(e.ERROR_TYPES)
    assert len(e.ERROR_TYPES) == 26


@pytest.mark.parametrize("error_type", sorted(set(SPEC_TYPES) - {"authentication"}))
def test_every_type_but_authentication_is_request_failed(error_type: str) -> None:
    assert e.error_code(error_type) is ErrorCode.REQUEST_FAILED


def test_authentication_is_its_own_code_and_unknown_types_fail_the_request() -> None:
    assert e.error_code("authentication") is ErrorCode.AUTHENTICATION
    assert e.error_code("brand_new_type") is ErrorCode.REQUEST_FAILED
    assert e.error_code(None) is ErrorCode.REQUEST_FAILED


def test_login_terminal_errors_are_server_error_types() -> None:
    assert e.LOGIN_TERMINAL_ERRORS <= e.ERROR_TYPES

"""v3.md section 8: the login payload, the login response, login errors, and the
customer_disconnected reason table (every row)."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol import Customer, InvalidArgumentsError, MessageEvent, RemoteProtocolError
from customer_protocol.dialects import v3_errors as e
from customer_protocol.dialects import v3_payloads as p
from customer_protocol.dialects import v3_results as r
from customer_protocol.dialects.v3_pushes import PUSHES_3_6
from customer_protocol.tokens import Token

from . import samples as s

TOKEN = Token(access_token="dal:secret-token", token_type="Bearer")


def login(**kwargs: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "version": "3.6",
        "pushes": ["incoming_event", "incoming_chat"],
        "application_version": "0.2.0",
    }
    args.update(kwargs)
    return p.login(TOKEN, **args)


# --------------------------------------------------------------------------------------------
# login payload


def test_login_minimal() -> None:
    assert login() == {
        "token": "Bearer dal:secret-token",
        "customer_side_storage": {},
        "application": {"name": "customer-protocol", "version": "0.2.0"},
        "pushes": {"3.6": ["incoming_chat", "incoming_event"]},
    }


def test_login_with_everything_known_and_configured() -> None:
    payload = login(
        name="Ann",
        email="ann@example.test",
        avatar="https://example.test/a.png",
        fields={"plan": "pro", "seat": "3"},
        customer_side_storage={"visits": "2"},
        customer_page={"url": "https://shop.test/", "title": "Shop"},
        group_id=0,
        referrer="https://search.test/",
        version="3.5",
        pushes=sorted(PUSHES_3_6),
    )
    assert payload["customer"] == {
        "name": "Ann",
        "email": "ann@example.test",
        "avatar": "https://example.test/a.png",
        "session_fields": [{"plan": "pro"}, {"seat": "3"}],
    }
    assert payload["customer_side_storage"] == {"visits": "2"}
    assert payload["customer_page"] == {"url": "https://shop.test/", "title": "Shop"}
    assert (payload["group_id"], payload["referrer"]) == (0, "https://search.test/")
    assert payload["pushes"] == {"3.5": sorted(PUSHES_3_6)}


def test_login_empty_fields_are_not_sent() -> None:
    assert "customer" not in login(fields={})


def test_login_token_type_is_kept() -> None:
    token = Token(access_token="abc", token_type="Custom")
    payload = p.login(token, version="3.6", pushes=(), application_version="1")
    assert payload["token"] == "Custom abc"
    assert payload["pushes"] == {"3.6": []}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": 1}, "'name' must be a string"),
        ({"fields": {"a": 1}}, "'fields' values must be strings"),
        ({"customer_side_storage": []}, "'customer_side_storage' must be an object"),
        ({"customer_side_storage": {"k": float("nan")}}, "'customer_side_storage' must be JSON"),
        ({"customer_page": {"title": "x"}}, r"'customer_page\.url'"),
        ({"customer_page": {"url": "u", "title": 2}}, r"'customer_page\.title'"),
        ({"group_id": -1}, "'group_id' must be a non-negative integer"),
        ({"referrer": 5}, "'referrer' must be a string"),
        ({"pushes": ["ok", ""]}, r"'pushes\[\]'"),
        ({"version": ""}, "'version'"),
        ({"application_version": None}, "'application_version'"),
    ],
)
def test_login_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentsError, match=match) as info:
        login(**kwargs)
    assert "secret-token" not in str(info.value)


def test_login_needs_a_token_object() -> None:
    with pytest.raises(InvalidArgumentsError, match="'token' must be a Token"):
        p.login("Bearer x", version="3.6", pushes=(), application_version="1")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# login response


def test_login_response() -> None:
    result = r.parse_login(
        {
            "customer": {
                "id": s.CUSTOMER_ID,
                "name": "Ann",
                "session_fields": [{"plan": "pro"}],
                "statistics": {"chats_count": 2, "threads_count": 9},
            },
            "has_active_thread": True,
            "chats": [{"chat_id": "CH1", "has_unread_events": True}, {"chat_id": "CH2"}],
            "greeting": {
                "accepted": True,
                "id": 3,
                "unique_id": "g-1",
                "event": {"type": "message", "text": "Hello!"},
                "agent": {"id": s.AGENT_ID, "name": "Bob", "type": "agent"},
            },
            "__priv_dynamic_config": {"online_groups_ids": [1]},
        }
    )
    assert isinstance(result.customer, Customer) and result.customer.id == s.CUSTOMER_ID
    assert result.customer.statistics == {"chats_count": 2, "threads_count": 9}
    assert result.customer.fields == {"plan": "pro"}
    assert result.has_active_thread is True
    assert result.chats == (
        r.LoginChat(chat_id="CH1", has_unread_events=True),
        r.LoginChat(chat_id="CH2", has_unread_events=False),
    )
    assert result.greeting is not None and result.greeting.accepted is True
    assert isinstance(result.greeting.event, MessageEvent)
    assert result.dynamic_config == {"online_groups_ids": [1]}
    assert r.parse_result("login", {"customer": {"id": "c"}}).greeting is None


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ({}, r"payload\.customer must be an object"),
        ({"customer": {"type": "customer"}}, r"payload\.customer\.id"),
        ({"customer": {"id": "c"}, "has_active_thread": "yes"}, "has_active_thread"),
        ({"customer": {"id": "c"}, "chats": [{}]}, r"chats\[\]\.chat_id"),
        ({"customer": {"id": "c"}, "chats": {}}, r"payload\.chats must be an array"),
        ({"customer": {"id": "c"}, "greeting": {"id": 1}}, r"greeting\.unique_id"),
        ({"customer": {"id": "c"}, "__priv_dynamic_config": []}, "__priv_dynamic_config"),
    ],
)
def test_malformed_login_response(payload: dict[str, Any], match: str) -> None:
    with pytest.raises(RemoteProtocolError, match=match):
        r.parse_login(payload)


# --------------------------------------------------------------------------------------------
# login errors


@pytest.mark.parametrize(
    ("error_type", "action"),
    [
        ("authentication", "fresh_token"),
        ("customer_banned", "terminal"),
        ("license_expired", "terminal"),
        ("unsupported_version", "terminal"),
        ("wrong_product_version", "terminal"),
        ("users_limit_reached", "terminal"),
        ("internal", "reconnect"),
        ("service_unavailable", "reconnect"),
        ("something_new", "reconnect"),
        (None, "reconnect"),
    ],
)
def test_login_error_actions(error_type: str | None, action: str) -> None:
    assert e.login_error_action(error_type) == action


# --------------------------------------------------------------------------------------------
# customer_disconnected: every row of the table

LIVECHAT = "api.livechatinc.com"


@pytest.mark.parametrize(
    "reason",
    [
        "connection_evicted",
        "connection_timeout",
        "internal_error",
        "service_temporarily_unavailable",
        "too_many_unauthorized_connections",
        "a_reason_from_the_future",
    ],
)
def test_reconnect_reasons(reason: str) -> None:
    assert e.disconnect_action(reason, {}, LIVECHAT) == e.DisconnectAction(
        reason=reason, terminal=False
    )


@pytest.mark.parametrize("reason", ["access_token_expired", "access_token_revoked"])
def test_token_reasons_reconnect_with_a_fresh_token(reason: str) -> None:
    assert e.disconnect_action(reason, {}, LIVECHAT) == e.DisconnectAction(
        reason=reason, terminal=False, fresh_token=True
    )


@pytest.mark.parametrize(
    "reason",
    [
        "license_not_found",
        "license_expired",
        "unsupported_version",
        "too_many_connections",
        "logged_out_remotely",
        "customer_banned",
        "inactivity_timeout",
        "identity_mismatch",
        "users_limit_reached",
    ],
)
def test_terminal_reasons(reason: str) -> None:
    assert e.disconnect_action(reason, {"region": "fra"}, LIVECHAT) == e.DisconnectAction(
        reason=reason, terminal=True
    )


@pytest.mark.parametrize(
    ("data", "delay"),
    [({"timeout": 30}, 30.0), ({"timeout": 0.5}, 0.5), ({"timeout": 0}, 0.0)],
)
def test_temporarily_blocked_with_a_timeout_reconnects_after_it(
    data: dict[str, Any], delay: float
) -> None:
    action = e.disconnect_action("customer_temporarily_blocked", data, LIVECHAT)
    assert action == e.DisconnectAction(
        reason="customer_temporarily_blocked", terminal=False, delay=delay
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"timeout": "30"},
        {"timeout": True},
        {"timeout": -1},
        {"timeout": float("nan")},
        {"timeout": 1e12},
    ],
)
def test_temporarily_blocked_without_a_usable_timeout_is_terminal(data: dict[str, Any]) -> None:
    assert e.disconnect_action("customer_temporarily_blocked", data, LIVECHAT).terminal


@pytest.mark.parametrize(
    "host",
    ["api.livechatinc.com", "API-dal.LiveChatInc.com", "livechatinc.com", "api.livechatinc.com."],
)
def test_misdirected_reconnects_to_the_region_host_on_livechat(host: str) -> None:
    action = e.disconnect_action("misdirected_connection", {"region": "fra"}, host)
    assert action == e.DisconnectAction(
        reason="misdirected_connection", terminal=False, host="api-fra.livechatinc.com"
    )


@pytest.mark.parametrize(
    ("data", "host"),
    [
        ({"region": "fra"}, "127.0.0.1"),
        ({"region": "fra"}, "livechatinc.com.evil.test"),
        ({"region": "fra"}, "notlivechatinc.com"),
        ({}, LIVECHAT),
        ({"region": 3}, LIVECHAT),
        ({"region": "evil.test/x"}, LIVECHAT),
        ({"region": "FRA"}, LIVECHAT),
        ({"region": ""}, LIVECHAT),
        ({"region": "a" * 33}, LIVECHAT),
    ],
)
def test_misdirected_elsewhere_or_without_a_region_is_terminal(
    data: dict[str, Any], host: str
) -> None:
    assert e.disconnect_action("misdirected_connection", data, host).terminal


def test_every_table_row_has_a_rule() -> None:
    rows = dict(e.DISCONNECT_REASONS)
    assert len(rows) == 18
    assert rows["customer_temporarily_blocked"] == "temporarily_blocked"
    assert rows["misdirected_connection"] == "misdirected"


def test_parse_customer_disconnected() -> None:
    assert e.parse_customer_disconnected(
        {"reason": "misdirected_connection", "data": {"region": "fra"}}
    ) == ("misdirected_connection", {"region": "fra"})
    assert e.parse_customer_disconnected({"reason": "internal_error"}) == ("internal_error", {})
    for bad in ({}, {"reason": 1}, {"reason": "x", "data": []}, []):
        with pytest.raises(RemoteProtocolError):
            e.parse_customer_disconnected(bad)  # type: ignore[arg-type]


def test_region_host() -> None:
    assert e.region_host("dal") == "api-dal.livechatinc.com"
    assert e.region_host("us-south1") == "api-us-south1.livechatinc.com"
    assert e.region_host("-x") is None


def test_disconnect_without_data_or_host() -> None:
    assert e.disconnect_action("misdirected_connection", {"region": "fra"}, None).terminal
    assert e.disconnect_action("customer_temporarily_blocked", None, LIVECHAT).terminal
    assert e.disconnect_action("customer_temporarily_blocked", [30], LIVECHAT).terminal  # type: ignore[arg-type]
    assert not e.disconnect_action("internal_error", None, None).terminal

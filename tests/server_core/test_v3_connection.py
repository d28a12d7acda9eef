"""v3 connections: login, ping, version, pending limit, login and idle timeouts, disconnects."""

from __future__ import annotations

import pytest

from customer_protocol.errors import LocalProtocolError
from customer_protocol.server import FaultKind, FaultRule, ServerConfig

from .v3_helpers import ORG, V3Harness


@pytest.mark.parametrize("api", ["3.3", "3.7"])
def test_another_v3_version_is_disconnected_with_unsupported_version(api: str) -> None:
    h = V3Harness()
    outputs = h.core.open_connection("c", 0.0, api=api, organization_id=ORG)
    [push] = h.sent(outputs, "c")
    assert push == {
        "version": api,
        "action": "customer_disconnected",
        "type": "push",
        "payload": {"reason": "unsupported_version"},
    }
    assert [c.conn_id for c in h.closes(outputs)] == ["c"]
    assert h.core.api_of("c") is None


@pytest.mark.parametrize("api", ["2.0", "x", "3", "3.4.1", "0.2"])
def test_open_connection_rejects_what_is_no_version(api: str) -> None:
    h = V3Harness()
    with pytest.raises(LocalProtocolError, match="unsupported API version"):
        h.core.open_connection("c", 0.0, api=api)
    h.open3("c", "3.4")
    assert h.core.api_of("c") == "3.4"
    assert h.core.api_of("nope") is None


@pytest.mark.parametrize("api", ["3.4", "3.5", "3.6"])
def test_login_response_has_what_real_clients_read(api: str) -> None:
    h = V3Harness()
    customer_id, token = h.customer()
    payload, outputs = h.login3("c", token, api, customer={"name": "Ann"})
    customer = payload["customer"]
    assert customer["id"] == customer_id
    assert customer["type"] == "customer"
    assert customer["name"] == "Ann"
    assert customer["statistics"] == {
        "chats_count": 0,
        "threads_count": 0,
        "visits_count": 1,
        "page_views_count": 0,
        "greetings_shown_count": 0,
        "greetings_accepted_count": 0,
    }
    assert payload["has_active_thread"] is False
    assert payload["chats"] == []
    dynamic = payload["__priv_dynamic_config"]
    assert dynamic["online_groups_ids"] == []  # the harness runs without the agent
    assert dynamic["customer_groups"]["monitoring"]["id"] == 0
    assert isinstance(dynamic["customer_groups"]["monitoring"]["static_config_url"], str)
    [storage] = h.pushes(outputs, "c", "customer_side_storage_updated")
    assert storage["version"] == api
    assert "request_id" not in storage
    assert storage["payload"] == {"customer_side_storage": {"customer_visits": "1"}}


def test_login_keeps_customer_side_storage_and_counts_visits() -> None:
    h = V3Harness()
    _, token = h.customer()
    h.login3("a", token, customer_side_storage={"k": "v"})
    payload, outputs = h.login3("b", token)
    assert payload["customer"]["statistics"]["visits_count"] == 2
    [storage] = h.pushes(outputs, "b", "customer_side_storage_updated")
    assert storage["payload"]["customer_side_storage"] == {"k": "v", "customer_visits": "2"}


def test_login_liberal_inputs() -> None:
    h = V3Harness()
    _, token = h.customer()
    h.open3("c")
    payload = {
        "token": token,  # bare token, no "Bearer "
        "customer": {},
        "is_mobile": True,
        "pushes": {"3.6": ["incoming_chat", "customer_page_updated", "no_such_push"]},
        "application": {"name": "x", "version": "1"},
        "group_id": 0,
        "referrer": "https://example.com",
        "customer_page": {"url": "https://example.com/p", "title": "P"},
    }
    result = h.ok("c", "login", payload)
    assert result["customer"]["statistics"]["page_views_count"] == 1


def test_login_with_a_push_filter_gets_only_those_pushes() -> None:
    h = V3Harness()
    _, token = h.customer()
    h.login3("c", token, pushes={"3.6": ["incoming_event"]})
    response, outputs = h.request("c", "start_chat", {})
    assert h.pushes(outputs, "c") == []
    chat_id = response["payload"]["chat_id"]
    event = {"type": "message", "text": "x"}
    _, outputs = h.request("c", "send_event", {"chat_id": chat_id, "event": event})
    assert [p["action"] for p in h.pushes(outputs, "c")] == ["incoming_event"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "token"),
        ({"token": 5}, "token"),
        ({"token": "Bearer x", "customer": []}, "customer"),
        ({"token": "Bearer x", "customer": {"name": 1}}, "customer.name"),
        ({"token": "Bearer x", "customer": {"session_fields": {}}}, "customer.session_fields"),
        ({"token": "Bearer x", "customer_side_storage": {"a": 1}}, "customer_side_storage"),
        ({"token": "Bearer x", "pushes": ["x"]}, "pushes"),
        ({"token": "Bearer x", "pushes": {"3.6": "all"}}, "pushes.3.6"),
        ({"token": "Bearer x", "is_mobile": "yes"}, "is_mobile"),
        ({"token": "Bearer x", "group_id": -1}, "group_id"),
    ],
)
def test_login_validation_names_the_field(payload: dict[str, object], field: str) -> None:
    h = V3Harness()
    _, token = h.customer()
    if payload.get("token") == "Bearer x":
        payload = {**payload, "token": f"Bearer {token}"}
    h.open3("c")
    error = h.error("c", "login", payload)
    assert error["type"] == "validation"
    assert error["message"].startswith(f"{field}:")


def test_login_with_a_bad_token_is_authentication() -> None:
    h = V3Harness()
    h.open3("c")
    assert h.error("c", "login", {"token": "Bearer nope"})["type"] == "authentication"


def test_login_to_another_organization_is_license_not_found_and_closes() -> None:
    h = V3Harness()
    _, token = h.customer()
    h.open3("c", organization_id="other-org")
    outputs = h.raw(
        "c", {"request_id": "r", "action": "login", "payload": {"token": f"Bearer {token}"}}
    )
    messages = h.sent(outputs, "c")
    assert messages[0]["success"] is False
    assert messages[0]["request_id"] == "r"
    assert messages[0]["payload"]["error"]["type"] == "license_not_found"
    assert messages[1]["action"] == "customer_disconnected"
    assert messages[1]["payload"] == {"reason": "license_not_found"}
    assert [c.conn_id for c in h.closes(outputs)] == ["c"]


def test_request_before_login_fails() -> None:
    h = V3Harness()
    h.open3("c")
    assert h.error("c", "list_chats", {})["type"] == "validation"


def test_ping_is_answered_after_login_with_or_without_payload() -> None:
    h = V3Harness()
    h.open3("c")
    assert h.raw("c", {"action": "ping", "payload": {}}) == []  # a no-op before login
    _, token = h.customer()
    h.ok("c", "login", {"token": f"Bearer {token}"})
    [answer] = h.sent(h.raw("c", {"action": "ping"}), "c")
    assert answer == {"action": "ping", "type": "response", "success": True, "payload": {}}
    [answer] = h.sent(h.raw("c", {"request_id": "p1", "action": "ping", "payload": {}}), "c")
    assert answer["request_id"] == "p1"
    assert answer["success"] is True


def test_request_without_request_id_is_answered_without_one() -> None:
    h = V3Harness()
    h.customer3("c")
    [answer] = h.sent(h.raw("c", {"action": "get_customer", "payload": {}}), "c")
    assert "request_id" not in answer
    assert answer["success"] is True
    assert answer["action"] == "get_customer"


def test_pretty_printed_json_is_accepted() -> None:
    h = V3Harness()
    h.customer3("c")
    [answer] = h.sent(h.raw("c", '{\n  "request_id": "x",\n  "action": "list_chats"\n}'), "c")
    assert answer["success"] is True


def test_request_version_lower_than_the_connection_is_refused() -> None:
    h = V3Harness()
    h.customer3("c", "3.5")
    outputs = h.raw("c", {"request_id": "a", "version": "3.4", "action": "get_customer"})
    [answer] = h.sent(outputs, "c")
    assert answer["payload"]["error"]["type"] == "unsupported_version"
    outputs = h.raw("c", {"request_id": "b", "version": "3.6", "action": "get_customer"})
    assert h.sent(outputs, "c")[0]["success"] is True
    outputs = h.raw("c", {"request_id": "c", "version": "x", "action": "get_customer"})
    assert h.sent(outputs, "c")[0]["payload"]["error"]["message"].startswith("version:")


def test_pending_requests_limit() -> None:
    h = V3Harness(ServerConfig(agent=None, max_pending_requests=2))
    h.customer3("c")
    h.core.faults.add(FaultRule(kind=FaultKind.DELAY, action="get_customer", times=None, delay=5))
    for rid in ("a", "b"):
        assert h.sent(h.raw("c", {"request_id": rid, "action": "get_customer"}), "c") == []
    [answer] = h.sent(h.raw("c", {"request_id": "z", "action": "list_chats"}), "c")
    assert answer["request_id"] == "z"
    assert answer["payload"]["error"]["type"] == "pending_requests_limit_reached"
    released = h.sent(h.advance(5), "c")
    assert [m["request_id"] for m in released] == ["a", "b"]
    assert h.sent(h.raw("c", {"request_id": "y", "action": "list_chats"}), "c")[0]["success"]


def test_default_pending_limit_is_ten() -> None:
    assert ServerConfig().max_pending_requests == 10
    assert ServerConfig().login_timeout == 30.0


def test_a_connection_that_does_not_log_in_is_closed() -> None:
    h = V3Harness(ServerConfig(agent=None, login_timeout=30, idle_timeout=None))
    h.open3("c")
    h.open3("d")
    assert h.core.next_deadline() == 30
    _, token = h.customer()
    h.ok("d", "login", {"token": f"Bearer {token}"})
    outputs = h.advance(30)
    assert [(c.conn_id, c.code) for c in h.closes(outputs)] == [("c", 1008)]
    assert h.core.next_deadline() == h.config.token_ttl  # only d's token expiry is left


def test_v03_connections_have_no_login_timeout() -> None:
    h = V3Harness(ServerConfig(agent=None, idle_timeout=None))
    h.open("c")
    assert h.core.next_deadline() is None


def test_idle_v3_connection_gets_connection_timeout() -> None:
    h = V3Harness(ServerConfig(agent=None, idle_timeout=30))
    h.customer3("c")
    outputs = h.advance(30)
    [push] = h.pushes(outputs, "c")
    assert push["action"] == "customer_disconnected"
    assert push["payload"] == {"reason": "connection_timeout"}
    assert push["version"] == "3.6"
    assert [c.conn_id for c in h.closes(outputs)] == ["c"]


def test_too_many_connections_and_ban_and_restart_reasons() -> None:
    h = V3Harness(ServerConfig(agent=None, max_connections_per_customer=1))
    customer_id, token = h.customer3("a")
    _, outputs = h.login3("b", token)
    assert h.pushes(outputs, "a", "customer_disconnected")[0]["payload"]["reason"] == (
        "too_many_connections"
    )
    outputs = h.core.close_all()
    assert h.pushes(outputs, "b")[0]["payload"]["reason"] == "service_temporarily_unavailable"
    h.login3("c", token)
    outputs = h.core.ban_customer(customer_id, h.now)
    assert h.pushes(outputs, "c")[0]["payload"] == {"reason": "customer_banned"}
    h.open3("d")
    assert h.error("d", "login", {"token": f"Bearer {token}"})["type"] == "customer_banned"


def test_organization_id_is_a_uuid_string_by_default() -> None:
    assert len(ORG) == 36
    with pytest.raises(ValueError, match="organization_id"):
        ServerConfig(organization_id="")
    with pytest.raises(ValueError, match="login_timeout"):
        ServerConfig(login_timeout=0)
    with pytest.raises(ValueError, match="max_pending_requests"):
        ServerConfig(max_pending_requests=0)


def test_an_expired_token_disconnects_a_v3_connection() -> None:
    h = V3Harness(ServerConfig(agent=None, token_ttl=100, idle_timeout=None))
    h.customer3("c")
    h.connect("old", h.customer()[1])
    assert h.core.next_deadline() == 100
    outputs = h.advance(100)
    [push] = h.pushes(outputs, "c")
    assert push["payload"] == {"reason": "access_token_expired"}
    assert [c.conn_id for c in h.closes(outputs)] == ["c"]  # v0.3 keeps its connection


def test_oldest_page_first_fault_over_v3_list_threads() -> None:
    h = V3Harness()
    h.customer3("c")
    chat_id = h.start3("c")["chat_id"]
    h.ok("c", "deactivate_chat", {"id": chat_id})
    h.ok("c", "resume_chat", {"chat": {"id": chat_id}})
    newest = h.ok("c", "list_threads", {"chat_id": chat_id})["threads"]
    h.core.faults.add(FaultRule(kind=FaultKind.OLDEST_PAGE_FIRST, action="list_threads"))
    oldest = h.ok("c", "list_threads", {"chat_id": chat_id})["threads"]
    assert [t["id"] for t in oldest] == [t["id"] for t in newest][::-1]


def test_echo_faults_apply_to_v3_pushes() -> None:
    h = V3Harness()
    _, token = h.customer3("c")
    h.login3("d", token)
    h.core.faults.add(FaultRule(kind=FaultKind.SKIP_PUSH, action="start_chat"))
    _, outputs = h.request("c", "start_chat", {})
    assert h.pushes(outputs, "c") == []
    assert len(h.pushes(outputs, "d")) == 1
    h.core.faults.add(FaultRule(kind=FaultKind.REQUEST_ID_TO_ALL, action="start_chat"))
    _, outputs = h.request("c", "start_chat", {}, rid="all")
    assert h.pushes(outputs, "d")[0]["request_id"] == "all"
    h.core.faults.add(FaultRule(kind=FaultKind.BROKEN_PUSH, action="get_customer"))
    _, outputs = h.request("c", "get_customer", {})
    broken = h.pushes(outputs, "c")[0]
    assert broken["version"] == "3.6"
    assert "event" not in broken["payload"]


@pytest.mark.parametrize("version", ["²", "9" * 5000, "3.6.1.2", ""])
def test_odd_request_versions_are_validation_errors(version: str) -> None:
    h = V3Harness()
    h.customer3("c")
    outputs = h.raw("c", {"request_id": "v", "version": version, "action": "get_customer"})
    [answer] = h.sent(outputs, "c")
    assert answer["payload"]["error"]["message"].startswith("version:")

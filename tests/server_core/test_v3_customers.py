"""v3 customer, status, greeting and other actions."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol.errors import LocalProtocolError
from customer_protocol.rfc3339 import format_ms
from customer_protocol.server import ServerConfig

from .v3_helpers import V3Harness


def test_update_customer_and_session_fields() -> None:
    h = V3Harness()
    customer_id, token = h.customer3("c")
    h.login3("other", token)
    payload = {
        "name": "Ann",
        "email": "ann@example.com",
        "avatar": "https://example.com/a.png",
        "session_fields": [{"a": "1"}, {"b": "2"}],
    }
    response, outputs = h.request("c", "update_customer", payload, rid="u1")
    assert response["payload"] == {}
    [push] = h.pushes(outputs, "c")
    assert (push["action"], push["request_id"]) == ("customer_updated", "u1")
    assert push["payload"]["id"] == customer_id
    assert push["payload"]["session_fields"] == [{"a": "1"}, {"b": "2"}]
    assert "request_id" not in h.pushes(outputs, "other")[0]
    _, outputs = h.request("c", "set_customer_session_fields", {"session_fields": [{"c": "3"}]})
    assert h.pushes(outputs, "c")[0]["action"] == "customer_updated"
    customer = h.ok("c", "get_customer", {})
    assert customer["name"] == "Ann"
    assert customer["email"] == "ann@example.com"
    assert customer["avatar"] == "https://example.com/a.png"
    assert customer["session_fields"] == [{"a": "1"}, {"b": "2"}, {"c": "3"}]
    assert customer["statistics"]["visits_count"] == 2


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("update_customer", {}, "payload"),
        ("update_customer", {"name": 5}, "name"),
        ("update_customer", {"session_fields": [{"a": 1}]}, "session_fields[0]"),
        ("update_customer", {"session_fields": [{"a": "1", "b": "2"}]}, "session_fields[0]"),
        ("update_customer", {"address": "x"}, "address"),
        ("set_customer_session_fields", {}, "session_fields"),
        ("set_customer_session_fields", {"session_fields": {}}, "session_fields"),
        (
            "set_customer_session_fields",
            {"session_fields": [{f"k{n}": "v"} for n in range(101)]},
            "session_fields",
        ),
        ("update_customer_page", {}, "url"),
        ("update_customer_page", {"url": "u", "title": 1}, "title"),
        ("list_group_statuses", {}, "all"),
        ("list_group_statuses", {"all": 1}, "all"),
        ("list_group_statuses", {"group_ids": 1}, "group_ids"),
        ("list_group_statuses", {"group_ids": ["x"]}, "group_ids[0]"),
        ("get_form", {"type": "prechat"}, "group_id"),
        ("get_form", {"group_id": 0, "type": "other"}, "type"),
        ("get_url_info", {}, "url"),
        ("get_url_info", {"url": "ftp://x"}, "url"),
        ("mark_events_as_seen", {"chat_id": "CH", "seen_up_to": "x"}, "seen_up_to"),
        ("accept_greeting", {"unique_id": "x"}, "greeting_id"),
        ("accept_greeting", {"greeting_id": "x", "unique_id": "x"}, "greeting_id"),
        ("cancel_greeting", {}, "unique_id"),
        ("check_goals", {"session_fields": "x"}, "session_fields"),
        ("list_group_properties", {}, "id"),
    ],
)
def test_validation_names_the_field(action: str, payload: dict[str, Any], field: str) -> None:
    h = V3Harness()
    h.customer3("c")
    if action == "mark_events_as_seen":
        payload = {**payload, "chat_id": h.start3("c")["chat_id"]}
    error = h.error("c", action, payload)
    assert error["type"] == "validation"
    assert error["message"].startswith(f"{field}:"), error


def test_update_customer_page_counts_page_views() -> None:
    h = V3Harness()
    h.customer3("c")
    assert h.ok("c", "update_customer_page", {"url": "https://example.com", "title": "E"}) == {}
    assert h.ok("c", "get_customer", {})["statistics"]["page_views_count"] == 1


def test_group_statuses_follow_the_agent_simulator() -> None:
    h = V3Harness()
    h.customer3("c")
    assert h.ok("c", "list_group_statuses", {"all": True}) == {"groups_status": {"0": "offline"}}
    h = V3Harness(ServerConfig(idle_timeout=None))
    h.customer3("c")
    assert h.ok("c", "list_group_statuses", {"group_ids": [0, 7]}) == {
        "groups_status": {"0": "online"}
    }


def test_get_form_predicted_agent_and_url_info() -> None:
    h = V3Harness(ServerConfig(idle_timeout=None))
    h.customer3("c")
    form = h.ok("c", "get_form", {"group_id": 0, "type": "prechat"})
    assert form["enabled"] is True
    assert all({"id", "type"} <= set(f) for f in form["form"]["fields"])
    assert h.error("c", "get_form", {"group_id": 3, "type": "prechat"})["type"] == "group_not_found"
    agent = h.ok("c", "get_predicted_agent", {})
    assert agent["queue"] is False
    assert agent["agent"]["type"] == "agent"
    assert agent["agent"]["is_bot"] is False
    info = h.ok("c", "get_url_info", {"url": "https://example.com/x"})
    assert info["url"] == "https://example.com/x"
    assert info["title"] == "example.com"
    assert set(info) == {
        "title",
        "description",
        "image_url",
        "image_original_url",
        "image_width",
        "image_height",
        "url",
    }


def test_no_agent_means_group_offline() -> None:
    h = V3Harness()
    h.customer3("c")
    assert h.error("c", "get_predicted_agent", {})["type"] == "group_offline"
    assert h.error("c", "request_welcome_message", {})["type"] == "group_offline"


def test_mark_events_as_seen() -> None:
    h = V3Harness()
    customer_id, _ = h.customer3("c")
    chat_id = h.start3("c")["chat_id"]
    seen = "2030-01-02T03:04:05.678000Z"
    payload = {"chat_id": chat_id, "seen_up_to": seen}
    response, outputs = h.request("c", "mark_events_as_seen", payload, rid="m")
    assert response["payload"] == {}
    [push] = h.pushes(outputs, "c")
    assert (push["action"], push["request_id"]) == ("events_marked_as_seen", "m")
    assert push["payload"] == {"user_id": customer_id, "chat_id": chat_id, "seen_up_to": seen}
    users = h.ok("c", "get_chat", {"chat_id": chat_id})["users"]
    assert users[0]["events_seen_up_to"] == seen
    assert h.error("c", "mark_events_as_seen", {"chat_id": chat_id})["message"].startswith(
        "seen_up_to:"
    )


def test_greetings_accept_cancel_and_button() -> None:
    h = V3Harness(ServerConfig(idle_timeout=None))
    customer_id, _ = h.customer3("c")
    outputs = h.core.send_greeting(customer_id, "Hello there", h.now)
    [greeting] = h.pushes(outputs, "c", "incoming_greeting")
    unique_id = greeting["payload"]["unique_id"]
    assert greeting["payload"]["event"]["text"] == "Hello there"
    assert greeting["payload"]["agent"]["type"] == "agent"
    clicked = {"greeting_unique_id": unique_id, "button_id": "b"}
    assert h.ok("c", "send_greeting_button_clicked", clicked) == {}
    accept = {"greeting_id": greeting["payload"]["id"], "unique_id": unique_id}
    _, outputs = h.request("c", "accept_greeting", accept, rid="g")
    [push] = h.pushes(outputs, "c")
    assert (push["action"], push["request_id"]) == ("greeting_accepted", "g")
    statistics = h.ok("c", "get_customer", {})["statistics"]
    assert statistics["greetings_shown_count"] == 1
    assert statistics["greetings_accepted_count"] == 1
    _, outputs = h.request("c", "cancel_greeting", {"unique_id": unique_id})
    assert h.pushes(outputs, "c")[0]["action"] == "greeting_canceled"
    missing = h.error("c", "cancel_greeting", {"unique_id": unique_id})
    assert missing["type"] == "greeting_not_found"
    missing = h.error("c", "send_greeting_button_clicked", clicked)
    assert missing["type"] == "greeting_not_found"


def test_send_greeting_needs_a_known_customer_and_the_agent() -> None:
    h = V3Harness()
    customer_id, _ = h.customer3("c")
    with pytest.raises(LocalProtocolError):
        h.core.send_greeting("nobody", "x", h.now)
    with pytest.raises(LocalProtocolError):
        h.core.send_greeting(customer_id, "x", h.now)


def test_request_welcome_message() -> None:
    h = V3Harness(ServerConfig(idle_timeout=None))
    h.customer3("c")
    response, outputs = h.request("c", "request_welcome_message", {"group_id": 0}, rid="w")
    result = response["payload"]
    assert result["queue"] is False
    assert result["predicted_agent"]["type"] == "agent"
    [push] = h.pushes(outputs, "c")
    assert (push["action"], push["request_id"]) == ("incoming_welcome_message", "w")
    assert push["payload"]["id"] == result["id"]
    assert push["payload"]["event"]["created_at"] == format_ms(int(h.core.wall(h.now)) * 1000)


@pytest.mark.parametrize(
    "action",
    [
        "activate_customer_page",
        "deactivate_customer_page",
        "check_goals",
        "list_license_properties",
    ],
)
def test_actions_real_clients_send_beyond_the_reference(action: str) -> None:
    h = V3Harness()
    h.customer3("c")
    assert h.ok("c", action, {}) == {}


def test_list_group_properties_over_rtm() -> None:
    h = V3Harness()
    h.customer3("c")
    assert h.ok("c", "list_group_properties", {"id": 0}) == {}
    assert h.error("c", "list_group_properties", {"id": 4})["type"] == "group_not_found"
    goals = {"session_fields": [{"a": "b"}], "group_id": 0, "page_url": "https://x"}
    assert h.ok("c", "check_goals", goals) == {}


def test_unknown_and_web_only_actions_over_rtm_are_validation() -> None:
    h = V3Harness()
    h.customer3("c")
    for action in ("upload_file", "get_dynamic_configuration", "no_such_action", "close_thread"):
        error = h.error("c", action, {})
        assert error["type"] == "validation"
        assert error["message"].startswith("action:")


@pytest.mark.parametrize("value", ["²", "9" * 5000, "1.5", " 1"])
def test_odd_digit_strings_are_not_group_ids(value: str) -> None:
    h = V3Harness()
    h.customer3("c")
    error = h.error("c", "list_group_properties", {"id": value})
    assert error["message"].startswith("id:")


def test_greeting_ids_are_never_reused_and_login_shows_the_newest() -> None:
    h = V3Harness(ServerConfig(idle_timeout=None))
    customer_id, token = h.customer3("c")
    first = h.pushes(h.core.send_greeting(customer_id, "one", h.now), "c")[0]["payload"]
    second = h.pushes(h.core.send_greeting(customer_id, "two", h.now), "c")[0]["payload"]
    h.ok("c", "cancel_greeting", {"unique_id": first["unique_id"]})
    third = h.pushes(h.core.send_greeting(customer_id, "three", h.now), "c")[0]["payload"]
    assert len({first["unique_id"], second["unique_id"], third["unique_id"]}) == 3
    h.ok("c", "accept_greeting", {"greeting_id": third["id"], "unique_id": third["unique_id"]})
    payload, _ = h.login3("d", token)
    greeting = payload["greeting"]
    assert greeting["unique_id"] == third["unique_id"]
    assert greeting["accepted"] is True
    assert greeting["displayed_first_time"] is False
    assert "customer_id" not in greeting
    other, _ = h.login3("e", h.customer()[1])
    assert "greeting" not in other

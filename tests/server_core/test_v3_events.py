"""v3 events and properties: send, delete, postbacks, sneak peeks, the six property actions."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol.server import ServerConfig

from .v3_helpers import V3Harness


def _setup() -> tuple[V3Harness, str, str, str]:
    h = V3Harness()
    customer_id, token = h.customer3("c")
    h.login3("other", token)
    started = h.start3("c")
    return h, customer_id, started["chat_id"], started["thread_id"]


def test_send_event_answers_event_id_and_incoming_event_carries_the_request_id() -> None:
    h, customer_id, chat_id, thread_id = _setup()
    event = {"type": "message", "text": "hello", "custom_id": "c-1", "recipients": "all"}
    event["properties"] = {"ns": {"k": "v"}}
    response, outputs = h.request("c", "send_event", {"chat_id": chat_id, "event": event}, rid="e1")
    assert set(response["payload"]) == {"event_id"}
    [push] = h.pushes(outputs, "c")
    assert push["action"] == "incoming_event"
    assert push["request_id"] == "e1"
    [other] = h.pushes(outputs, "other")
    assert "request_id" not in other
    sent = push["payload"]
    assert sent["chat_id"] == chat_id
    assert sent["thread_id"] == thread_id
    assert sent["event"]["id"] == response["payload"]["event_id"]
    assert sent["event"]["custom_id"] == "c-1"
    assert sent["event"]["author_id"] == customer_id
    assert sent["event"]["properties"] == {"ns": {"k": "v"}}


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (None, "event"),
        ("x", "event"),
        ({}, "event.type"),
        ({"type": "annotation"}, "event.type"),
        ({"type": "form"}, "event.type"),
        ({"type": "message", "text": 1}, "event.text"),
        ({"type": "file"}, "event.url"),
        ({"type": "filled_form", "fields": {}}, "event.fields"),
        ({"type": "rich_message"}, "event.template_id"),
        ({"type": "rich_message", "template_id": "cards", "elements": {}}, "event.elements"),
        ({"type": "message", "text": "x", "custom_id": 5}, "event.custom_id"),
        ({"type": "message", "text": "x", "recipients": "me"}, "event.recipients"),
        ({"type": "message", "text": "x", "properties": []}, "event.properties"),
    ],
)
def test_send_event_validation(event: Any, field: str) -> None:
    h, _, chat_id, _ = _setup()
    error = h.error("c", "send_event", {"chat_id": chat_id, "event": event})
    assert error["type"] == "validation"
    assert error["message"].startswith(f"{field}:"), error


def test_send_event_to_an_inactive_chat_is_chat_inactive_unless_attached() -> None:
    h, _, chat_id, thread_id = _setup()
    h.ok("c", "deactivate_chat", {"id": chat_id})
    message = {"type": "message", "text": "late"}
    error = h.error("c", "send_event", {"chat_id": chat_id, "event": message})
    assert error["type"] == "chat_inactive"
    attached = {"chat_id": chat_id, "event": message, "attach_to_last_thread": True}
    response, outputs = h.request("c", "send_event", attached)
    [push] = h.pushes(outputs, "c")
    assert push["payload"]["thread_id"] == thread_id
    chat = h.ok("c", "get_chat", {"chat_id": chat_id})
    assert chat["thread"]["active"] is False
    assert chat["thread"]["events"][-1]["id"] == response["payload"]["event_id"]
    bad = {"chat_id": chat_id, "event": message, "attach_to_last_thread": "yes"}
    assert h.error("c", "send_event", bad)["message"].startswith("attach_to_last_thread:")


def test_other_event_types_are_stored() -> None:
    h, _, chat_id, _ = _setup()
    for event in (
        {"type": "custom", "content": {"a": 1}},
        {"type": "filled_form", "form_id": "f", "fields": [{"type": "name", "answer": "A"}]},
        {"type": "rich_message", "template_id": "cards", "elements": []},
        {"type": "file", "url": "https://example.com/a.png", "alternative_text": "a"},
    ):
        h.ok("c", "send_event", {"chat_id": chat_id, "event": event})
    events = h.ok("c", "get_chat", {"chat_id": chat_id})["thread"]["events"]
    assert [e["type"] for e in events] == [
        "message",
        "custom",
        "filled_form",
        "rich_message",
        "file",
    ]


def test_delete_event() -> None:
    h, _, chat_id, thread_id = _setup()
    event_id = h.ok(
        "c", "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "x"}}
    )["event_id"]
    ids = {"chat_id": chat_id, "thread_id": thread_id, "event_id": event_id}
    response, outputs = h.request("c", "delete_event", ids, rid="x1")
    assert response["payload"] == {}
    [push] = h.pushes(outputs, "c")
    assert push["action"] == "event_deleted"
    assert push["request_id"] == "x1"
    assert push["payload"] == ids
    events = h.ok("c", "get_chat", {"chat_id": chat_id})["thread"]["events"]
    assert event_id not in [e["id"] for e in events]
    assert h.error("c", "delete_event", ids)["type"] == "not_found"
    assert h.error("c", "delete_event", {**ids, "thread_id": "no"})["type"] == "not_found"


def test_an_agents_event_cannot_be_deleted() -> None:
    h = V3Harness(ServerConfig(idle_timeout=None))
    h.customer3("c")
    started = h.start3("c")
    h.advance(5)
    chat = h.ok("c", "get_chat", {"chat_id": started["chat_id"]})
    agent_event = next(
        e for e in chat["thread"]["events"] if e.get("author_id") != chat["users"][0]["id"]
    )
    ids = {"chat_id": started["chat_id"], "thread_id": started["thread_id"]}
    error = h.error("c", "delete_event", {**ids, "event_id": agent_event["id"]})
    assert error["type"] == "authorization"


def test_rich_message_postback() -> None:
    h, customer_id, chat_id, thread_id = _setup()
    event = {"type": "rich_message", "template_id": "cards", "elements": []}
    event_id = h.ok("c", "send_event", {"chat_id": chat_id, "event": event})["event_id"]
    postback = {"id": "yes", "toggled": True, "button_type": "url", "button_value": "x"}
    payload = {
        "chat_id": chat_id,
        "thread_id": thread_id,
        "event_id": event_id,
        "postback": postback,
    }
    response, outputs = h.request("c", "send_rich_message_postback", payload, rid="p1")
    assert response["payload"] == {}
    [push] = h.pushes(outputs, "c")
    assert push["action"] == "incoming_rich_message_postback"
    assert push["request_id"] == "p1"
    assert push["payload"]["user_id"] == customer_id
    assert push["payload"]["postback"] == postback
    for bad, field in [
        ({**postback, "toggled": "y"}, "postback.toggled"),
        ({"toggled": True}, "postback.id"),
        ({**postback, "button_type": 1}, "postback.button_type"),
        ({**postback, "ecommerce": {}}, "postback.ecommerce.product_id"),
    ]:
        error = h.error("c", "send_rich_message_postback", {**payload, "postback": bad})
        assert error["message"].startswith(f"{field}:")
    h.ok("c", "deactivate_chat", {"id": chat_id})
    _, outputs = h.request("c", "send_rich_message_postback", payload)
    assert h.pushes(outputs, "c") == []


def test_sneak_peek_is_recorded_without_a_push() -> None:
    h, customer_id, chat_id, _ = _setup()
    response, outputs = h.request(
        "c", "send_sneak_peek", {"chat_id": chat_id, "sneak_peek_text": "ty"}
    )
    assert response["payload"] == {}
    assert h.pushes(outputs, "c") == []
    assert h.core.sneak_peeks[-1].text == "ty"
    assert h.core.sneak_peeks[-1].author_id == customer_id
    error = h.error("c", "send_sneak_peek", {"chat_id": chat_id})
    assert error["message"].startswith("sneak_peek_text:")


def test_chat_properties_update_and_delete() -> None:
    h, _, chat_id, _ = _setup()
    update = {"id": chat_id, "properties": {"ns": {"a": 1, "b": "x"}}}
    response, outputs = h.request("c", "update_chat_properties", update, rid="u")
    assert response["payload"] == {}
    [push] = h.pushes(outputs, "c")
    assert (push["action"], push["request_id"]) == ("chat_properties_updated", "u")
    assert push["payload"] == {"chat_id": chat_id, "properties": {"ns": {"a": 1, "b": "x"}}}
    _, outputs = h.request("c", "update_chat_properties", update)
    assert h.pushes(outputs, "c") == []  # nothing changed
    delete = {"id": chat_id, "properties": {"ns": ["a", "zz"], "none": ["q"]}}
    _, outputs = h.request("c", "delete_chat_properties", delete, rid="d")
    [push] = h.pushes(outputs, "c")
    assert (push["action"], push["request_id"]) == ("chat_properties_deleted", "d")
    assert push["payload"] == {"chat_id": chat_id, "properties": {"ns": ["a"]}}
    assert h.ok("c", "get_chat", {"chat_id": chat_id})["properties"] == {"ns": {"b": "x"}}
    _, outputs = h.request("c", "delete_chat_properties", delete)
    assert h.pushes(outputs, "c") == []
    for action, payload, field in [
        ("update_chat_properties", {"id": chat_id}, "properties"),
        ("update_chat_properties", {"properties": {}}, "id"),
        ("delete_chat_properties", {"id": chat_id, "properties": {}}, "properties"),
        ("delete_chat_properties", {"id": chat_id, "properties": {"ns": "a"}}, "properties.ns"),
    ]:
        assert h.error("c", action, payload)["message"].startswith(f"{field}:")


def test_thread_properties_update_and_delete() -> None:
    h, _, chat_id, thread_id = _setup()
    ids = {"chat_id": chat_id, "thread_id": thread_id}
    _, outputs = h.request("c", "update_thread_properties", {**ids, "properties": {"r": {"s": 5}}})
    [push] = h.pushes(outputs, "c")
    assert push["action"] == "thread_properties_updated"
    assert push["payload"] == {**ids, "properties": {"r": {"s": 5}}}
    _, outputs = h.request("c", "update_thread_properties", {**ids, "properties": {"r": {"s": 5}}})
    assert h.pushes(outputs, "c") == []
    _, outputs = h.request("c", "delete_thread_properties", {**ids, "properties": {"r": ["s"]}})
    [push] = h.pushes(outputs, "c")
    assert push["action"] == "thread_properties_deleted"
    assert push["payload"] == {**ids, "properties": {"r": ["s"]}}
    assert h.ok("c", "get_chat", {"chat_id": chat_id})["thread"]["properties"] == {}
    _, outputs = h.request("c", "delete_thread_properties", {**ids, "properties": {"r": ["s"]}})
    assert h.pushes(outputs, "c") == []


def test_event_properties_update_and_delete() -> None:
    h, _, chat_id, thread_id = _setup()
    event_id = h.ok("c", "get_chat", {"chat_id": chat_id})["thread"]["events"][0]["id"]
    ids = {"chat_id": chat_id, "thread_id": thread_id, "event_id": event_id}
    _, outputs = h.request("c", "update_event_properties", {**ids, "properties": {"n": {"k": 1}}})
    [push] = h.pushes(outputs, "c")
    assert push["action"] == "event_properties_updated"
    assert push["payload"] == {**ids, "properties": {"n": {"k": 1}}}
    event = h.ok("c", "get_chat", {"chat_id": chat_id})["thread"]["events"][0]
    assert event["properties"] == {"n": {"k": 1}}
    _, outputs = h.request("c", "update_event_properties", {**ids, "properties": {"n": {"k": 1}}})
    assert h.pushes(outputs, "c") == []
    _, outputs = h.request("c", "delete_event_properties", {**ids, "properties": {"n": ["k"]}})
    [push] = h.pushes(outputs, "c")
    assert push["action"] == "event_properties_deleted"
    assert "properties" not in h.ok("c", "get_chat", {"chat_id": chat_id})["thread"]["events"][0]
    _, outputs = h.request("c", "delete_event_properties", {**ids, "properties": {"n": ["k"]}})
    assert h.pushes(outputs, "c") == []
    missing = h.error("c", "update_event_properties", {**ids, "event_id": "no", "properties": {}})
    assert missing["type"] == "not_found"

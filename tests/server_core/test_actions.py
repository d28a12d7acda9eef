"""Every RTM action: success shapes and validation paths."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import EPOCH, Harness

WALL = int(EPOCH)


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    _, token = harness.customer()
    harness.connect("c", token)
    return harness


def test_start_chat_shape_and_push_before_response(h: Harness) -> None:
    response, outputs = h.request(
        "c",
        "start_chat",
        {
            "routing_scope": {"type": "group", "ids": [3]},
            "events": [{"type": "message", "text": "hi", "custom_id": "m1"}],
            "properties": {"source": {"page": "home"}},
        },
        rid="s1",
    )
    messages = h.sent(outputs, "c")
    assert [m["type"] for m in messages] == ["push", "response"]
    push = messages[0]
    assert push["action"] == "incoming_chat_thread"
    assert push["request_id"] == "s1"
    chat = response["payload"]["chat"]
    assert push["payload"]["chat"] == chat
    assert set(chat) == {"id", "users", "properties", "scopes", "thread"}
    assert chat["scopes"] == {"groups": [3]}
    assert chat["properties"] == {"source": {"page": {"value": "home"}}}
    [user] = chat["users"]
    assert user["type"] == "customer"
    assert user["present"] is True
    thread = chat["thread"]
    assert thread["active"] is True
    [event] = thread["events"]
    assert event["type"] == "message"
    assert event["text"] == "hi"
    assert event["custom_id"] == "m1"
    assert event["author_id"] == user["id"]
    assert event["timestamp"] == WALL
    assert event["order"] > thread["order"]


def test_start_chat_documented_form(h: Harness) -> None:
    chat = h.ok(
        "c",
        "start_chat",
        {
            "chat": {
                "scopes": {"groups": [1, 2]},
                "properties": {"a": {"b": 1}},
                "thread": {
                    "events": [{"type": "custom", "content": {"x": [1]}}],
                    "properties": {"t": {"u": True}},
                },
            }
        },
    )["chat"]
    assert chat["scopes"] == {"groups": [1, 2]}
    assert chat["thread"]["properties"] == {"t": {"u": {"value": True}}}
    assert chat["thread"]["events"][0]["content"] == {"x": [1]}


def test_start_chat_without_payload(h: Harness) -> None:
    chat = h.ok("c", "start_chat")["chat"]
    assert chat["scopes"] == {}
    assert chat["thread"]["events"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"events": "x"}, "events"),
        ({"events": [{"type": "message"}]}, "events[0].text"),
        ({"events": [{"type": "system_message", "text": "x"}]}, "events[0].type"),
        ({"routing_scope": {"type": "planet"}}, "routing_scope.type"),
        ({"routing_scope": {"type": "group", "ids": ["a"]}}, "routing_scope.groups"),
        ({"routing_scope": 3}, "routing_scope"),
        ({"properties": {"ns": 1}}, "properties.ns"),
        ({"chat": {"thread": {"events": [{}]}}}, "chat.thread.events[0].type"),
        ({"chat": {"scopes": {"groups": [True]}}}, "chat.scopes.groups"),
        ({"chat": 1}, "chat"),
    ],
)
def test_start_chat_validation(h: Harness, payload: dict[str, Any], field: str) -> None:
    error = h.error("c", "start_chat", payload)
    assert error["type"] == "validation"
    assert error["message"].startswith(field + ":"), error
    assert h.core.store.chats == {}


def test_send_event_response_and_push(h: Harness) -> None:
    chat = h.start_chat("c")
    response, outputs = h.request(
        "c",
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": "yo", "custom_id": "k"}},
        rid="e1",
    )
    push, reply = h.sent(outputs, "c")
    assert push["action"] == "incoming_event"
    assert push["request_id"] == "e1"
    payload = response["payload"]
    assert payload["thread_id"] == chat["thread"]["id"]
    assert push["payload"] == {
        "chat_id": chat["id"],
        "thread_id": chat["thread"]["id"],
        "event": payload["event"],
    }
    assert payload["event"]["custom_id"] == "k"
    assert reply is not push


@pytest.mark.parametrize(
    "event",
    [
        {"type": "annotation", "annotation_type": "rating", "text": "ok"},
        {
            "type": "filled_form",
            "fields": [{"type": "text", "name": "n", "label": "N", "required": True, "value": "v"}],
        },
        {"type": "file", "url": "http://x/f.png", "name": "f.png", "size": 3, "width": 1},
        {"type": "custom", "content": None},
        {"type": "message", "text": "", "properties": {"ns": {"k": 1}}},
    ],
)
def test_every_customer_event_type(h: Harness, event: dict[str, Any]) -> None:
    chat = h.start_chat("c")
    stored = h.ok("c", "send_event", {"chat_id": chat["id"], "event": event})["event"]
    assert stored["type"] == event["type"]
    assert {"id", "order", "timestamp", "author_id"} <= set(stored)
    if "properties" in event:
        assert stored["properties"] == {"ns": {"k": {"value": 1}}}


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (None, "event"),
        ("x", "event"),
        ({}, "event.type"),
        ({"type": "laser"}, "event.type"),
        ({"type": "system_message", "text": "x", "system_message_type": "y"}, "event.type"),
        ({"type": "message", "text": 5}, "event.text"),
        ({"type": "annotation"}, "event.annotation_type"),
        ({"type": "filled_form", "fields": {}}, "event.fields"),
        ({"type": "filled_form", "fields": [1]}, "event.fields[0]"),
        ({"type": "filled_form", "fields": [{"type": "t"}]}, "event.fields[0].name"),
        (
            {"type": "filled_form", "fields": [{"type": "t", "name": "n", "options": 1}]},
            "event.fields[0].options",
        ),
        ({"type": "file"}, "event.url"),
        ({"type": "file", "url": "u", "size": "1"}, "event.size"),
        ({"type": "custom"}, "event.content"),
        ({"type": "message", "text": "x", "custom_id": 1}, "event.custom_id"),
        ({"type": "message", "text": "x", "custom_id": ""}, "event.custom_id"),
        ({"type": "message", "text": "x", "properties": []}, "event.properties"),
    ],
)
def test_send_event_validation(h: Harness, event: Any, field: str) -> None:
    chat = h.start_chat("c")
    error = h.error("c", "send_event", {"chat_id": chat["id"], "event": event})
    assert error["type"] == "validation"
    assert error["message"].startswith(field + ":"), error


def test_server_set_fields_are_overwritten(h: Harness) -> None:
    chat = h.start_chat("c")
    event = {"type": "message", "text": "x", "id": "mine", "order": -1, "author_id": "z"}
    stored = h.ok("c", "send_event", {"chat_id": chat["id"], "event": event})["event"]
    assert stored["id"] != "mine"
    assert stored["order"] > 0
    assert stored["author_id"] != "z"


@pytest.mark.parametrize("payload", [{}, {"chat_id": 5}, {"chat_id": ""}, {"chat_id": "nope"}])
def test_chat_id_validation(h: Harness, payload: dict[str, Any]) -> None:
    for action in (
        "send_event",
        "close_thread",
        "send_sneak_peek",
        "get_chat_threads",
        "get_chat_threads_summary",
        "update_chat_scopes",
        "update_chat_properties",
        "update_chat_thread_properties",
        "update_last_seen_timestamp",
    ):
        error = h.error("c", action, payload)
        assert error["type"] == "validation"
        assert error["message"].startswith("chat_id:")


def test_get_chats_summary(h: Harness) -> None:
    empty = h.ok("c", "get_chats_summary")
    assert empty == {"chats_summary": [], "total_chats": 0}
    first = h.start_chat("c", "one")
    second = h.start_chat("c")
    h.ok("c", "send_event", {"chat_id": first["id"], "event": {"type": "message", "text": "2"}})
    h.ok(
        "c",
        "send_event",
        {"chat_id": first["id"], "event": {"type": "annotation", "annotation_type": "rating"}},
    )
    result = h.ok("c", "get_chats_summary")
    assert result["total_chats"] == 2
    top, bottom = result["chats_summary"]
    assert (top["id"], bottom["id"]) == (first["id"], second["id"])
    assert set(top) == {"id", "order", "users", "properties", "scopes", "last_event_per_type"}
    per_type = top["last_event_per_type"]
    assert per_type["thread_id"] == first["thread"]["id"]
    assert per_type["events"]["message"]["text"] == "2"
    assert per_type["events"]["annotation"]["annotation_type"] == "rating"
    assert bottom["last_event_per_type"] == {"thread_id": second["thread"]["id"], "events": {}}
    page = h.ok("c", "get_chats_summary", {"offset": 1, "limit": 1})
    assert [c["id"] for c in page["chats_summary"]] == [second["id"]]
    assert page["total_chats"] == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"limit": 26}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"offset": 101}, "offset"),
        ({"offset": -1}, "offset"),
        ({"offset": True}, "offset"),
    ],
)
def test_get_chats_summary_validation(h: Harness, payload: dict[str, Any], field: str) -> None:
    error = h.error("c", "get_chats_summary", payload)
    assert error["type"] == "validation"
    assert error["message"].startswith(field + ":")


def test_get_chats_summary_limits_are_inclusive(h: Harness) -> None:
    assert h.ok("c", "get_chats_summary", {"limit": 25, "offset": 100})["total_chats"] == 0


def test_get_chat_threads(h: Harness) -> None:
    chat = h.start_chat("c", "a")
    h.ok("c", "close_thread", {"chat_id": chat["id"]})
    h.ok("c", "send_event", {"chat_id": chat["id"], "event": {"type": "message", "text": "b"}})
    summary = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"]})
    ids = [t["id"] for t in summary["threads_summary"]]
    result = h.ok("c", "get_chat_threads", {"chat_id": chat["id"], "thread_ids": ids[::-1]})
    view = result["chat"]
    assert set(view) == {"id", "users", "properties", "scopes", "threads"}
    assert [t["id"] for t in view["threads"]] == ids
    assert [t["active"] for t in view["threads"]] == [False, True]
    assert [e["text"] for t in view["threads"] for e in t["events"]] == ["a", "b"]
    assert set(view["threads"][0]) == {"id", "active", "order", "user_ids", "events", "properties"}
    empty = h.ok("c", "get_chat_threads", {"chat_id": chat["id"], "thread_ids": []})
    assert empty["chat"]["threads"] == []


@pytest.mark.parametrize("thread_ids", [None, "TH1", [1], ["missing"]])
def test_get_chat_threads_validation(h: Harness, thread_ids: Any) -> None:
    chat = h.start_chat("c")
    error = h.error("c", "get_chat_threads", {"chat_id": chat["id"], "thread_ids": thread_ids})
    assert error["type"] == "validation"
    assert error["message"].startswith("thread_ids:")


def test_send_sneak_peek_is_recorded(h: Harness) -> None:
    chat = h.start_chat("c")
    response, outputs = h.request(
        "c", "send_sneak_peek", {"chat_id": chat["id"], "sneak_peek_text": "typing..."}
    )
    assert response["payload"] == {}
    assert len(outputs) == 1
    [peek] = h.core.sneak_peeks
    assert (peek.chat_id, peek.text, peek.timestamp) == (chat["id"], "typing...", WALL)
    error = h.error("c", "send_sneak_peek", {"chat_id": chat["id"]})
    assert error["message"].startswith("sneak_peek_text:")


def test_update_chat_scopes(h: Harness) -> None:
    chat = h.start_chat("c")
    response, outputs = h.request(
        "c",
        "update_chat_scopes",
        {"chat_id": chat["id"], "add_scopes": {"groups": [1, 2]}, "remove_scopes": {"groups": [9]}},
        rid="u",
    )
    push, _ = h.sent(outputs, "c")
    assert response["payload"] == {}
    assert push["action"] == "chat_scopes_updated"
    assert push["request_id"] == "u"
    assert push["payload"] == {
        "chat_id": chat["id"],
        "scopes_added": {"groups": [1, 2]},
        "scopes_removed": {"groups": []},
    }
    h.ok("c", "update_chat_scopes", {"chat_id": chat["id"], "remove_scopes": {"groups": [1, 2]}})
    assert h.ok("c", "get_chats_summary")["chats_summary"][0]["scopes"] == {}
    error = h.error("c", "update_chat_scopes", {"chat_id": chat["id"], "add_scopes": [1]})
    assert error["message"].startswith("add_scopes:")


def test_update_customer(h: Harness) -> None:
    response, outputs = h.request(
        "c", "update_customer", {"customer": {"name": "Bo", "fields": {"a": "1"}}}
    )
    customer = response["payload"]["customer"]
    assert customer["name"] == "Bo"
    assert customer["fields"] == {"a": "1"}
    assert customer["type"] == "customer"
    assert len(outputs) == 1  # no chat: no customer_updated push
    h.ok("c", "update_customer", {"customer": {"fields": {"b": "2"}}})
    assert h.ok("c", "update_customer")["customer"]["fields"] == {"a": "1", "b": "2"}
    for bad, field in (
        ({"customer": 1}, "customer"),
        ({"customer": {"name": 5}}, "customer.name"),
        ({"customer": {"fields": {"a": 1}}}, "customer.fields"),
        ({"customer": {"monitoring": "x"}}, "customer.monitoring"),
    ):
        assert h.error("c", "update_customer", bad)["message"].startswith(field + ":")


def test_update_last_seen_timestamp(h: Harness) -> None:
    chat = h.start_chat("c")
    h.now = 5.0
    response, outputs = h.request(
        "c", "update_last_seen_timestamp", {"chat_id": chat["id"]}, rid="l"
    )
    assert response["payload"] == {"timestamp": WALL + 5}
    push = h.sent(outputs, "c")[0]
    assert push["action"] == "last_seen_timestamp_updated"
    assert push["request_id"] == "l"
    customer_id = chat["users"][0]["id"]
    assert push["payload"] == {"user_id": customer_id, "chat_id": chat["id"], "timestamp": WALL + 5}
    given = h.ok("c", "update_last_seen_timestamp", {"chat_id": chat["id"], "timestamp": 42})
    assert given == {"timestamp": 42}
    users = h.ok("c", "get_chats_summary")["chats_summary"][0]["users"]
    assert users[0]["last_seen_timestamp"] == 42
    error = h.error("c", "update_last_seen_timestamp", {"chat_id": chat["id"], "timestamp": "x"})
    assert error["message"].startswith("timestamp:")

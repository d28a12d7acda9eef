"""v3 chat actions: start, resume, deactivate, get, list_chats and list_threads paging."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from customer_protocol.rfc3339 import parse_ms
from customer_protocol.server import ServerConfig

from .helpers import EPOCH
from .v3_helpers import V3Harness


def _message(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text}


def test_start_chat_answers_ids_and_incoming_chat_carries_the_request_id() -> None:
    h = V3Harness()
    customer_id, token = h.customer3("c")
    h.login3("other", token)
    payload = {
        "chat": {
            "properties": {"ns": {"p": 1}},
            "access": {"group_ids": [0, 2]},
            "thread": {"events": [_message("hi")], "properties": {"t": {"q": True}}},
        }
    }
    response, outputs = h.request("c", "start_chat", payload, rid="s1")
    result = response["payload"]
    assert set(result) == {"chat_id", "thread_id", "event_ids"}
    [push] = h.pushes(outputs, "c", "incoming_chat")
    assert push["request_id"] == "s1"
    assert push["version"] == "3.6"
    [other] = h.pushes(outputs, "other", "incoming_chat")
    assert "request_id" not in other
    chat = push["payload"]["chat"]
    assert push["payload"]["requester_id"] == customer_id
    assert chat["id"] == result["chat_id"]
    assert chat["access"] == {"group_ids": [0, 2]}
    assert chat["properties"] == {"ns": {"p": 1}}
    thread = chat["thread"]
    assert thread["id"] == result["thread_id"]
    assert thread["active"] is True
    assert thread["properties"] == {"t": {"q": True}}
    [event] = thread["events"]
    assert event["id"] == result["event_ids"][0]
    assert event["text"] == "hi"
    assert event["author_id"] == customer_id
    assert parse_ms(event["created_at"]) == int(EPOCH) * 1000
    assert "order" not in event
    assert "timestamp" not in event
    assert parse_ms(thread["created_at"]) is not None
    [user] = chat["users"]
    assert user["id"] == customer_id
    assert user["present"] is True
    assert "events_seen_up_to" in user


def test_start_chat_without_anything_and_inactive() -> None:
    h = V3Harness()
    h.customer3("c")
    result = h.ok("c", "start_chat", {})
    assert set(result) == {"chat_id", "thread_id"}
    inactive = h.ok("c", "start_chat", {"active": False, "continuous": True})
    chat = h.ok("c", "get_chat", {"chat_id": inactive["chat_id"]})
    assert chat["thread"]["active"] is False
    assert chat["access"] == {"group_ids": [0]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"chat": []}, "chat"),
        ({"chat": {"access": {"group_ids": ["a"]}}}, "chat.access.group_ids"),
        ({"chat": {"properties": []}}, "chat.properties"),
        ({"chat": {"thread": {"events": {}}}}, "chat.thread.events"),
        ({"chat": {"thread": {"events": [{"type": "message"}]}}}, "chat.thread.events[0].text"),
        (
            {"chat": {"thread": {"events": [{"type": "system_message"}]}}},
            "chat.thread.events[0].type",
        ),
        ({"chat": {"thread": {"properties": {"ns": 1}}}}, "chat.thread.properties.ns"),
        ({"chat": {"users": {}}}, "chat.users"),
        ({"active": "yes"}, "active"),
        ({"continuous": 1}, "continuous"),
    ],
)
def test_start_chat_validation(payload: dict[str, Any], field: str) -> None:
    h = V3Harness()
    h.customer3("c")
    error = h.error("c", "start_chat", payload)
    assert error["type"] == "validation"
    assert error["message"].startswith(f"{field}:"), error


def test_deactivate_chat_pushes_a_system_message_then_chat_deactivated() -> None:
    h = V3Harness()
    customer_id, _ = h.customer3("c")
    chat_id = h.start3("c")["chat_id"]
    response, outputs = h.request("c", "deactivate_chat", {"id": chat_id}, rid="d1")
    assert response["payload"] == {}
    pushes = h.pushes(outputs, "c")
    assert [p["action"] for p in pushes] == ["incoming_event", "chat_deactivated"]
    assert "request_id" not in pushes[0]
    assert pushes[0]["payload"]["event"]["type"] == "system_message"
    assert pushes[1]["request_id"] == "d1"
    assert pushes[1]["payload"]["chat_id"] == chat_id
    assert pushes[1]["payload"]["user_id"] == customer_id
    again = h.error("c", "deactivate_chat", {"id": chat_id})
    assert again["type"] == "chat_inactive"


def test_resume_chat_opens_a_new_thread() -> None:
    h = V3Harness()
    h.customer3("c")
    started = h.start3("c")
    chat_id = started["chat_id"]
    assert h.error("c", "resume_chat", {"chat": {"id": chat_id}})["type"] == "validation"
    h.ok("c", "deactivate_chat", {"id": chat_id})
    payload = {"chat": {"id": chat_id, "thread": {"events": [_message("back")]}}}
    response, outputs = h.request("c", "resume_chat", payload, rid="r1")
    result = response["payload"]
    assert set(result) == {"thread_id", "event_ids"}
    assert result["thread_id"] != started["thread_id"]
    [push] = h.pushes(outputs, "c", "incoming_chat")
    assert push["request_id"] == "r1"
    thread = push["payload"]["chat"]["thread"]
    assert thread["previous_thread_id"] == started["thread_id"]
    assert [e["text"] for e in thread["events"]] == ["back"]
    assert h.error("c", "resume_chat", {})["message"].startswith("chat:")
    assert h.error("c", "resume_chat", {"chat": {}})["message"].startswith("chat.id:")
    assert h.error("c", "resume_chat", {"chat": {"id": "nope"}})["type"] == "not_found"


def test_another_customers_chat_is_authorization_and_unknown_is_not_found() -> None:
    h = V3Harness()
    h.customer3("a")
    chat_id = h.start3("a")["chat_id"]
    h.customer3("b")
    for action, payload in [
        ("get_chat", {"chat_id": chat_id}),
        ("send_event", {"chat_id": chat_id, "event": _message("x")}),
        ("deactivate_chat", {"id": chat_id}),
        ("resume_chat", {"chat": {"id": chat_id}}),
        ("list_threads", {"chat_id": chat_id}),
        ("update_chat_properties", {"id": chat_id, "properties": {"a": {"b": 1}}}),
        ("mark_events_as_seen", {"chat_id": chat_id, "seen_up_to": "2020-01-01T00:00:00Z"}),
    ]:
        assert h.error("b", action, payload)["type"] == "authorization", action
    assert h.error("b", "get_chat", {"chat_id": "nope"})["type"] == "not_found"
    assert h.error("b", "get_chat", {})["message"].startswith("chat_id:")


def test_get_chat_default_latest_thread_or_a_given_one() -> None:
    h = V3Harness()
    h.customer3("c")
    first = h.start3("c")
    chat_id = first["chat_id"]
    h.ok("c", "deactivate_chat", {"id": chat_id})
    second = h.ok("c", "resume_chat", {"chat": {"id": chat_id}})
    chat = h.ok("c", "get_chat", {"chat_id": chat_id})
    assert set(chat) == {"id", "thread", "users", "access", "properties"}
    assert chat["thread"]["id"] == second["thread_id"]
    chat = h.ok("c", "get_chat", {"chat_id": chat_id, "thread_id": first["thread_id"]})
    assert chat["thread"]["id"] == first["thread_id"]
    assert chat["thread"]["next_thread_id"] == second["thread_id"]
    missing = h.error("c", "get_chat", {"chat_id": chat_id, "thread_id": "nope"})
    assert missing["type"] == "not_found"


def test_list_chats_summary_shape_and_paging() -> None:
    h = V3Harness()
    h.customer3("c")
    ids = []
    for n in range(3):
        h.now += 1
        ids.append(h.start3("c", f"m{n}")["chat_id"])
    page = h.ok("c", "list_chats", {"limit": 2})
    assert page["total_chats"] == 3
    assert [c["id"] for c in page["chats_summary"]] == [ids[2], ids[1]]
    assert "previous_page_id" not in page
    summary = page["chats_summary"][0]
    assert summary["active"] is True
    assert summary["access"] == {"group_ids": [0]}
    assert summary["last_thread_id"]
    assert parse_ms(summary["last_thread_created_at"]) is not None
    message = summary["last_event_per_type"]["message"]
    assert message["thread_id"] == summary["last_thread_id"]
    assert message["event"]["text"] == "m2"
    rest = h.ok("c", "list_chats", {"page_id": page["next_page_id"]})
    assert [c["id"] for c in rest["chats_summary"]] == [ids[0]]
    assert "next_page_id" not in rest
    back = h.ok("c", "list_chats", {"page_id": rest["previous_page_id"]})
    assert [c["id"] for c in back["chats_summary"]] == [ids[2], ids[1]]
    ascending = h.ok("c", "list_chats", {"sort_order": "asc"})
    assert [c["id"] for c in ascending["chats_summary"]] == ids


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"limit": 26}, "limit"),
        ({"limit": 0}, "limit"),
        ({"sort_order": "up"}, "sort_order"),
        ({"page_id": "!!"}, "page_id"),
        ({"page_id": "eyJrIjoieCJ9"}, "page_id"),
        ({"page_id": 3}, "page_id"),
        ({"page_id": "eyJrIjoiY2hhdHMiLCJvIjowfQ==", "limit": 3}, "page_id"),
    ],
)
def test_list_chats_validation(payload: dict[str, Any], field: str) -> None:
    h = V3Harness()
    h.customer3("c")
    error = h.error("c", "list_chats", payload)
    assert error["type"] == "validation"
    assert error["message"].startswith(f"{field}:")


def _chat_with_threads(h: V3Harness, counts: list[int]) -> tuple[str, list[str]]:
    """A chat whose threads (oldest first) have ``counts`` customer messages each."""
    h.customer3("c")
    started = h.start3("c", None)
    chat_id, thread_ids = started["chat_id"], [started["thread_id"]]
    for index, count in enumerate(counts):
        if index:
            h.ok("c", "deactivate_chat", {"id": chat_id})
            h.now += 1
            thread_ids.append(h.ok("c", "resume_chat", {"chat": {"id": chat_id}})["thread_id"])
        for n in range(count):
            h.ok("c", "send_event", {"chat_id": chat_id, "event": _message(f"{index}.{n}")})
    return chat_id, thread_ids


def test_list_threads_newest_first_by_default_with_paging() -> None:
    h = V3Harness()
    chat_id, threads = _chat_with_threads(h, [1, 1, 1, 1])
    page = h.ok("c", "list_threads", {"chat_id": chat_id})
    assert page["found_threads"] == 4
    assert [t["id"] for t in page["threads"]] == threads[::-1][:3]
    more = h.ok("c", "list_threads", {"page_id": page["next_page_id"], "chat_id": chat_id})
    assert [t["id"] for t in more["threads"]] == [threads[0]]
    assert "next_page_id" not in more
    back = h.ok("c", "list_threads", {"chat_id": chat_id, "page_id": more["previous_page_id"]})
    assert [t["id"] for t in back["threads"]] == threads[::-1][:3]
    ascending = h.ok("c", "list_threads", {"chat_id": chat_id, "sort_order": "asc", "limit": 2})
    assert [t["id"] for t in ascending["threads"]] == threads[:2]
    created = [
        parse_ms(t["created_at"])
        for t in h.ok("c", "list_threads", {"chat_id": chat_id, "sort_order": "asc", "limit": 4})[
            "threads"
        ]
    ]
    assert created == sorted(created)
    assert len(set(created)) == 4


def test_list_threads_min_events_count_pages() -> None:
    h = V3Harness()
    # system messages of deactivate_chat add one event to each closed thread
    chat_id, threads = _chat_with_threads(h, [3, 1, 2])
    page = h.ok("c", "list_threads", {"chat_id": chat_id, "min_events_count": 3})
    assert [t["id"] for t in page["threads"]] == [threads[2], threads[1]]
    rest = h.ok("c", "list_threads", {"chat_id": chat_id, "page_id": page["next_page_id"]})
    assert [t["id"] for t in rest["threads"]] == [threads[0]]
    assert "next_page_id" not in rest
    back = h.ok("c", "list_threads", {"chat_id": chat_id, "page_id": rest["previous_page_id"]})
    assert [t["id"] for t in back["threads"]] == [threads[2], threads[1]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"min_events_count": 0}, "min_events_count"),
        ({"limit": 2, "min_events_count": 2}, "limit"),
        ({"sort_order": 1}, "sort_order"),
        ({"page_id": "e30="}, "page_id"),
        ({"page_id": "eyJrIjoieCIsIm8iOjB9", "limit": 1}, "page_id"),
    ],
)
def test_list_threads_validation(payload: dict[str, Any], field: str) -> None:
    h = V3Harness()
    h.customer3("c")
    chat_id = h.start3("c")["chat_id"]
    error = h.error("c", "list_threads", {"chat_id": chat_id, **payload})
    assert error["type"] == "validation"
    assert error["message"].startswith(f"{field}:")


def test_a_page_id_of_another_chat_is_refused() -> None:
    h = V3Harness()
    chat_id, _ = _chat_with_threads(h, [1, 1, 1, 1])
    page = h.ok("c", "list_threads", {"chat_id": chat_id, "limit": 1})
    other = h.start3("c")["chat_id"]
    error = h.error("c", "list_threads", {"chat_id": other, "page_id": page["next_page_id"]})
    assert error["message"].startswith("page_id:")


def _forged(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


@pytest.mark.parametrize(
    "state",
    [
        {"k": "chats", "o": 0, "l": "x", "s": "desc"},
        {"k": "chats", "o": 0, "l": 10, "s": "up"},
        {"k": "chats", "o": -1, "l": 10, "s": "desc"},
        {"k": "chats", "o": True, "l": 10, "s": "desc"},
        {"k": "chats", "o": 0, "s": "desc"},
        {"k": "chats", "o": 0, "l": 10, "m": 3, "s": "desc"},
        {"k": "chats", "o": 0, "l": 1000, "s": "desc"},
        [1],
    ],
)
def test_forged_page_ids_are_validation_errors(state: Any) -> None:
    h = V3Harness()
    h.customer3("c")
    error = h.error("c", "list_chats", {"page_id": _forged(state)})
    assert error["message"].startswith("page_id:")
    good = h.ok("c", "list_chats", {"page_id": _forged({"k": "chats", "o": 0, "l": 5, "s": "asc"})})
    assert good["total_chats"] == 0


def test_shapes_have_the_docs_fields() -> None:
    """The fields of the docs' samples (data-structures, v3.6) that the server can fill."""
    h = V3Harness(ServerConfig(idle_timeout=None))
    h.customer3("c")
    started = h.start3("c", "hi")
    h.advance(5)  # the agent joins and answers
    summary = h.ok("c", "list_chats", {})["chats_summary"][0]
    assert set(summary) == {
        "id",
        "last_thread_id",
        "last_thread_created_at",
        "last_event_per_type",
        "users",
        "access",
        "properties",
        "active",
    }
    assert set(summary["last_event_per_type"]["message"]) == {
        "thread_id",
        "thread_order",
        "thread_created_at",
        "event",
    }
    chat = h.ok("c", "get_chat", {"chat_id": started["chat_id"]})
    assert set(chat["thread"]) == {
        "id",
        "created_at",
        "active",
        "user_ids",
        "events",
        "properties",
        "access",
    }
    customer, agent = chat["users"]
    assert {"id", "type", "present", "events_seen_up_to", "session_fields"} <= set(customer)
    assert {"id", "type", "name", "avatar", "present", "events_seen_up_to", "job_title"} <= set(
        agent
    )
    for event in chat["thread"]["events"]:
        assert {"id", "created_at", "type", "author_id", "text"} <= set(event)


def test_created_at_has_millisecond_precision_and_v03_keeps_seconds() -> None:
    h = V3Harness()
    _, token = h.customer3("c")
    h.connect("old", token)
    h.now = 0.25
    response, outputs = h.request(
        "c", "start_chat", {"chat": {"thread": {"events": [_message("a")]}}}
    )
    [old] = h.sent(outputs, "old")
    assert old["payload"]["chat"]["thread"]["events"][0]["timestamp"] == int(EPOCH)
    h.now = 0.75
    event = {"chat_id": response["payload"]["chat_id"], "event": _message("b")}
    _, outputs = h.request("c", "send_event", event)
    [push] = h.pushes(outputs, "c")
    assert push["payload"]["event"]["created_at"].endswith(".750000Z")
    chat = h.ok("c", "get_chat", {"chat_id": event["chat_id"]})
    assert chat["thread"]["created_at"].endswith(".250000Z")
    first, second = chat["thread"]["events"]
    assert first["created_at"].endswith(".250000Z")
    assert second["created_at"].endswith(".750000Z")
    assert chat["users"][0]["events_seen_up_to"].endswith(".750000Z")

"""Thread lifecycle, incoming_chat_thread, history paging and the properties no-change rule."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol.errors import LocalProtocolError

from .helpers import Harness


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    _, token = harness.customer()
    harness.connect("c", token)
    return harness


def _send(h: Harness, chat_id: str, text: str, rid: str | None = None) -> list[dict[str, Any]]:
    payload = {"chat_id": chat_id, "event": {"type": "message", "text": text}}
    _, outputs = h.request("c", "send_event", payload, rid=rid)
    return h.sent(outputs, "c")


def test_close_thread_then_send_event_opens_a_new_thread(h: Harness) -> None:
    chat = h.start_chat("c", "first")
    response, outputs = h.request("c", "close_thread", {"chat_id": chat["id"]}, rid="x")
    push, _ = h.sent(outputs, "c")
    assert response["payload"] == {}
    assert push["action"] == "thread_closed"
    assert push["request_id"] == "x"
    customer_id = chat["users"][0]["id"]
    assert push["payload"] == {
        "chat_id": chat["id"],
        "thread_id": chat["thread"]["id"],
        "user_id": customer_id,
    }
    error = h.error("c", "close_thread", {"chat_id": chat["id"]})
    assert error["type"] == "validation"

    push, reply = _send(h, chat["id"], "again", rid="y")
    assert push["action"] == "incoming_chat_thread"
    assert push["request_id"] == "y"
    thread = push["payload"]["chat"]["thread"]
    assert thread["active"] is True
    assert thread["id"] != chat["thread"]["id"]
    assert thread["order"] > chat["thread"]["order"]
    assert [e["text"] for e in thread["events"]] == ["again"]
    assert reply["payload"]["thread_id"] == thread["id"]
    assert set(push["payload"]["chat"]) == {"id", "users", "properties", "scopes", "thread"}

    push, _ = _send(h, chat["id"], "more")
    assert push["action"] == "incoming_event"
    assert push["payload"]["thread_id"] == thread["id"]
    store = h.core.store
    assert sum(t.active for t in store.threads_of(store.chats[chat["id"]])) == 1


def test_annotation_does_not_reopen_a_closed_thread(h: Harness) -> None:
    chat = h.start_chat("c", "hi")
    h.ok("c", "close_thread", {"chat_id": chat["id"]})
    event = {"type": "annotation", "annotation_type": "rating"}
    response, outputs = h.request("c", "send_event", {"chat_id": chat["id"], "event": event})
    assert response["payload"]["thread_id"] == chat["thread"]["id"]
    assert h.sent(outputs, "c")[0]["action"] == "incoming_event"
    summary = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"]})
    assert summary["total_threads"] == 1


def test_orders_are_monotonic_and_timestamps_are_seconds(h: Harness) -> None:
    chat = h.start_chat("c")
    orders = []
    for i in range(5):
        h.now = i * 0.4
        push, _ = _send(h, chat["id"], str(i))
        event = push["payload"]["event"]
        orders.append(event["order"])
        assert isinstance(event["timestamp"], int)
    assert orders == sorted(orders)
    assert len(set(orders)) == 5


def test_threads_summary_paging_offset_zero_is_newest(h: Harness) -> None:
    chat = h.start_chat("c", "t0")
    for i in range(1, 7):
        h.ok("c", "close_thread", {"chat_id": chat["id"]})
        for j in range(i):
            _send(h, chat["id"], f"t{i}-{j}")
    full = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"], "limit": 100})
    assert full["total_threads"] == 7
    summaries = full["threads_summary"]
    assert [s["total_events"] for s in summaries] == [1, 1, 2, 3, 4, 5, 6]
    orders = [s["order"] for s in summaries]
    assert orders == sorted(orders)
    assert set(summaries[0]) == {"id", "order", "total_events"}

    newest = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"], "limit": 3})
    assert newest["threads_summary"] == summaries[4:]
    middle = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"], "offset": 3, "limit": 3})
    assert middle["threads_summary"] == summaries[1:4]
    oldest = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"], "offset": 6, "limit": 3})
    assert oldest["threads_summary"] == summaries[:1]
    beyond = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"], "offset": 50})
    assert beyond == {"threads_summary": [], "total_threads": 7}

    # A new thread created meanwhile shifts the newest page by one: the history cursor's
    # offset = total_now - left_to_fetch lands on the same old threads.
    h.ok("c", "close_thread", {"chat_id": chat["id"]})
    _send(h, chat["id"], "new")
    shifted = h.ok(
        "c", "get_chat_threads_summary", {"chat_id": chat["id"], "offset": 8 - 4, "limit": 3}
    )
    assert shifted["threads_summary"] == summaries[1:4]
    assert shifted["total_threads"] == 8


@pytest.mark.parametrize(
    ("payload", "field"), [({"limit": 101}, "limit"), ({"offset": -2}, "offset")]
)
def test_threads_summary_validation(h: Harness, payload: dict[str, Any], field: str) -> None:
    chat = h.start_chat("c")
    error = h.error("c", "get_chat_threads_summary", {"chat_id": chat["id"], **payload})
    assert error["message"].startswith(field + ":")


def test_threads_summary_limit_100_is_allowed(h: Harness) -> None:
    chat = h.start_chat("c")
    result = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"], "limit": 100})
    assert result["total_threads"] == 1


def test_chat_properties_push_only_what_changed(h: Harness) -> None:
    chat = h.start_chat("c")
    props = {"rating": {"score": 1, "comment": "ok"}}
    response, outputs = h.request(
        "c", "update_chat_properties", {"chat_id": chat["id"], "properties": props}, rid="p1"
    )
    push, _ = h.sent(outputs, "c")
    assert response["payload"] == {}
    assert push["action"] == "chat_properties_updated"
    assert push["request_id"] == "p1"
    assert push["payload"] == {
        "chat_id": chat["id"],
        "properties": {"rating": {"score": {"value": 1}, "comment": {"value": "ok"}}},
    }
    # Same values again: a response and no push.
    response, outputs = h.request(
        "c", "update_chat_properties", {"chat_id": chat["id"], "properties": props}
    )
    assert response["success"] is True
    assert len(outputs) == 1
    # 1 -> true is a change (JSON equality, not Python's).
    _, outputs = h.request(
        "c",
        "update_chat_properties",
        {"chat_id": chat["id"], "properties": {"rating": {"score": True, "comment": "ok"}}},
    )
    push = h.sent(outputs, "c")[0]
    assert push["payload"]["properties"] == {"rating": {"score": {"value": True}}}
    summary = h.ok("c", "get_chats_summary")["chats_summary"][0]
    assert summary["properties"] == {
        "rating": {"score": {"value": True}, "comment": {"value": "ok"}}
    }


def test_thread_properties_push_only_what_changed(h: Harness) -> None:
    chat = h.start_chat("c")
    thread_id = chat["thread"]["id"]
    h.ok("c", "close_thread", {"chat_id": chat["id"]})  # closed threads can still be rated
    payload = {"chat_id": chat["id"], "thread_id": thread_id, "properties": {"r": {"s": [1]}}}
    _, outputs = h.request("c", "update_chat_thread_properties", payload, rid="t")
    push, _ = h.sent(outputs, "c")
    assert push["action"] == "chat_thread_properties_updated"
    assert push["request_id"] == "t"
    assert push["payload"] == {
        "chat_id": chat["id"],
        "thread_id": thread_id,
        "properties": {"r": {"s": {"value": [1]}}},
    }
    _, outputs = h.request("c", "update_chat_thread_properties", payload)
    assert len(outputs) == 1
    threads = h.ok("c", "get_chat_threads", {"chat_id": chat["id"], "thread_ids": [thread_id]})
    assert threads["chat"]["threads"][0]["properties"] == {"r": {"s": {"value": [1]}}}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "properties"),
        ({"properties": []}, "properties"),
        ({"properties": {"ns": "x"}}, "properties.ns"),
        ({"properties": {"": {}}}, "properties"),
        ({"properties": {"ns": {"": 1}}}, "properties.ns"),
    ],
)
def test_properties_validation(h: Harness, payload: dict[str, Any], field: str) -> None:
    chat = h.start_chat("c")
    error = h.error("c", "update_chat_properties", {"chat_id": chat["id"], **payload})
    assert error["message"].startswith(field + ":"), error
    thread_payload = {"chat_id": chat["id"], "thread_id": chat["thread"]["id"], **payload}
    error = h.error("c", "update_chat_thread_properties", thread_payload)
    assert error["message"].startswith(field + ":"), error


def test_thread_properties_need_a_thread_of_the_chat(h: Harness) -> None:
    chat = h.start_chat("c")
    other = h.start_chat("c")
    for thread_id in (None, "nope", other["thread"]["id"]):
        payload = {"chat_id": chat["id"], "thread_id": thread_id, "properties": {}}
        error = h.error("c", "update_chat_thread_properties", payload)
        assert error["message"].startswith("thread_id:")


def test_churn_thread_closes_the_active_thread_and_opens_a_new_one(h: Harness) -> None:
    chat = h.start_chat("c", "first")
    outputs = h.core.churn_thread(chat["id"], h.now, text="routed again")
    closed, opened = h.sent(outputs, "c")
    assert closed["action"] == "thread_closed" and "request_id" not in closed
    assert closed["payload"]["thread_id"] == chat["thread"]["id"]
    assert opened["action"] == "incoming_chat_thread" and "request_id" not in opened
    thread = opened["payload"]["chat"]["thread"]
    assert thread["active"] is True and thread["id"] != chat["thread"]["id"]
    assert [e["text"] for e in thread["events"]] == ["routed again"]
    # Churning a chat without an active thread only opens one; an unknown chat is an error.
    h.core.store.active_thread(h.core.store.chats[chat["id"]]).active = False  # type: ignore[union-attr]
    (only,) = h.sent(h.core.churn_thread(chat["id"], h.now), "c")
    assert only["action"] == "incoming_chat_thread"
    summary = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"]})
    assert summary["total_threads"] == 3
    with pytest.raises(LocalProtocolError):
        h.core.churn_thread("nope", h.now)

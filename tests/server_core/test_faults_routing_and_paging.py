"""The fault kinds that break request_id routing and history paging (for conformance tests)."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol.server import FaultKind, FaultRule

from .helpers import Harness


@pytest.fixture
def h() -> Harness:
    harness = Harness(idle_timeout=None)
    _, token = harness.customer()
    harness.connect("a", token)
    harness.connect("b", token)
    return harness


def _custom(chat_id: str) -> dict[str, Any]:
    return {"chat_id": chat_id, "event": {"type": "custom", "content": 1}}


def _pushes(h: Harness, outputs: list[Any], conn: str) -> list[dict[str, Any]]:
    return [m for m in h.sent(outputs, conn) if m["type"] == "push"]


def test_routing_is_correct_without_faults(h: Harness) -> None:
    chat = h.start_chat("a")
    _, outputs = h.request("a", "send_event", _custom(chat["id"]), rid="x")
    [mine] = _pushes(h, outputs, "a")
    [theirs] = _pushes(h, outputs, "b")
    assert mine["request_id"] == "x"
    assert "request_id" not in theirs


def test_echo_without_request_id(h: Harness) -> None:
    chat = h.start_chat("a")
    h.core.faults.add(FaultRule(kind=FaultKind.ECHO_WITHOUT_REQUEST_ID, action="send_event"))
    response, outputs = h.request("a", "send_event", _custom(chat["id"]), rid="x")
    [mine] = _pushes(h, outputs, "a")
    assert "request_id" not in mine
    assert response["request_id"] == "x"
    assert "request_id" not in _pushes(h, outputs, "b")[0]
    assert h.core.faults.rules == ()


def test_request_id_to_all(h: Harness) -> None:
    chat = h.start_chat("a")
    h.core.faults.add(FaultRule(kind=FaultKind.REQUEST_ID_TO_ALL, action=None, times=None))
    _, outputs = h.request("a", "send_event", _custom(chat["id"]), rid="x")
    assert _pushes(h, outputs, "a")[0]["request_id"] == "x"
    assert _pushes(h, outputs, "b")[0]["request_id"] == "x"
    # A request without pushes does not use the rule up (it is still there either way).
    h.request("a", "get_chats_summary")
    assert len(h.core.faults.rules) == 1


def test_oldest_page_first(h: Harness) -> None:
    chat = h.start_chat("a")
    for _ in range(3):
        h.ok("a", "close_thread", {"chat_id": chat["id"]})
        h.ok("a", "send_event", _custom(chat["id"]))
    query = {"chat_id": chat["id"], "limit": 2}
    right = h.ok("a", "get_chat_threads_summary", query)["threads_summary"]
    h.core.faults.add(FaultRule(kind=FaultKind.OLDEST_PAGE_FIRST, action=None))
    wrong = h.ok("a", "get_chat_threads_summary", query)["threads_summary"]
    orders = [t.order for t in h.core.store.threads_of(h.core.store.chats[chat["id"]])]
    assert [t["order"] for t in right] == orders[2:]
    assert [t["order"] for t in wrong] == orders[:2]
    assert h.core.faults.rules == ()
    again = h.ok("a", "get_chat_threads_summary", query)["threads_summary"]
    assert again == right

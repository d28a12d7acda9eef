"""The fault switches the conformance runner's v3 broken-server tests use."""

from __future__ import annotations

from customer_protocol.server import FaultKind, FaultRule

from .v3_helpers import V3Harness


def test_unanswered_ping_fault_silences_the_protocol_ping_only_while_active() -> None:
    h = V3Harness()
    h.customer3("c")
    rule = h.core.faults.add(FaultRule(kind=FaultKind.UNANSWERED_PING, action="ping", times=1))
    assert h.sent(h.raw("c", {"action": "ping", "payload": {}}), "c") == []
    assert rule not in h.core.faults.rules  # used up
    [answer] = h.sent(h.raw("c", {"action": "ping", "payload": {}}), "c")
    assert answer["action"] == "ping" and answer["success"] is True


def test_oldest_page_first_fault_turns_list_threads_default_order_around() -> None:
    h = V3Harness()
    h.customer3("c")
    chat_id = h.start3("c")["chat_id"]
    h.ok("c", "deactivate_chat", {"id": chat_id})
    h.ok("c", "resume_chat", {"chat": {"id": chat_id}})
    newest_first = [t["id"] for t in h.ok("c", "list_threads", {"chat_id": chat_id})["threads"]]
    assert len(newest_first) == 2
    h.core.faults.add(FaultRule(kind=FaultKind.OLDEST_PAGE_FIRST, action=None, times=None))
    broken = [t["id"] for t in h.ok("c", "list_threads", {"chat_id": chat_id})["threads"]]
    assert broken == newest_first[::-1]
    # An explicit sort_order is honoured as asked.
    asked = h.ok("c", "list_threads", {"chat_id": chat_id, "sort_order": "desc"})["threads"]
    assert [t["id"] for t in asked] == newest_first

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


def test_request_id_on_side_effects_fault_tags_the_system_message_too() -> None:
    h = V3Harness()
    h.customer3("c")
    chat_id = h.start3("c")["chat_id"]
    h.core.faults.add(FaultRule(kind=FaultKind.REQUEST_ID_ON_SIDE_EFFECTS, action=None))
    _, outputs = h.request("c", "deactivate_chat", {"id": chat_id}, rid="r-1")
    pushes = h.pushes(outputs, "c")
    assert {p["action"] for p in pushes} == {"incoming_event", "chat_deactivated"}
    assert {p.get("request_id") for p in pushes} == {"r-1"}
    # Without the fault, the system message goes without it (v3.md §2).
    chat_id = h.start3("c")["chat_id"]
    _, outputs = h.request("c", "deactivate_chat", {"id": chat_id}, rid="r-2")
    [event] = h.pushes(outputs, "c", "incoming_event")
    assert "request_id" not in event


def test_push_without_version_fault_strips_version_from_the_requesters_pushes() -> None:
    h = V3Harness()
    _, token = h.customer3("a")
    h.login3("b", token)
    h.core.faults.add(FaultRule(kind=FaultKind.PUSH_WITHOUT_VERSION, action="start_chat"))
    _, outputs = h.request("a", "start_chat", {})
    [mine] = h.pushes(outputs, "a", "incoming_chat")
    [theirs] = h.pushes(outputs, "b", "incoming_chat")
    assert "version" not in mine and theirs["version"] == "3.6"
    _, outputs = h.request("a", "start_chat", {})  # used up
    assert h.pushes(outputs, "a", "incoming_chat")[0]["version"] == "3.6"

"""Each fault switch the core applies, plus the flags it only stores."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol.server import MALFORMED_FRAME, FaultKind, FaultRule, Faults, Send

from .helpers import Harness


@pytest.fixture
def h() -> Harness:
    harness = Harness(idle_timeout=None)
    _, token = harness.customer()
    harness.token = token  # type: ignore[attr-defined]
    harness.connect("a", token)
    harness.connect("b", token)
    return harness


def _message(chat_id: str, text: str = "x") -> dict[str, Any]:
    return {"chat_id": chat_id, "event": {"type": "message", "text": text, "custom_id": text}}


def _events(h: Harness, chat_id: str) -> list[str]:
    chat = h.core.store.chats[chat_id]
    return [e["text"] for t in h.core.store.threads_of(chat) for e in t.events]


def test_drop_before_store(h: Harness) -> None:
    chat = h.start_chat("a")
    h.core.faults.add(FaultRule(kind=FaultKind.DROP_BEFORE_STORE, action="send_event"))
    outputs = h.raw(
        "a", {"request_id": "r", "action": "send_event", "payload": _message(chat["id"])}
    )
    [close] = outputs
    assert close == h.closes(outputs)[0]
    assert close.conn_id == "a"
    assert close.abort
    assert _events(h, chat["id"]) == []
    assert h.core.connections_of(chat["users"][0]["id"]) == ["b"]
    assert h.core.faults.rules == ()


def test_drop_after_store(h: Harness) -> None:
    chat = h.start_chat("a")
    h.core.faults.add(FaultRule(kind=FaultKind.DROP_AFTER_STORE, action="send_event"))
    outputs = h.raw(
        "a", {"request_id": "r", "action": "send_event", "payload": _message(chat["id"])}
    )
    assert [type(o).__name__ for o in outputs] == ["Send", "Close"]
    assert outputs[0].conn_id == "b"  # type: ignore[union-attr]
    assert h.sent(outputs, "a") == []
    assert _events(h, chat["id"]) == ["x"]


def test_error_refuses_login(h: Harness) -> None:
    h.core.faults.add(FaultRule(kind=FaultKind.ERROR, action="login", error_type="customer_banned"))
    h.open("c")
    assert h.error("c", "login", {"token": f"Bearer {h.token}"})["type"] == "customer_banned"  # type: ignore[attr-defined]
    assert h.ok("c", "login", {"token": f"Bearer {h.token}"})  # type: ignore[attr-defined]


def test_skip_push(h: Harness) -> None:
    chat = h.start_chat("a")
    h.core.faults.add(FaultRule(kind=FaultKind.SKIP_PUSH, action="send_event", times=None))
    for text in ("1", "2"):
        response, outputs = h.request("a", "send_event", _message(chat["id"], text))
        assert h.sent(outputs, "a") == [response]
        assert response["success"] is True
        assert len(h.sent(outputs, "b")) == 1
    assert len(h.core.faults.rules) == 1
    h.core.faults.clear()
    assert h.core.faults.rules == ()


def test_delay(h: Harness) -> None:
    h.core.faults.add(FaultRule(kind=FaultKind.DELAY, action="get_chats_summary", delay=3.0))
    outputs = h.raw("a", {"request_id": "d", "action": "get_chats_summary"})
    assert outputs == []
    assert h.core.next_deadline() == 3.0
    assert h.advance(2.9) == []
    [reply] = h.sent(h.advance(0.1), "a")
    assert reply["request_id"] == "d"


def test_a_response_held_past_15_s_becomes_request_timeout(h: Harness) -> None:
    """wire.md §6: the server gives up after 15 s with a request_timeout error."""
    h.core.faults.add(FaultRule(kind=FaultKind.DELAY, action="get_chats_summary", delay=60.0))
    assert h.raw("a", {"request_id": "slow", "action": "get_chats_summary"}) == []
    assert h.core.next_deadline() == 15.0
    assert h.advance(14.9) == []
    [reply] = h.sent(h.advance(0.1), "a")
    assert (reply["request_id"], reply["success"]) == ("slow", False)
    assert reply["payload"]["error"]["type"] == "request_timeout"


def test_reorder(h: Harness) -> None:
    h.core.faults.add(FaultRule(kind=FaultKind.REORDER, action="get_chats_summary"))
    assert h.raw("a", {"request_id": "first", "action": "get_chats_summary"}) == []
    outputs = h.raw("a", {"request_id": "second", "action": "get_chats_summary"})
    assert [m["request_id"] for m in h.sent(outputs, "a")] == ["second", "first"]
    # A held response with no later response is released at its deadline.
    h.core.faults.add(FaultRule(kind=FaultKind.REORDER, delay=2.0))
    h.raw("a", {"request_id": "alone", "action": "get_chats_summary"})
    assert [m["request_id"] for m in h.sent(h.advance(2.0), "a")] == ["alone"]


def test_malformed_json_and_broken_push(h: Harness) -> None:
    h.core.faults.add(FaultRule(kind=FaultKind.MALFORMED_JSON))
    h.core.faults.add(FaultRule(kind=FaultKind.BROKEN_PUSH))
    outputs = h.raw("a", {"request_id": "m", "action": "get_chats_summary"})
    datas = [o.data for o in outputs if isinstance(o, Send)]
    assert datas[0] == MALFORMED_FRAME
    assert (
        datas[1]
        == b'{"action":"incoming_event","type":"push","payload":{"chat_id":"","thread_id":""}}'
    )
    assert b'"request_id":"m"' in datas[2]


def test_drop_after_messages(h: Harness) -> None:
    h.core.faults.drop_after_messages = 2
    h.open("c")
    assert h.closes(h.raw("c", {"action": "ping"})) == []
    outputs = h.raw("c", {"action": "ping"})
    [close] = h.closes(outputs)
    assert close.conn_id == "c"


def test_rules_count_down_and_validate() -> None:
    faults = Faults()
    rule = faults.add(FaultRule(kind=FaultKind.ERROR, action="x", times=2))
    assert faults.take(FaultKind.ERROR, "y") is None
    assert faults.take(FaultKind.ERROR, "x") == rule
    assert faults.rules[0].times == 1
    assert faults.take(FaultKind.ERROR, "x") is not None
    assert faults.take(FaultKind.ERROR, "x") is None
    kept = faults.add(FaultRule(kind=FaultKind.DELAY))
    faults.remove(kept)
    faults.remove(kept)
    assert faults.rules == ()
    with pytest.raises(ValueError, match="times"):
        FaultRule(kind=FaultKind.ERROR, times=0)
    with pytest.raises(ValueError, match="delay"):
        FaultRule(kind=FaultKind.DELAY, delay=-1)
    with pytest.raises(TypeError):
        faults.add("nope")  # type: ignore[arg-type]


def test_io_flags_are_stored_and_cleared() -> None:
    faults = Faults()
    faults.binary_frames = faults.oversize_frames = True
    faults.ignore_pings = faults.restart_requested = True
    faults.drop_after_messages = 3
    faults.clear()
    assert not (faults.binary_frames or faults.oversize_frames)
    assert not (faults.ignore_pings or faults.restart_requested)
    assert faults.drop_after_messages is None

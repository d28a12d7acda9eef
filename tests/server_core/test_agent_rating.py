"""The agent simulator acknowledges ratings, in both dialects, through the shared engine."""

from __future__ import annotations

from typing import Any

from customer_protocol.server import AgentConfig, ServerConfig

from .helpers import EPOCH, Harness
from .v3_helpers import V3Harness

AGENT = AgentConfig(
    join_delay=1.0,
    typing_delay=0.5,
    reply_delay=2.0,
    rating_reply="Thanks for rating us {score_word}!",
)


def _rating(score: int, comment: str | None = None) -> dict[str, Any]:
    return {"rating": {"score": score, "comment": comment}}


def _v03(agent: AgentConfig | None = AGENT) -> tuple[Harness, dict[str, Any]]:
    """A v0.3 customer on ``c`` with a chat the agent has joined (nothing pending)."""
    h = Harness(ServerConfig(agent=agent, idle_timeout=None))
    _, token = h.customer()
    h.connect("c", token)
    chat = h.start_chat("c")
    h.advance(5.0)
    return h, chat


def _rate03(h: Harness, chat: dict[str, Any], props: dict[str, Any]) -> list[dict[str, Any]]:
    """``update_chat_thread_properties`` on the chat's first thread; the pushes ``c`` got."""
    payload = {"chat_id": chat["id"], "thread_id": chat["thread"]["id"], "properties": props}
    response, outputs = h.request("c", "update_chat_thread_properties", payload)
    assert response["success"] is True, response
    return [m for m in h.sent(outputs, "c") if m.get("type") != "response"]


def _pending(h: Harness) -> int:
    assert h.core.agent is not None
    return h.core.agent.pending


def test_v03_a_rating_is_acknowledged_after_typing() -> None:
    h, chat = _v03()
    echo = _rate03(h, chat, _rating(1, "Quick!"))
    assert [m["action"] for m in echo] == ["chat_thread_properties_updated"]
    assert h.sent(h.advance(0.4), "c") == []
    typing = h.sent(h.advance(0.1), "c")
    assert [m["action"] for m in typing] == ["incoming_typing_indicator"]
    assert typing[0]["payload"]["typing_indicator"]["is_typing"] is True
    later = h.sent(h.advance(1.5), "c")
    assert [m["action"] for m in later] == ["incoming_typing_indicator", "incoming_event"]
    assert later[0]["payload"]["typing_indicator"]["is_typing"] is False
    reply = later[1]["payload"]
    assert (reply["chat_id"], reply["thread_id"]) == (chat["id"], chat["thread"]["id"])
    event = reply["event"]
    assert event["type"] == "message"
    assert event["author_id"] == AGENT.id
    assert event["text"] == "Thanks for rating us good!"
    assert event["timestamp"] == int(EPOCH) + 7
    assert all("request_id" not in m for m in typing + later)
    assert _pending(h) == 0
    threads = h.ok(
        "c", "get_chat_threads", {"chat_id": chat["id"], "thread_ids": [chat["thread"]["id"]]}
    )
    events = threads["chat"]["threads"][0]["events"]
    assert events[-1]["text"] == "Thanks for rating us good!"


def test_v03_a_bad_rating_gets_the_bad_word_and_the_default_is_a_thank_you() -> None:
    h, chat = _v03()
    _rate03(h, chat, _rating(0))
    [reply] = [m for m in h.sent(h.advance(3.0), "c") if m["action"] == "incoming_event"]
    assert reply["payload"]["event"]["text"] == "Thanks for rating us bad!"

    h, chat = _v03(AgentConfig())
    _rate03(h, chat, _rating(1))
    [reply] = [m for m in h.sent(h.advance(3.0), "c") if m["action"] == "incoming_event"]
    assert (
        reply["payload"]["event"]["text"]
        == AgentConfig().rating_reply
        == ("Thanks for your rating!")
    )


def test_v03_a_changed_comment_is_acknowledged_but_other_properties_are_not() -> None:
    h, chat = _v03()
    _rate03(h, chat, _rating(1, "ok"))
    h.advance(3.0)
    _rate03(h, chat, _rating(1, "very good"))  # only the comment changed
    replies = [m for m in h.sent(h.advance(3.0), "c") if m["action"] == "incoming_event"]
    assert [r["payload"]["event"]["text"] for r in replies] == ["Thanks for rating us good!"]
    _rate03(h, chat, _rating(1, "very good"))  # nothing changed: no push, no reply
    _rate03(h, chat, {"shop": {"order": "A-1"}})
    _rate03(h, chat, {"rating": {"score": 5}})  # not a score a customer's rating sets
    _rate03(h, chat, {"rating": {"score": True}})
    assert _pending(h) == 0
    assert h.advance(5.0) == []


def test_v03_no_reply_when_turned_off() -> None:
    h, chat = _v03(AgentConfig(rating_reply=None))
    echo = _rate03(h, chat, _rating(1))
    assert [m["action"] for m in echo] == ["chat_thread_properties_updated"]
    assert _pending(h) == 0
    assert h.advance(5.0) == []


def test_v03_no_reply_to_a_rating_of_a_closed_thread() -> None:
    h, chat = _v03()
    h.ok("c", "close_thread", {"chat_id": chat["id"]})
    echo = _rate03(h, chat, _rating(1))
    assert [m["action"] for m in echo] == ["chat_thread_properties_updated"]
    assert _pending(h) == 0
    assert h.advance(5.0) == []


def test_v03_no_reply_when_the_thread_closes_before_the_reply_is_due() -> None:
    h, chat = _v03()
    _rate03(h, chat, _rating(1))
    h.ok("c", "close_thread", {"chat_id": chat["id"]})
    assert h.advance(5.0) == []
    summary = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"]})
    assert [s["id"] for s in summary["threads_summary"]] == [chat["thread"]["id"]]


# -- v3 ---------------------------------------------------------------------------------------


def _v3(agent: AgentConfig | None = AGENT) -> tuple[V3Harness, dict[str, Any]]:
    """A v3.6 customer on ``c`` (and the same customer over v0.3 on ``old``) with a chat the
    agent has joined; the ``start_chat`` response."""
    h = V3Harness(ServerConfig(agent=agent, idle_timeout=None))
    _, token = h.customer()
    h.login3("c", token)
    h.connect("old", token)
    started = h.start3("c", None)
    h.advance(5.0)
    return h, started


def _rate3(
    h: V3Harness, started: dict[str, Any], action: str, props: dict[str, Any]
) -> list[dict[str, Any]]:
    payload = {
        "chat_id": started["chat_id"],
        "thread_id": started["thread_id"],
        "properties": props,
    }
    response, outputs = h.request("c", action, payload)
    assert response["success"] is True, response
    return h.pushes(outputs, "c")


def test_v3_a_rating_is_acknowledged_in_each_dialects_shape() -> None:
    h, started = _v3()
    [echo] = _rate3(h, started, "update_thread_properties", _rating(0, "slow"))
    assert echo["action"] == "thread_properties_updated"
    outputs = h.advance(3.0)
    pushes = h.pushes(outputs, "c")
    assert [p["action"] for p in pushes] == [
        "incoming_typing_indicator",
        "incoming_typing_indicator",
        "incoming_event",
    ]
    assert all(p["version"] == "3.6" and "request_id" not in p for p in pushes)
    on, off = (p["payload"] for p in pushes[:2])
    assert on["chat_id"] == started["chat_id"]
    assert on["thread_id"] == started["thread_id"]
    assert on["typing_indicator"]["author_id"] == AGENT.id
    assert (on["typing_indicator"]["is_typing"], off["typing_indicator"]["is_typing"]) == (
        True,
        False,
    )
    reply = pushes[2]["payload"]
    assert (reply["chat_id"], reply["thread_id"]) == (started["chat_id"], started["thread_id"])
    event = reply["event"]
    assert event["type"] == "message"
    assert event["author_id"] == AGENT.id
    assert event["text"] == "Thanks for rating us bad!"
    assert "created_at" in event and "order" not in event
    old = h.sent(outputs, "old")  # the same customer over v0.3
    assert [m["action"] for m in old] == [
        "incoming_typing_indicator",
        "incoming_typing_indicator",
        "incoming_event",
    ]
    assert "version" not in old[2]
    assert old[2]["payload"]["event"]["text"] == "Thanks for rating us bad!"
    got = h.ok("c", "get_chat", {"chat_id": started["chat_id"]})
    assert got["thread"]["events"][-1]["text"] == "Thanks for rating us bad!"


def test_v3_cancel_rate_before_the_reply_is_due_drops_it() -> None:
    h, started = _v3()
    _rate3(h, started, "update_thread_properties", _rating(1))
    h.advance(1.0)  # the agent is typing
    [gone] = _rate3(h, started, "delete_thread_properties", {"rating": ["score", "comment"]})
    assert gone["action"] == "thread_properties_deleted"
    pushes = h.pushes(h.advance(5.0), "c")
    assert [p["action"] for p in pushes] == ["incoming_typing_indicator"]
    assert pushes[0]["payload"]["typing_indicator"]["is_typing"] is False
    assert _pending(h) == 0


def test_v3_no_reply_when_turned_off() -> None:
    h, started = _v3(AgentConfig(rating_reply=None))
    _rate3(h, started, "update_thread_properties", _rating(1))
    assert _pending(h) == 0
    assert h.advance(5.0) == []


def test_v3_no_reply_to_a_rating_of_a_deactivated_chat() -> None:
    h, started = _v3()
    h.ok("c", "deactivate_chat", {"id": started["chat_id"]})
    [echo] = _rate3(h, started, "update_thread_properties", _rating(1))
    assert echo["action"] == "thread_properties_updated"
    assert _pending(h) == 0
    assert h.advance(5.0) == []
    assert h.ok("c", "list_threads", {"chat_id": started["chat_id"]})["found_threads"] == 1

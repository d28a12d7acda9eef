"""The agent simulator with fake time."""

from __future__ import annotations

import pytest

from customer_protocol.server import AgentConfig, ServerConfig

from .helpers import EPOCH, Harness

AGENT = AgentConfig(join_delay=1.0, typing_delay=0.5, reply_delay=2.0)


def _harness(agent: AgentConfig = AGENT) -> Harness:
    h = Harness(ServerConfig(agent=agent, idle_timeout=None))
    _, token = h.customer()
    h.connect("c", token)
    return h


def test_agent_joins_types_answers_and_closes_on_goodbye() -> None:
    h = _harness()
    chat = h.start_chat("c", "hello")
    assert h.core.next_deadline() == 0.5
    early = h.sent(h.advance(0.5), "c")
    assert [m["action"] for m in early] == ["chat_users_updated", "incoming_typing_indicator"]
    joined = early[0]["payload"]
    assert joined["chat_id"] == chat["id"]
    [agent_user] = joined["updated_users"]["added"]
    assert agent_user["type"] == "agent"
    assert agent_user["id"] == AGENT.id
    assert set(agent_user) == {"id", "type", "name", "avatar", "present", "last_seen_timestamp"}
    assert joined["updated_users"]["removed_ids"] == []
    assert early[1]["payload"]["typing_indicator"] == {
        "author_id": AGENT.id,
        "timestamp": int(EPOCH),
        "is_typing": True,
    }
    assert h.sent(h.advance(1.0), "c") == []  # the join already happened before the typing
    later = h.sent(h.advance(0.5), "c")
    assert [m["action"] for m in later] == ["incoming_typing_indicator", "incoming_event"]
    assert later[0]["payload"]["typing_indicator"]["is_typing"] is False
    event = later[1]["payload"]["event"]
    assert event["author_id"] == AGENT.id
    assert event["text"] == "You wrote: hello"
    assert event["timestamp"] == int(EPOCH) + 2
    assert all("request_id" not in m for m in early + later)
    assert h.core.next_deadline() is None

    h.ok("c", "send_event", {"chat_id": chat["id"], "event": {"type": "message", "text": "Bye!"}})
    final = h.sent(h.advance(5.0), "c")
    assert [m["action"] for m in final] == [
        "incoming_typing_indicator",
        "incoming_typing_indicator",
        "incoming_event",
        "thread_closed",
    ]
    assert final[2]["payload"]["event"]["text"] == AGENT.farewell
    assert final[3]["payload"] == {
        "chat_id": chat["id"],
        "thread_id": chat["thread"]["id"],
        "user_id": AGENT.id,
    }
    summary = h.ok("c", "get_chat_threads_summary", {"chat_id": chat["id"]})
    assert summary["threads_summary"][0]["total_events"] == 4


def test_agent_join_without_messages_and_greeting() -> None:
    h = _harness(AgentConfig(join_delay=1.0, greeting="Hi there"))
    chat = h.start_chat("c")
    assert h.sent(h.advance(0.9), "c") == []
    messages = h.sent(h.advance(0.1), "c")
    assert [m["action"] for m in messages] == ["chat_users_updated", "incoming_event"]
    assert messages[1]["payload"]["event"]["text"] == "Hi there"
    users = h.ok("c", "get_chats_summary")["chats_summary"][0]["users"]
    assert [u["type"] for u in users] == ["customer", "agent"]
    thread = h.ok(
        "c", "get_chat_threads", {"chat_id": chat["id"], "thread_ids": [chat["thread"]["id"]]}
    )
    assert AGENT.id in thread["chat"]["threads"][0]["user_ids"]


def test_agent_does_not_answer_into_a_closed_thread() -> None:
    h = _harness()
    chat = h.start_chat("c", "hi")
    h.ok("c", "close_thread", {"chat_id": chat["id"]})
    assert h.advance(10.0) == []
    assert h.core.agent is not None
    assert h.core.agent.pending == 0


def test_goodbye_matching_is_case_insensitive_and_word_based() -> None:
    h = _harness()
    chat = h.start_chat("c", "GOODBYE")
    closed = [m for m in h.sent(h.advance(3.0), "c") if m["action"] == "thread_closed"]
    assert len(closed) == 1
    h.ok("c", "send_event", {"chat_id": chat["id"], "event": {"type": "message", "text": "abyss"}})
    assert not [m for m in h.sent(h.advance(3.0), "c") if m["action"] == "thread_closed"]


def test_agent_can_be_off_and_sneak_peeks_are_queryable() -> None:
    h = Harness(ServerConfig(agent=None))
    _, token = h.customer()
    h.connect("c", token)
    chat = h.start_chat("c", "hi")
    h.ok("c", "send_sneak_peek", {"chat_id": chat["id"], "sneak_peek_text": "hel"})
    assert h.core.agent is None
    assert [p.text for p in h.core.sneak_peeks] == ["hel"]
    assert h.core.next_deadline() == 60.0  # only the idle timeout


def test_agent_config_validation() -> None:
    with pytest.raises(ValueError, match="typing_delay"):
        AgentConfig(typing_delay=3.0, reply_delay=1.0)
    with pytest.raises(ValueError, match="join_delay"):
        AgentConfig(join_delay=-1)
    with pytest.raises(ValueError, match="id"):
        AgentConfig(id="")

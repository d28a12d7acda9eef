"""Issue 13 in the v3 dialect: a wrong-typed timestamp is malformed data wherever the client
parses one (users' ``events_seen_up_to`` even though dropped, the typing indicator's seconds),
and chat summaries sort by one key (last event, else ``last_thread_created_at``)."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol import RemoteProtocolError, UserIsTyping
from customer_protocol.dialects import v3_objects as v3
from customer_protocol.dialects import v3_results as r
from customer_protocol.dialects.v3_pushes import push_events

from . import samples as s

WRONG: list[Any] = [1709287200, "yesterday", True, {}, [s.T0]]


@pytest.mark.parametrize("wrong", WRONG, ids=repr)
@pytest.mark.parametrize("make", [s.customer, s.agent], ids=["customer", "agent"])
def test_a_users_wrong_typed_events_seen_up_to_is_malformed(make: Any, wrong: Any) -> None:
    with pytest.raises(RemoteProtocolError, match="events_seen_up_to"):
        v3.parse_user(make(events_seen_up_to=wrong))
    with pytest.raises(RemoteProtocolError):
        push_events("incoming_chat", {"chat": s.chat(users=[make(events_seen_up_to=wrong)])})
    assert v3.parse_user(make(events_seen_up_to=None)).id
    assert v3.parse_user({"id": "x", "type": "bot", "events_seen_up_to": s.T0}).type == "bot"
    with pytest.raises(RemoteProtocolError):
        v3.parse_user({"id": "x", "type": "bot", "events_seen_up_to": wrong})


def typing(**indicator: Any) -> dict[str, Any]:
    base = {"author_id": "a", "recipients": "all", "timestamp": 1709287200, "is_typing": True}
    return {"chat_id": "C", "typing_indicator": {**base, **indicator}}


@pytest.mark.parametrize("wrong", ["1709287200", s.T0, True, {}, []], ids=repr)
def test_a_typing_indicators_wrong_typed_timestamp_is_malformed(wrong: Any) -> None:
    assert push_events("incoming_typing_indicator", typing()) == (UserIsTyping(chat="C", user="a"),)
    indicator = typing()
    del indicator["typing_indicator"]["timestamp"]
    assert push_events("incoming_typing_indicator", indicator)
    with pytest.raises(RemoteProtocolError, match="timestamp"):
        push_events("incoming_typing_indicator", typing(timestamp=wrong))


def test_chat_summaries_sort_by_one_key_a_chat_without_events_is_not_last() -> None:
    old, _ = v3.parse_chat_summary(s.chat_summary("OLD"))  # last event at T2
    raw = s.chat_summary("EMPTY-NEW", last_thread_created_at=s.T3)
    del raw["last_event_per_type"]
    empty_new, _ = v3.parse_chat_summary(raw)
    result = r.chats_summary([old, empty_new], total_chats=2)
    assert [c.id for c in result.chats_summary] == ["EMPTY-NEW", "OLD"]
    assert result.chats_summary[0].order == s.T3_MS

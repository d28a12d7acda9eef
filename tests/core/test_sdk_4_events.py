"""sdk.md section 4: every push maps to its events, in the table's order, with its payload."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from customer_protocol import (
    EVENT_NAMES,
    Agent,
    ChatPropertiesUpdated,
    ChatThreadPropertiesUpdated,
    Connected,
    ConnectionLost,
    Customer,
    CustomerId,
    Disconnected,
    LastSeenTimestampUpdated,
    MessageEvent,
    NewEvent,
    Push,
    ThreadClosed,
    ThreadSummaryEvent,
    UserData,
    UserIsTyping,
    UserJoinedChat,
    UserLeftChat,
    UserStoppedTyping,
)

from .harness import Harness, chat, events, message, names, thread, user


def ready() -> Harness:
    h = Harness()
    h.connect()
    return h


def peek_sent(h: Harness, chat_id: str = "c1") -> bool:
    h.advance(10)
    h.client.set_sneak_peek(chat_id, "typing", h.now)
    return any(s.action == "send_sneak_peek" for s in h.sent(h.drain()))


def test_incoming_event_emits_new_event() -> None:
    h = ready()
    out = h.push("incoming_event", {"chat_id": "c1", "thread_id": "t1", "event": message("e1", 1)})
    assert len(out) == 1
    new = out[0]
    assert isinstance(new, NewEvent)
    assert new.chat == "c1"
    assert isinstance(new.event, MessageEvent)
    assert (new.event.id, new.event.thread, new.event.author, new.event.timestamp) == (
        "e1",
        "t1",
        "agent1",
        1_001_000,
    )


def test_incoming_chat_thread_emits_user_data_thread_summary_then_new_events_by_order() -> None:
    h = ready()
    h.push("thread_closed", {"chat_id": "c1", "thread_id": "t0"})
    events_ = [message("e3", 3, timestamp=5), message("e1", 1, timestamp=5), message("e2", 2)]
    out = h.push("incoming_chat_thread", {"chat": chat("c1", thread("t1", 4, events_))})
    assert names(out) == [
        "user_data",
        "user_data",
        "thread_summary",
        "new_event",
        "new_event",
        "new_event",
    ]
    assert [e.user.id for e in out[:2]] == ["cust", "agent1"]
    assert out[2] == ThreadSummaryEvent(id="t1", chat="c1", order=4, total_events=3)
    assert [e.event.id for e in out[3:]] == ["e1", "e2", "e3"]
    assert all(e.chat == "c1" for e in out[3:])
    assert peek_sent(h)  # the chat is active again


@pytest.mark.parametrize(("typing", "cls"), [(True, UserIsTyping), (False, UserStoppedTyping)])
def test_typing_indicator_emits_user_is_typing_or_user_stopped_typing(
    typing: bool, cls: type
) -> None:
    h = ready()
    indicator = {"author_id": "agent1", "timestamp": 3, "is_typing": typing}
    out = h.push("incoming_typing_indicator", {"chat_id": "c1", "typing_indicator": indicator})
    assert out == [cls(chat="c1", user="agent1")]


def test_chat_users_updated_emits_user_data_then_joined_then_left() -> None:
    h = ready()
    payload = {
        "chat_id": "c1",
        "updated_users": {
            "added": [user("a2"), user("c9", "customer", name="Bob")],
            "removed_ids": ["a1", "a3"],
        },
    }
    out = h.push("chat_users_updated", payload)
    assert names(out) == [
        "user_data",
        "user_data",
        "user_joined_chat",
        "user_joined_chat",
        "user_left_chat",
        "user_left_chat",
    ]
    assert isinstance(out[0].user, Agent) and isinstance(out[1].user, Customer)
    assert out[2:] == [
        UserJoinedChat(user="a2", chat="c1"),
        UserJoinedChat(user="c9", chat="c1"),
        UserLeftChat(user="a1", chat="c1"),
        UserLeftChat(user="a3", chat="c1"),
    ]


def test_chat_users_updated_with_nothing_removed() -> None:
    h = ready()
    out = h.push("chat_users_updated", {"chat_id": "c1", "updated_users": {"added": []}})
    assert out == []


def test_thread_closed_emits_thread_closed_and_marks_the_chat_inactive() -> None:
    h = ready()
    assert peek_sent(h)
    out = h.push("thread_closed", {"chat_id": "c1", "thread_id": "t1", "user_id": "agent1"})
    assert out == [ThreadClosed(chat="c1")]
    assert not peek_sent(h)
    assert peek_sent(h, "c2")  # other chats are unaffected


def test_last_seen_timestamp_updated_in_ms() -> None:
    h = ready()
    out = h.push("last_seen_timestamp_updated", {"user_id": "u", "chat_id": "c1", "timestamp": 7})
    assert out == [LastSeenTimestampUpdated(chat="c1", user="u", timestamp=7000)]


def test_chat_properties_updated() -> None:
    h = ready()
    props = {"ns": {"k": {"value": 1}}}
    out = h.push("chat_properties_updated", {"chat_id": "c1", "properties": props})
    assert out == [ChatPropertiesUpdated(chat="c1", properties=props)]


def test_chat_thread_properties_updated() -> None:
    h = ready()
    props = {"rating": {"score": {"value": 1}}}
    payload = {"chat_id": "c1", "thread_id": "t1", "properties": props}
    out = h.push("chat_thread_properties_updated", payload)
    assert out == [ChatThreadPropertiesUpdated(chat="c1", thread="t1", properties=props)]


def test_customer_disconnected_emits_disconnected() -> None:
    h = ready()
    out = h.push("customer_disconnected", {"reason": "internal_error"})
    assert events(out)[0] == Disconnected(reason="internal_error")


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("chat_scopes_updated", {"chat_id": "c1", "scopes_added": {}, "scopes_removed": {}}),
        ("customer_updated", {"chat_id": "c1", "customer": {"id": "cust"}}),
        ("something_new", {"x": [1, {"y": None}]}),
        ("empty_payload", {}),
    ],
)
def test_any_other_push_is_an_event_named_after_the_action_with_the_raw_payload(
    action: str, payload: dict[str, Any]
) -> None:
    h = ready()
    assert h.push(action, payload) == [Push(name=action, payload=payload)]


def test_connection_events_have_the_documented_payloads() -> None:
    h = ready()
    connected = next(e for e in h.log if isinstance(e, Connected))
    assert (connected.chats_summary, connected.total_chats) == ((), 0)
    customer_id = next(e for e in h.log if isinstance(e, CustomerId))
    assert customer_id.id == "cust"
    out = h.drop()
    assert out == [ConnectionLost()]
    assert [f.name for f in dataclasses.fields(ConnectionLost)] == []


def test_event_names_are_the_seeds() -> None:
    assert {
        "connected",
        "connection_restored",
        "connection_lost",
        "customer_id",
        "disconnected",
        "new_event",
        "user_data",
        "user_joined_chat",
        "user_left_chat",
        "user_is_typing",
        "user_stopped_typing",
        "thread_closed",
        "thread_summary",
        "last_seen_timestamp_updated",
        "chat_properties_updated",
        "chat_thread_properties_updated",
    } <= EVENT_NAMES


def test_events_are_frozen_slotted_and_keyword_only() -> None:
    event = UserData(user=Agent(id="a"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.user = Agent(id="b")  # type: ignore[misc]
    with pytest.raises(TypeError):
        UserData(Agent(id="a"))  # type: ignore[misc]
    assert not hasattr(event, "__dict__")


def test_own_start_chat_incoming_chat_thread_is_not_reemitted_but_others_are() -> None:
    h = ready()
    _, out = h.call("start_chat")
    sent = h.one(out)
    payload = {"chat": chat("c1", thread("t1", 1, [message("e1", 1)]))}
    mine = h.push("incoming_chat_thread", payload, request_id=sent.request_id)
    other = h.push("incoming_chat_thread", payload)
    assert "new_event" not in names(mine)
    assert names(other).count("new_event") == 1

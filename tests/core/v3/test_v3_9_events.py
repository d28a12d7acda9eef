"""v3.md section 9: v3 pushes become the seed's events where the concept exists, and events
named after the push otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol import (
    Agent,
    ChatPropertiesUpdated,
    ChatThreadPropertiesUpdated,
    Customer,
    LastSeenTimestampUpdated,
    MessageEvent,
    NewEvent,
    Push,
    RemoteProtocolError,
    ThreadClosed,
    ThreadSummaryEvent,
    UserData,
    UserIsTyping,
    UserJoinedChat,
    UserLeftChat,
    UserStoppedTyping,
)
from customer_protocol import events as ev
from customer_protocol.dialects.v3_pushes import (
    LIFECYCLE_PUSHES,
    PUSHES_3_5,
    PUSHES_3_6,
    map_push,
    parse_incoming_chat,
    push_events,
    pushes_for,
    thread_opened_events,
)
from customer_protocol.dialects.v3_results import Queue
from customer_protocol.dispatch import ChatTracker

from . import samples as s


def one(action: str, payload: dict[str, Any]) -> Any:
    events = push_events(action, payload)
    assert len(events) == 1
    return events[0]


# --------------------------------------------------------------------------------------------
# Pushes of the seed's concepts


def test_incoming_chat_user_data_thread_summary_then_new_events_in_array_order() -> None:
    raw = s.chat()
    raw["thread"]["events"] = [s.message("TH1_9", s.T2), s.message("TH1_1", s.T1)]
    events = push_events("incoming_chat", {"requester_id": s.AGENT_ID, "chat": raw})
    assert [e.name for e in events] == [
        "user_data",
        "user_data",
        "thread_summary",
        "new_event",
        "new_event",
    ]
    assert isinstance(events[0], UserData) and isinstance(events[0].user, Customer)
    assert isinstance(events[1], UserData) and isinstance(events[1].user, Agent)
    assert events[2] == ThreadSummaryEvent(id="TH1", chat="CH1", order=s.T0_MS, total_events=2)
    news = events[3:]
    assert all(isinstance(e, NewEvent) and e.chat == "CH1" for e in news)
    assert [e.event.id for e in news] == ["TH1_9", "TH1_1"]  # type: ignore[union-attr]


def test_parse_incoming_chat_and_thread_opened_events() -> None:
    parsed = parse_incoming_chat({"chat": s.chat()})
    assert parsed.chat.id == "CH1" and parsed.thread.active is True
    opened = thread_opened_events(parsed)
    assert [e.name for e in opened] == ["user_data", "user_data", "thread_summary"]
    raw = s.chat()
    del raw["thread"]
    with pytest.raises(RemoteProtocolError, match=r"chat\.thread"):
        push_events("incoming_chat", {"chat": raw})


def test_incoming_event_is_new_event() -> None:
    event = one(
        "incoming_event", {"chat_id": "CH1", "thread_id": "TH1", "event": s.message("TH1_3")}
    )
    assert isinstance(event, NewEvent) and event.chat == "CH1"
    assert isinstance(event.event, MessageEvent) and event.event.thread == "TH1"


def test_typing_indicator() -> None:
    indicator = {"author_id": s.AGENT_ID, "recipients": "all", "timestamp": 1, "is_typing": True}
    payload = {"chat_id": "CH1", "thread_id": "TH1", "typing_indicator": indicator}
    assert one("incoming_typing_indicator", payload) == UserIsTyping(chat="CH1", user=s.AGENT_ID)
    indicator["is_typing"] = False
    assert one("incoming_typing_indicator", payload) == UserStoppedTyping(
        chat="CH1", user=s.AGENT_ID
    )


def test_user_added_and_removed() -> None:
    added = push_events(
        "user_added_to_chat",
        {"chat_id": "CH1", "thread_id": "TH1", "user": s.agent(), "reason": "manual"},
    )
    assert [e.name for e in added] == ["user_data", "user_joined_chat"]
    assert added[1] == UserJoinedChat(user=s.AGENT_ID, chat="CH1")
    removed = one(
        "user_removed_from_chat", {"chat_id": "CH1", "user_id": s.AGENT_ID, "reason": "manual"}
    )
    assert removed == UserLeftChat(user=s.AGENT_ID, chat="CH1")


def test_chat_deactivated_is_thread_closed() -> None:
    payload = {"chat_id": "CH1", "thread_id": "TH1", "user_id": s.CUSTOMER_ID}
    assert one("chat_deactivated", payload) == ThreadClosed(chat="CH1")


def test_events_marked_as_seen_is_last_seen_timestamp_in_ms() -> None:
    payload = {"user_id": s.CUSTOMER_ID, "chat_id": "CH1", "seen_up_to": s.T1}
    assert one("events_marked_as_seen", payload) == LastSeenTimestampUpdated(
        chat="CH1", user=s.CUSTOMER_ID, timestamp=s.T1_MS
    )


def test_properties_updated_keep_the_seed_names() -> None:
    props = {"ns": {"a": 1}}
    assert one("chat_properties_updated", {"chat_id": "CH1", "properties": props}) == (
        ChatPropertiesUpdated(chat="CH1", properties=props)
    )
    assert one(
        "thread_properties_updated", {"chat_id": "CH1", "thread_id": "TH1", "properties": props}
    ) == ChatThreadPropertiesUpdated(chat="CH1", thread="TH1", properties=props)


def test_unknown_push_is_forwarded_raw() -> None:
    assert one("customer_page_updated", {"url": "u"}) == Push(
        name="customer_page_updated", payload={"url": "u"}
    )


def test_customer_disconnected_is_lifecycle_not_mapped_here() -> None:
    assert "customer_disconnected" in LIFECYCLE_PUSHES
    assert one("customer_disconnected", {"reason": "x"}) == Push(
        name="customer_disconnected", payload={"reason": "x"}
    )


# --------------------------------------------------------------------------------------------
# Pushes named after themselves


def test_properties_deleted() -> None:
    deleted = {"ns": ["a", "b"]}
    assert one("chat_properties_deleted", {"chat_id": "CH1", "properties": deleted}) == (
        ev.ChatPropertiesDeleted(chat="CH1", properties={"ns": ("a", "b")})
    )
    assert one(
        "thread_properties_deleted", {"chat_id": "CH1", "thread_id": "TH1", "properties": deleted}
    ) == ev.ThreadPropertiesDeleted(chat="CH1", thread="TH1", properties={"ns": ("a", "b")})
    ids = {"chat_id": "CH1", "thread_id": "TH1", "event_id": "E1"}
    assert one("event_properties_deleted", {**ids, "properties": deleted}) == (
        ev.EventPropertiesDeleted(
            chat="CH1", thread="TH1", event="E1", properties={"ns": ("a", "b")}
        )
    )
    assert one("event_properties_updated", {**ids, "properties": {"ns": {"a": 2}}}) == (
        ev.EventPropertiesUpdated(chat="CH1", thread="TH1", event="E1", properties={"ns": {"a": 2}})
    )


def test_event_updated_deleted_and_preview() -> None:
    updated = one(
        "event_updated", {"chat_id": "CH1", "thread_id": "TH1", "event": s.message("TH1_1")}
    )
    assert isinstance(updated, ev.EventUpdated) and updated.event.id == "TH1_1"
    assert updated.event.thread == "TH1"
    assert one(
        "event_deleted", {"chat_id": "CH1", "thread_id": "TH1", "event_id": "TH1_4"}
    ) == ev.EventDeleted(chat="CH1", thread="TH1", event="TH1_4")
    preview_event = s.message()
    del preview_event["id"]
    preview = one(
        "incoming_event_preview", {"chat_id": "CH1", "thread_id": "TH1", "event": preview_event}
    )
    assert isinstance(preview, ev.IncomingEventPreview)
    assert preview.event.id == "" and preview.event.text == "hello"  # type: ignore[attr-defined]


def test_rich_message_postback() -> None:
    payload = {
        "user_id": s.CUSTOMER_ID,
        "chat_id": "CH1",
        "thread_id": "TH1",
        "event_id": "rm-1",
        "postback": {
            "id": "yes",
            "toggled": True,
            "button_type": "url",
            "button_value": "https://a.test",
            "ecommerce": {"product_id": "p"},
        },
    }
    assert one("incoming_rich_message_postback", payload) == ev.IncomingRichMessagePostback(
        chat="CH1",
        thread="TH1",
        event="rm-1",
        user=s.CUSTOMER_ID,
        postback_id="yes",
        toggled=True,
        button_type="url",
        button_value="https://a.test",
        ecommerce={"product_id": "p"},
    )
    payload["postback"] = {"id": "no", "toggled": False}
    bare = one("incoming_rich_message_postback", payload)
    assert bare.ecommerce is None and bare.button_type is None


def test_chat_transferred_and_queue_position() -> None:
    transferred = one(
        "chat_transferred",
        {
            "chat_id": "CH1",
            "thread_id": "TH1",
            "requester_id": s.AGENT_ID,
            "transferred_to": {"group_ids": [1], "agent_ids": [s.AGENT_ID]},
            "queue": {"position": 42, "wait_time": 1337, "queued_at": s.T0},
        },
    )
    assert transferred == ev.ChatTransferred(
        chat="CH1",
        thread="TH1",
        requester=s.AGENT_ID,
        group_ids=(1,),
        agent_ids=(s.AGENT_ID,),
        queue=Queue(position=42, wait_time=1337, queued_at=s.T0_MS),
    )
    assert one("chat_transferred", {"chat_id": "CH1"}) == ev.ChatTransferred(chat="CH1")
    queued = one(
        "queue_position_updated",
        {"chat_id": "CH1", "thread_id": "TH1", "queue": {"position": 3, "wait_time": 60}},
    )
    assert queued == ev.QueuePositionUpdated(
        chat="CH1", thread="TH1", queue=Queue(position=3, wait_time=60)
    )


def test_customer_updated_and_side_storage() -> None:
    updated = one(
        "customer_updated",
        {
            "id": s.CUSTOMER_ID,
            "type": "customer",
            "name": "Ann B",
            "session_fields": [{"k": "v"}],
            "phone_number": "+1",
        },
    )
    assert updated == ev.CustomerUpdated(
        id=s.CUSTOMER_ID, customer_name="Ann B", fields={"k": "v"}, extra={"phone_number": "+1"}
    )
    assert one("customer_updated", {"email": "a@x"}) == ev.CustomerUpdated(email="a@x")
    storage = {"customer_side_storage": {"visits": "1"}}
    assert one("customer_side_storage_updated", storage) == ev.CustomerSideStorageUpdated(
        customer_side_storage={"visits": "1"}
    )


def test_groups_status_updated() -> None:
    payload = {"groups": [{"id": 0, "status": "offline"}, {"id": 2, "status": "online"}]}
    assert one("groups_status_updated", payload) == ev.GroupsStatusUpdated(
        groups={0: "offline", 2: "online"}
    )


def test_greetings() -> None:
    greeting = one(
        "incoming_greeting",
        {
            "id": 7,
            "unique_id": "Q10",
            "displayed_first_time": True,
            "addon": "email",
            "subtype": "announcement",
            "is_exit_intent": False,
            "event": {"type": "message", "text": "Hi!", "created_at": s.T0},
            "agent": {"id": s.AGENT_ID, "name": "Bob", "job_title": "x", "is_bot": False},
            "future_field": 1,
        },
    )
    assert isinstance(greeting, ev.IncomingGreeting)
    g = greeting.greeting
    assert (g.id, g.unique_id, g.displayed_first_time, g.addon, g.subtype) == (
        7,
        "Q10",
        True,
        "email",
        "announcement",
    )
    assert g.is_exit_intent is False and g.accepted is None
    assert isinstance(g.event, MessageEvent) and g.event.id == "" and g.event.text == "Hi!"
    assert g.agent is not None and g.agent.name == "Bob" and g.extra == {"future_field": 1}
    bare = one("incoming_greeting", {"id": 1, "unique_id": "u", "event": s.message()})
    assert bare.greeting.agent is None
    assert one("greeting_accepted", {"unique_id": "Q10"}) == ev.GreetingAccepted(unique_id="Q10")
    assert one("greeting_canceled", {"unique_id": "Q10"}) == ev.GreetingCanceled(unique_id="Q10")


def test_multicast_thinking_and_welcome() -> None:
    assert one("incoming_multicast", {"content": {"a": 1}}) == ev.IncomingMulticast(
        author=None, content={"a": 1}
    )
    assert one("incoming_multicast", {"author_id": "x", "content": None}).author == "x"
    thinking = one(
        "incoming_thinking_indicator",
        {
            "chat_id": "CH1",
            "thread_id": "TH1",
            "author_id": s.AGENT_ID,
            "sent_at": s.T1,
            "title": "Thinking...",
            "description": "Looking it up",
            "custom_id": "c1",
        },
    )
    assert thinking == ev.IncomingThinkingIndicator(
        chat="CH1",
        thread="TH1",
        author=s.AGENT_ID,
        sent_at=s.T1_MS,
        title="Thinking...",
        description="Looking it up",
        custom_id="c1",
    )
    welcome = one(
        "incoming_welcome_message",
        {"id": "w1", "event": {"type": "message", "text": "Welcome", "author_id": s.AGENT_ID}},
    )
    assert isinstance(welcome, ev.IncomingWelcomeMessage) and welcome.id == "w1"
    assert welcome.event.author == s.AGENT_ID and welcome.event.id == ""


def test_every_new_event_is_named_after_its_push() -> None:
    assert ev.V3_EVENT_NAMES <= PUSHES_3_6
    assert len(ev.V3_EVENT_NAMES) == 19


# --------------------------------------------------------------------------------------------
# Malformed pushes


@pytest.mark.parametrize(
    ("action", "payload", "match"),
    [
        ("incoming_event", [], r"payload must be an object"),
        ("incoming_event", {"thread_id": "T", "event": s.message()}, r"payload\.chat_id"),
        ("incoming_event", {"chat_id": "C", "event": s.message()}, r"payload\.thread_id"),
        ("incoming_event", {"chat_id": "C", "thread_id": "T", "event": 1}, r"event must be"),
        ("incoming_chat", {}, r"chat must be an object"),
        ("incoming_typing_indicator", {"chat_id": "C"}, r"typing_indicator must be an object"),
        (
            "incoming_typing_indicator",
            {"chat_id": "C", "typing_indicator": {"author_id": "a", "is_typing": 1}},
            r"is_typing must be a boolean",
        ),
        ("user_added_to_chat", {"chat_id": "C", "user": {"id": "x"}}, r"payload\.user\.type"),
        ("user_removed_from_chat", {"chat_id": "C"}, r"payload\.user_id"),
        ("chat_deactivated", {}, r"payload\.chat_id"),
        ("events_marked_as_seen", {"chat_id": "C", "user_id": "u"}, r"seen_up_to"),
        (
            "events_marked_as_seen",
            {"chat_id": "C", "user_id": "u", "seen_up_to": 1},
            r"seen_up_to must be an RFC 3339",
        ),
        ("chat_properties_updated", {"chat_id": "C", "properties": []}, r"payload\.properties"),
        (
            "chat_properties_deleted",
            {"chat_id": "C", "properties": {"ns": "a"}},
            r"namespaces to name arrays",
        ),
        (
            "chat_properties_deleted",
            {"chat_id": "C", "properties": {"ns": [1]}},
            r"namespaces to name arrays",
        ),
        ("event_deleted", {"chat_id": "C", "thread_id": "T"}, r"payload\.event_id"),
        (
            "incoming_rich_message_postback",
            {"chat_id": "C", "thread_id": "T", "event_id": "E", "postback": {"id": "x"}},
            r"toggled must be a boolean",
        ),
        (
            "incoming_rich_message_postback",
            {"chat_id": "C", "thread_id": "T", "event_id": "E"},
            r"payload\.postback must be an object",
        ),
        (
            "incoming_rich_message_postback",
            {
                "chat_id": "C",
                "thread_id": "T",
                "event_id": "E",
                "postback": {"id": "x", "toggled": True, "ecommerce": "p"},
            },
            r"ecommerce must be an object",
        ),
        ("chat_transferred", {"chat_id": "C", "transferred_to": 1}, r"transferred_to must be"),
        (
            "chat_transferred",
            {"chat_id": "C", "transferred_to": {"group_ids": ["1"]}},
            r"group_ids must be integers",
        ),
        (
            "chat_transferred",
            {"chat_id": "C", "transferred_to": {"agent_ids": [1]}},
            r"agent_ids must be strings",
        ),
        ("chat_transferred", {"chat_id": "C", "queue": {}}, r"queue\.position"),
        ("queue_position_updated", {"chat_id": "C"}, r"payload\.queue must be an object"),
        (
            "queue_position_updated",
            {"chat_id": "C", "queue": {"position": 1, "wait_time": -1}},
            r"wait_time must be a non-negative",
        ),
        (
            "queue_position_updated",
            {"chat_id": "C", "queue": {"position": 1, "queued_at": 5}},
            r"queued_at must be an RFC 3339",
        ),
        ("customer_updated", {"name": 1}, r"payload\.name"),
        ("customer_updated", {"session_fields": {}}, r"session_fields must be an array"),
        ("customer_side_storage_updated", {}, r"customer_side_storage must be an object"),
        ("groups_status_updated", {"groups": {}}, r"payload\.groups must be an array"),
        ("groups_status_updated", {"groups": [{"id": 1}]}, r"groups\[\]\.status"),
        ("groups_status_updated", {"groups": [{"status": "x"}]}, r"groups\[\]\.id"),
        ("incoming_multicast", {"author_id": "x"}, r"payload\.content is missing"),
        ("incoming_thinking_indicator", {"chat_id": "C"}, r"payload\.author_id"),
        ("incoming_greeting", {"unique_id": "u", "event": {}}, r"payload\.id must be an integer"),
        ("incoming_greeting", {"id": 1, "event": s.message()}, r"payload\.unique_id"),
        ("incoming_greeting", {"id": 1, "unique_id": "u"}, r"payload\.event must be an object"),
        (
            "incoming_greeting",
            {"id": 1, "unique_id": "u", "event": s.message(), "accepted": "y"},
            r"payload\.accepted must be a boolean",
        ),
        (
            "incoming_greeting",
            {"id": 1, "unique_id": "u", "event": s.message(), "agent": {"name": "x"}},
            r"payload\.agent\.id",
        ),
        ("greeting_accepted", {}, r"payload\.unique_id"),
        ("greeting_canceled", {"unique_id": 1}, r"payload\.unique_id"),
        ("incoming_welcome_message", {"id": "w"}, r"event must be an object"),
        ("incoming_welcome_message", {"event": s.message()}, r"payload\.id"),
    ],
)
def test_malformed_push_is_a_protocol_error(action: str, payload: Any, match: str) -> None:
    with pytest.raises(RemoteProtocolError, match=match):
        push_events(action, payload)


# --------------------------------------------------------------------------------------------
# The pushes asked for at login


def test_pushes_per_version() -> None:
    assert pushes_for("3.6") == PUSHES_3_6 and pushes_for("3.5") == PUSHES_3_5
    only_3_6 = {
        "incoming_event_preview",
        "event_deleted",
        "incoming_thinking_indicator",
        "incoming_welcome_message",
    }
    assert only_3_6 == PUSHES_3_6 - PUSHES_3_5
    assert "customer_disconnected" in PUSHES_3_5
    assert len(PUSHES_3_6) == 29  # every push of the v3.6 reference
    with pytest.raises(ValueError, match=r"unsupported v3 version '0\.3'"):
        pushes_for("0.3")


# --------------------------------------------------------------------------------------------
# map_push: the same events, and chat activity in the tracker


def test_map_push_incoming_chat_tracks_the_new_thread_and_its_activity() -> None:
    tracker = ChatTracker()
    raw = s.chat()
    raw["thread"]["active"] = False
    events = map_push("incoming_chat", {"chat": raw}, tracker)
    assert events == list(push_events("incoming_chat", {"chat": raw}))
    assert tracker.newest_thread("CH1") == "TH1" and tracker.is_inactive("CH1")
    raw = s.chat(thread=s.thread("TH2", s.T3))
    map_push("incoming_chat", {"chat": raw}, tracker)
    assert tracker.newest_thread("CH1") == "TH2" and not tracker.is_inactive("CH1")


def test_map_push_chat_deactivated_marks_the_chat_inactive() -> None:
    tracker = ChatTracker()
    events = map_push("chat_deactivated", {"chat_id": "CH1", "thread_id": "TH1"}, tracker)
    assert events == [ThreadClosed(chat="CH1")] and tracker.is_inactive("CH1")
    map_push("incoming_event", {"chat_id": "CH2", "thread_id": "T", "event": s.message()}, tracker)
    assert not tracker.is_inactive("CH2")


def test_map_push_changes_nothing_when_the_push_is_malformed() -> None:
    tracker = ChatTracker()
    raw = s.chat()
    raw["thread"]["events"] = [{"id": 1}]
    with pytest.raises(RemoteProtocolError):
        map_push("incoming_chat", {"chat": raw}, tracker)
    with pytest.raises(RemoteProtocolError):
        map_push("incoming_chat", [], tracker)  # type: ignore[arg-type]
    assert tracker.newest_thread("CH1") is None and not tracker.is_inactive("CH1")

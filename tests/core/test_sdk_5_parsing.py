"""sdk.md section 5: parsing server objects into client shapes; malformed data is reported and
dropped without touching state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_protocol import (
    Agent,
    AnnotationEvent,
    CloseTransport,
    Customer,
    CustomEvent,
    ErrorCode,
    FileEvent,
    FilledFormEvent,
    MessageEvent,
    Phase,
    ProtocolErrorReport,
    RemoteProtocolError,
    SystemMessageEvent,
    UnknownEvent,
    User,
)
from customer_protocol.models import (
    parse_chat,
    parse_chats_summary,
    parse_event,
    parse_events,
    parse_thread,
    parse_thread_summary,
    parse_threads_summary,
    parse_user,
    parse_users,
    to_ms,
)

from .harness import Harness, chat, error, message, names, of, thread, value

# --------------------------------------------------------------------------------------------
# Events


def test_event_common_fields() -> None:
    event = parse_event(
        {
            "id": "e1",
            "order": 9,
            "type": "message",
            "author_id": "a",
            "timestamp": 12,
            "custom_id": "c",
            "properties": {"p": {"v": {"value": 1}}},
            "text": "hi",
        },
        thread="t1",
    )
    assert isinstance(event, MessageEvent)
    assert (event.id, event.author, event.timestamp, event.thread, event.custom_id) == (
        "e1",
        "a",
        12000,
        "t1",
        "c",
    )
    assert event.type == "message" and event.text == "hi"
    assert event.properties == {"p": {"v": {"value": 1}}}
    assert not hasattr(event, "order")
    assert event.extra == {}


def test_event_without_timestamp_is_none_and_thread_from_the_event() -> None:
    event = parse_event({"id": "e", "order": 1, "type": "message", "text": "", "thread_id": "t"})
    assert event.timestamp is None and event.thread == "t" and event.author is None


def test_float_timestamps_become_whole_milliseconds() -> None:
    assert to_ms(1.5) == 1500
    assert to_ms(float("inf")) is None
    assert to_ms(True) is None
    assert to_ms("1") is None


def test_file_event_keeps_url_content_type_name_size_and_both_dimensions() -> None:
    raw = {
        "id": "f",
        "order": 1,
        "type": "file",
        "author_id": "a",
        "timestamp": 1,
        "url": "https://x/f.png",
        "content_type": "image/png",
        "name": "f.png",
        "size": 10,
        "width": 3,
        "height": 4,
    }
    event = parse_event(raw)
    assert isinstance(event, FileEvent)
    assert (event.url, event.content_type, event.name, event.size) == (
        "https://x/f.png",
        "image/png",
        "f.png",
        10,
    )
    assert (event.width, event.height) == (3, 4)


def test_file_event_drops_width_and_height_unless_both_are_present() -> None:
    event = parse_event({"id": "f", "order": 1, "type": "file", "url": "u", "width": 3})
    assert isinstance(event, FileEvent)
    assert (event.width, event.height) == (None, None)


def test_other_event_types_keep_their_fields() -> None:
    annotation = parse_event(
        {"id": "a", "order": 1, "type": "annotation", "text": "t", "annotation_type": "rating"}
    )
    assert isinstance(annotation, AnnotationEvent)
    assert (annotation.text, annotation.annotation_type) == ("t", "rating")
    fields = [{"type": "text", "name": "n", "label": "L", "required": True, "value": "v"}]
    form = parse_event({"id": "f", "order": 2, "type": "filled_form", "fields": fields})
    assert isinstance(form, FilledFormEvent) and form.fields == tuple(fields)
    custom = parse_event({"id": "c", "order": 3, "type": "custom", "content": [1, "x"]})
    assert isinstance(custom, CustomEvent) and custom.content == [1, "x"]
    system = parse_event({"id": "s", "order": 4, "type": "system_message", "author_id": "x"})
    assert isinstance(system, SystemMessageEvent) and system.author is None
    unknown = parse_event({"id": "u", "order": 5, "type": "poll", "question": "?", "n": 2})
    assert isinstance(unknown, UnknownEvent)
    assert unknown.type == "poll" and unknown.extra == {"question": "?", "n": 2}


def test_unknown_fields_of_known_types_are_kept_in_extra() -> None:
    event = parse_event({"id": "e", "order": 1, "type": "message", "text": "x", "mood": "ok"})
    assert event.extra == {"mood": "ok"}


def test_events_sort_by_order_never_by_timestamp() -> None:
    events = parse_events(
        [
            message("late", 3, timestamp=1),
            message("early", 1, timestamp=9),
            message("mid", 2, timestamp=9),
        ]
    )
    assert [e.id for e in events] == ["early", "mid", "late"]


# --------------------------------------------------------------------------------------------
# Users, threads, chats


def test_agent_user_shape_drops_present_and_last_seen() -> None:
    agent = parse_user(
        {
            "id": "a",
            "type": "agent",
            "name": "A",
            "email": "a@x",
            "avatar": "p.png",
            "present": True,
            "last_seen_timestamp": 5,
        }
    )
    assert agent == Agent(id="a", name="A", email="a@x", avatar="p.png")
    assert not hasattr(agent, "present")


def test_customer_user_shape_with_default_fields() -> None:
    customer = parse_user({"id": "c", "type": "customer", "present": False})
    assert customer == Customer(id="c", fields={})
    full = parse_user(
        {"id": "c", "type": "customer", "name": "N", "email": "e", "fields": {"a": "b"}}
    )
    assert full == Customer(id="c", name="N", email="e", fields={"a": "b"})


def test_user_of_an_unknown_type_is_kept() -> None:
    bot = parse_user({"id": "b", "type": "bot", "x": 1})
    assert type(bot) is User and bot.type == "bot" and bot.extra == {"type": "bot", "x": 1}


def test_thread_shape() -> None:
    raw = {"id": "t", "active": True, "order": 2, "user_ids": ["a"], "events": [message("e", 1)]}
    parsed = parse_thread(raw, chat="c")
    assert (parsed.id, parsed.chat, parsed.active, parsed.order, parsed.users) == (
        "t",
        "c",
        True,
        2,
        ("a",),
    )
    assert parsed.properties == {} and parsed.events[0].thread == "t"


def test_thread_summary_accepts_events_count_and_a_missing_count_is_zero() -> None:
    assert (
        parse_thread_summary({"id": "t", "order": 1, "events_count": 4}, chat="c").total_events == 4
    )
    assert parse_thread_summary({"id": "t", "order": 1}, chat="c").total_events == 0
    assert (
        parse_thread_summary({"id": "t", "order": 1, "total_events": None}, chat="c").total_events
        == 0
    )


def test_chat_shape() -> None:
    parsed = parse_chat(chat("c", thread("t", 1)))
    assert parsed.chat.id == "c" and parsed.chat.threads == ("t",)
    assert parsed.chat.users == ("cust", "agent1")


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (parse_event, "not an object"),
        (parse_event, {"order": 1, "type": "message", "text": ""}),
        (parse_event, {"id": 1, "order": 1, "type": "message", "text": ""}),
        (parse_event, {"id": "e", "type": "message", "text": ""}),
        (parse_event, {"id": "e", "order": "1", "type": "message", "text": ""}),
        (parse_event, {"id": "e", "order": True, "type": "message", "text": ""}),
        (parse_event, {"id": "e", "order": 1, "text": ""}),
        (parse_event, {"id": "e", "order": 1, "type": "message"}),
        (parse_event, {"id": "e", "order": 1, "type": "message", "text": "", "author_id": 3}),
        (parse_event, {"id": "e", "order": 1, "type": "message", "text": "", "custom_id": 3}),
        (parse_event, {"id": "e", "order": 1, "type": "message", "text": "", "properties": 3}),
        (parse_event, {"id": "e", "order": 1, "type": "file"}),
        (parse_event, {"id": "e", "order": 1, "type": "file", "url": "u", "size": "big"}),
        (parse_event, {"id": "e", "order": 1, "type": "filled_form", "fields": [1]}),
        (parse_event, {"id": "e", "order": 1, "type": "filled_form", "fields": {}}),
        (parse_event, {"id": "e", "order": 1, "type": "annotation", "text": 5}),
        (parse_user, {"id": "u"}),
        (parse_user, {"type": "agent"}),
        (parse_user, {"id": "u", "type": "agent", "name": 5}),
        (parse_user, {"id": "u", "type": "customer", "fields": []}),
        (parse_events, {"not": "a list"}),
        (parse_users, "nope"),
    ],
)
def test_malformed_objects_raise_remote_protocol_error(parse: Any, raw: Any) -> None:
    with pytest.raises(RemoteProtocolError):
        parse(raw)


@pytest.mark.parametrize(
    "raw",
    [
        {"id": "t", "order": 1, "events": []},
        {"id": "t", "active": "yes", "order": 1},
        {"id": "t", "active": True, "order": 1, "user_ids": [1]},
        {"id": "t", "active": True, "order": 1, "user_ids": "a"},
        {"id": "t", "active": True, "order": 1, "properties": []},
    ],
)
def test_malformed_threads_raise(raw: Any) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_thread(raw, chat="c")


@pytest.mark.parametrize(
    "payload",
    [
        {"threads_summary": "x"},
        {"threads_summary": [{"id": "t", "order": 1, "total_events": -1}]},
        {"threads_summary": [{"id": "t", "order": 1, "total_events": "3"}]},
        {"threads_summary": [], "total_threads": -1},
        {"threads_summary": [], "total_threads": True},
    ],
)
def test_malformed_threads_summaries_raise(payload: Any) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_threads_summary(payload, chat="c")


@pytest.mark.parametrize(
    "item",
    [
        "x",
        {"order": 1},
        {"id": "c", "order": "1"},
        {"id": "c", "last_event_per_type": []},
        {"id": "c", "last_event_per_type": {"thread_id": "t", "events": 5}},
        {"id": "c", "last_event_per_type": {"message": 5}},
        {"id": "c", "last_event_per_type": {"message": {"thread_id": "t", "event": 1}}},
        {"id": "c", "last_event_per_type": {"thread_id": 1, "events": []}},
        {"id": "c", "users": [{"id": "u"}]},
    ],
)
def test_malformed_chat_summaries_raise(item: Any) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_chats_summary({"chats_summary": [item], "total_chats": 1})


def test_malformed_chats_summary_total_raises() -> None:
    with pytest.raises(RemoteProtocolError):
        parse_chats_summary({"chats_summary": [], "total_chats": "1"})


# --------------------------------------------------------------------------------------------
# Malformed server data inside the client


def ready() -> Harness:
    h = Harness()
    h.connect()
    return h


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("incoming_event", {"chat_id": "c1", "thread_id": "t1"}),
        ("incoming_event", {"chat_id": 5, "thread_id": "t1", "event": message("e", 1)}),
        ("incoming_chat_thread", {"chat": {"id": "c1", "thread": {"id": "t"}}}),
        ("incoming_chat_thread", {"chat": "c1"}),
        ("incoming_typing_indicator", {"chat_id": "c1", "typing_indicator": {"author_id": "a"}}),
        ("incoming_typing_indicator", {"chat_id": "c1", "typing_indicator": []}),
        ("chat_users_updated", {"chat_id": "c1", "updated_users": {"added": "x"}}),
        ("chat_users_updated", {"chat_id": "c1", "updated_users": {"removed_ids": [1]}}),
        ("chat_users_updated", {"chat_id": "c1"}),
        ("thread_closed", {"thread_id": "t"}),
        ("last_seen_timestamp_updated", {"chat_id": "c1"}),
        ("chat_properties_updated", {"chat_id": "c1", "properties": []}),
        ("chat_thread_properties_updated", {"chat_id": "c1", "properties": {}}),
    ],
)
def test_malformed_push_is_reported_and_dropped_connection_goes_on(
    action: str, payload: dict[str, Any]
) -> None:
    h = ready()
    pending, out = h.call("get_chats_summary")
    sent = h.one(out)
    out = h.push(action, payload)
    assert len(out) == 1 and isinstance(out[0], ProtocolErrorReport)
    assert isinstance(out[0].error, RemoteProtocolError)
    assert h.client.phase is Phase.READY
    out = h.respond(sent, {"chats_summary": [], "total_chats": 0})
    assert value(out, pending).total_chats == 0  # other requests are unaffected


def test_malformed_thread_closed_leaves_the_chat_active() -> None:
    h = ready()
    h.push("thread_closed", {"chat_id": 5})
    h.client.set_sneak_peek(5 and "c1", "x", h.now)
    assert [s.action for s in h.sent(h.drain())] == ["send_sneak_peek"]


def test_malformed_incoming_chat_thread_leaves_the_chat_inactive() -> None:
    h = ready()
    h.push("thread_closed", {"chat_id": "c1"})
    bad = chat("c1", thread("t1", 1, [{"id": "e", "order": 1, "type": "message"}]))
    out = h.push("incoming_chat_thread", {"chat": bad})
    assert names(out) == ["error"]
    h.client.set_sneak_peek("c1", "x", h.now)
    assert h.sent(h.drain()) == []


def test_malformed_response_fails_only_its_request_and_is_reported() -> None:
    h = ready()
    bad, out1 = h.call("get_chat_threads_summary", "c1")
    good, out2 = h.call("get_chats_summary")
    out = h.respond(h.one(out1), {"threads_summary": "nope"})
    assert names(out) == ["error"]
    failure = error(out, bad)
    assert (failure.code, failure.type) == (ErrorCode.REQUEST_FAILED, "malformed_response")
    out = h.respond(h.one(out2), {"chats_summary": [], "total_chats": 0})
    assert value(out, good).total_chats == 0
    assert of(h.log, CloseTransport) == []


def test_malformed_push_for_an_indirect_request_fails_it() -> None:
    h = ready()
    call, out = h.call("send_message", "c1", "x")
    sent = h.one(out)
    out = h.push("incoming_event", {"chat_id": "c1"}, request_id=sent.request_id)
    assert names(out) == ["error"]
    assert error(out, call).type == "malformed_response"


def test_malformed_login_response_closes_and_reconnects() -> None:
    h = Harness()
    h.client.connect(h.now)
    h.drain()
    from .harness import TOKEN

    h.client.token_received(TOKEN, h.now)
    h.client.transport_opened(h.now)
    login = h.one(h.drain(), "login")
    out = h.respond(login, {"customer_id": 5})
    assert names(out) == ["error"]
    assert of(out, CloseTransport)
    assert h.client.phase is Phase.BACKOFF


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1, 2]",
        b'{"type": "push", "payload": {}}',
        b'{"action": "x", "type": "push", "payload": []}',
        b'{"action": "x", "type": "push", "request_id": 5}',
        b'{"action": "x", "type": "response", "success": true}',
        b'{"action": "x", "type": "response", "request_id": "1"}',
        b'{"action": "x", "type": "other"}',
        b"\xff\xfe",
        b'{"action": "x", "type": "push", "payload": {"n": NaN}}',
    ],
)
def test_malformed_messages_are_reported_and_change_nothing(data: bytes) -> None:
    h = ready()
    out = h.feed(data)
    assert len(out) == 1 and isinstance(out[0], ProtocolErrorReport)
    assert h.client.phase is Phase.READY


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
PUSH_ACTIONS = [
    "incoming_event",
    "incoming_chat_thread",
    "incoming_typing_indicator",
    "chat_users_updated",
    "thread_closed",
    "last_seen_timestamp_updated",
    "chat_properties_updated",
    "chat_thread_properties_updated",
    "customer_updated",
    "chat_scopes_updated",
]
PAYLOAD_KEYS = [
    "chat_id",
    "thread_id",
    "event",
    "chat",
    "typing_indicator",
    "updated_users",
    "properties",
    "user_id",
    "timestamp",
]


@given(
    action=st.sampled_from(PUSH_ACTIONS),
    payload=st.dictionaries(st.sampled_from(PAYLOAD_KEYS), json_values, max_size=5),
)
def test_arbitrary_push_payloads_never_raise_and_never_break_the_link(
    action: str, payload: dict[str, Any]
) -> None:
    h = ready()
    h.feed(json.dumps({"action": action, "type": "push", "payload": payload}))
    assert h.client.phase is Phase.READY
    assert of(h.log, CloseTransport) == []

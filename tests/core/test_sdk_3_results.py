"""sdk.md section 3: results (client shapes) of every method, and INVALID_ARGS reasons."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol import (
    CancelledError,
    Chat,
    Connected,
    ErrorCode,
    InvalidArgumentsError,
    MessageEvent,
    Rating,
    SystemMessageEvent,
    ThreadSummaryEvent,
    UploadFile,
    UserData,
)
from customer_protocol.history import HistoryPosition

from .harness import (
    Harness,
    chat,
    error,
    message,
    names,
    of,
    summaries,
    thread,
    threads_chat,
    user,
    value,
)


def ready() -> Harness:
    h = Harness()
    h.connect()
    return h


def peek_sent(h: Harness, chat_id: str = "c1") -> bool:
    h.advance(10)  # past any throttle window
    h.client.set_sneak_peek(chat_id, "typing", h.now)
    return any(s.action == "send_sneak_peek" for s in h.sent(h.drain()))


# --------------------------------------------------------------------------------------------
# start_chat


def test_start_chat_sends_the_license_scope_by_default_and_events_with_custom_ids() -> None:
    h = ready()
    _, out = h.call("start_chat", events=[{"type": "message", "text": "hi"}])
    sent = h.one(out, "start_chat")
    assert sent.payload is not None
    assert sent.payload["routing_scope"] == {"type": "license"}
    assert sent.payload["events"][0]["text"] == "hi"
    assert sent.payload["events"][0]["custom_id"]
    _, out = h.call("start_chat", scope={"type": "group", "id": 1}, properties={"ns": {"a": 1}})
    sent = h.one(out)
    assert sent.payload == {
        "routing_scope": {"type": "group", "id": 1},
        "properties": {"ns": {"a": 1}},
    }


def test_start_chat_result_emits_user_data_and_thread_summary_and_marks_active() -> None:
    h = ready()
    h.push("thread_closed", {"chat_id": "c1", "thread_id": "t0"})
    assert not peek_sent(h)
    call, out = h.call("start_chat")
    sent = h.one(out)
    payload = {"chat": chat("c1", thread("t1", 3, [message("e1", 1, author="cust")]))}
    out = h.push("incoming_chat_thread", payload, request_id=sent.request_id)
    assert names(out) == ["user_data", "user_data", "thread_summary"]
    assert of(out, ThreadSummaryEvent) == [
        ThreadSummaryEvent(id="t1", chat="c1", order=3, total_events=1)
    ]
    result = value(out, call)
    assert result == Chat(id="c1", users=("cust", "agent1"), threads=("t1",), properties={})
    assert peek_sent(h)


def test_start_chat_resolves_from_the_response_payload_when_no_push_follows() -> None:
    h = ready()
    call, out = h.call("start_chat")
    h.respond(h.one(out), {"chat": chat("c1", thread("t1", 1))})
    out = h.advance(2)
    assert names(out) == ["user_data", "user_data", "thread_summary"]
    assert value(out, call).id == "c1"


# --------------------------------------------------------------------------------------------
# send_event / send_message


def test_send_event_opening_a_new_thread_emits_user_data_and_thread_summary_first() -> None:
    h = ready()
    h.push("thread_closed", {"chat_id": "c1", "thread_id": "t0"})
    call, out = h.call("send_message", "c1", "hello again", custom_id="mine")
    sent = h.one(out)
    new_thread = thread(
        "t2",
        2,
        [
            {"id": "s1", "order": 1, "type": "system_message", "text": "started", "timestamp": 9},
            message("e2", 2, "hello again", author="cust", custom_id="mine"),
            message("e3", 3, "welcome back", author="agent1"),
        ],
    )
    out = h.push(
        "incoming_chat_thread", {"chat": chat("c1", new_thread)}, request_id=sent.request_id
    )
    assert names(out) == ["user_data", "user_data", "thread_summary"]
    result = value(out, call)
    assert isinstance(result, MessageEvent)
    assert (result.id, result.custom_id, result.thread) == ("e2", "mine", "t2")
    assert peek_sent(h)  # the chat is active again


def test_send_event_result_is_the_parsed_event() -> None:
    h = ready()
    call, out = h.call("send_event", "c1", {"type": "custom", "content": {"x": [1]}})
    sent = h.one(out)
    event = {
        "id": "e1",
        "order": 1,
        "type": "custom",
        "author_id": "cust",
        "timestamp": 2,
        "content": {"x": [1]},
    }
    out = h.push(
        "incoming_event",
        {"chat_id": "c1", "thread_id": "t1", "event": event},
        request_id=sent.request_id,
    )
    result = value(out, call)
    assert (result.type, result.content, result.timestamp, result.author) == (
        "custom",
        {"x": [1]},
        2000,
        "cust",
    )


# --------------------------------------------------------------------------------------------
# close_thread


def test_close_thread_is_true_and_marks_the_chat_inactive() -> None:
    h = ready()
    call, out = h.call("close_thread", "c1")
    sent = h.one(out)
    assert sent.payload == {"chat_id": "c1"}
    h.respond(sent, {})
    out = h.advance(2)
    assert value(out, call) is True
    assert not peek_sent(h)


# --------------------------------------------------------------------------------------------
# get_chats_summary


def chat_summary(cid: str, order: int, last: Any = None, users: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": cid,
        "order": order,
        "users": users if users is not None else [user("cust", "customer"), user("agent1")],
        "properties": {"ns": {"k": {"value": 1}}},
        "scopes": {},
    }
    if last is not None:
        item["last_event_per_type"] = last
    return item


def test_get_chats_summary_sorted_by_last_event_timestamp_else_order() -> None:
    h = ready()
    call, out = h.call("get_chats_summary", offset=5, limit=25)
    sent = h.one(out)
    assert sent.payload == {"offset": 5, "limit": 25}
    old = {"thread_id": "t", "events": [message("e1", 1, timestamp=10)]}
    new = {"thread_id": "t", "events": [message("e2", 1, timestamp=50)]}
    payload = {
        "chats_summary": [
            chat_summary("no-events-low", 1),
            chat_summary("old", 9, old),
            chat_summary("no-events-high", 7),
            chat_summary("new", 2, new),
        ],
        "total_chats": 4,
    }
    out = h.respond(sent, payload)
    result = value(out, call)
    assert [c.id for c in result.chats_summary] == ["new", "old", "no-events-high", "no-events-low"]
    assert result.total_chats == 4
    assert names(out) == ["user_data"] * 8


def test_chat_summary_order_is_in_milliseconds_like_a_timestamp() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    out = h.respond(h.one(out), {"chats_summary": [chat_summary("c1", 1_700_000_000)]})
    assert value(out, call).chats_summary[0].order == 1_700_000_000_000


def test_chat_summaries_sort_by_one_key_a_chat_without_events_is_not_put_last() -> None:
    """One key, descending: the last event's timestamp, else the chat's order (both in ms)."""
    h = ready()
    call, out = h.call("get_chats_summary")
    old = {"thread_id": "t", "events": [message("e1", 1, timestamp=100)]}
    new = {"thread_id": "t", "events": [message("e2", 1, timestamp=300)]}
    payload = {
        "chats_summary": [
            chat_summary("event-at-100", 900, old),
            chat_summary("empty-at-200", 200),
            chat_summary("event-at-300", 5, new),
            chat_summary("empty-at-50", 50),
        ],
        "total_chats": 4,
    }
    result = value(h.respond(h.one(out), payload), call)
    assert [c.id for c in result.chats_summary] == [
        "event-at-300",
        "empty-at-200",
        "event-at-100",
        "empty-at-50",
    ]
    # The login summary (the connected payload) is ordered the same way.
    h2 = Harness()
    out = h2.connect(payload)
    (connected,) = of(out, Connected)
    assert [c.id for c in connected.chats_summary] == [c.id for c in result.chats_summary]
    assert [c.order for c in connected.chats_summary] == [5000, 200_000, 900_000, 50_000]


def test_chat_summary_last_event_is_the_newest_by_order_in_the_v03_list_form() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    last = {
        "thread_id": "t7",
        "events": [
            message("e5", 5, "newest", timestamp=1),
            {"id": "f1", "order": 2, "type": "file", "url": "u", "timestamp": 99},
        ],
    }
    out = h.respond(h.one(out), {"chats_summary": [chat_summary("c1", 1, last)], "total_chats": 1})
    summary = value(out, call).chats_summary[0]
    assert summary.last_event.id == "e5"
    assert summary.last_event.thread == "t7"
    assert set(summary.last_events_per_type) == {"message", "file"}
    assert summary.users == ("cust", "agent1")
    assert summary.properties == {"ns": {"k": {"value": 1}}}


def test_chat_summary_last_event_from_the_v03_object_form() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    last = {
        "thread_id": "t1",
        "events": {
            "message": message("e1", 3),
            "file": {"id": "f1", "order": 4, "type": "file", "url": "u", "timestamp": 5},
        },
    }
    out = h.respond(h.one(out), {"chats_summary": [chat_summary("c1", 1, last)], "total_chats": 1})
    assert value(out, call).chats_summary[0].last_event.id == "f1"


def test_chat_summary_last_event_from_the_later_map_form() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    last = {
        "message": {"thread_id": "t1", "thread_order": 1, "event": message("e1", 8)},
        "file": {
            "thread_id": "t1",
            "thread_order": 1,
            "event": {"id": "f1", "order": 3, "type": "file", "url": "u"},
        },
    }
    out = h.respond(h.one(out), {"chats_summary": [chat_summary("c1", 1, last)], "total_chats": 1})
    summary = value(out, call).chats_summary[0]
    assert summary.last_event.id == "e1"
    assert summary.last_event.thread == "t1"
    assert summary.last_events_per_type["file"].id == "f1"


def test_chat_summary_last_seen_timestamps_in_ms_or_none() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    users = [
        user("cust", "customer", last_seen_timestamp=12),
        user("agent1", last_seen_timestamp=None),
    ]
    out = h.respond(
        h.one(out), {"chats_summary": [chat_summary("c1", 1, users=users)], "total_chats": 1}
    )
    summary = value(out, call).chats_summary[0]
    assert summary.last_seen_timestamps == {"cust": 12000, "agent1": None}
    assert summary.last_event is None


def test_chat_summary_with_empty_last_event_per_type() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    last = {"thread_id": "t1", "events": []}
    out = h.respond(h.one(out), {"chats_summary": [chat_summary("c1", 1, last)]})
    result = value(out, call)
    assert result.chats_summary[0].last_event is None
    assert result.total_chats == 1  # missing total: the number of summaries


# --------------------------------------------------------------------------------------------
# get_chat_threads / get_chat_threads_summary


def test_get_chat_threads_sorted_by_order_events_sorted_user_data_first() -> None:
    h = ready()
    call, out = h.call("get_chat_threads", "c1", ["t1", "t2"])
    sent = h.one(out)
    assert sent.payload == {"chat_id": "c1", "thread_ids": ["t1", "t2"]}
    threads = [
        thread("t2", 2, [message("b", 5, timestamp=1), message("a", 4, timestamp=1)]),
        {**thread("t1", 1, [message("x", 1)], active=False), "properties": {"p": {"v": 1}}},
    ]
    out = h.respond(sent, threads_chat("c1", threads))
    assert names(out) == ["user_data", "user_data"]
    result = value(out, call)
    assert [t.id for t in result] == ["t1", "t2"]
    assert [e.id for e in result[1].events] == ["a", "b"]
    assert result[0].active is False and result[0].chat == "c1"
    assert result[0].users == ("cust", "agent1")
    assert result[0].properties == {"p": {"v": 1}}


def test_get_chat_threads_marks_the_chat_from_its_newest_thread() -> None:
    h = ready()
    _, out = h.call("get_chat_threads", "c1", ["t1", "t2"])
    threads = [thread("t1", 1, active=True), thread("t2", 2, active=False)]
    h.respond(h.one(out), threads_chat("c1", threads))
    assert not peek_sent(h)


def test_get_chat_threads_summary_sorted_by_order_with_total_threads() -> None:
    h = ready()
    call, out = h.call("get_chat_threads_summary", "c1", offset=3, limit=1000)
    sent = h.one(out)
    assert sent.payload == {"chat_id": "c1", "offset": 3, "limit": 1000}
    payload = {
        "threads_summary": [
            {"id": "t3", "order": 3, "total_events": 2},
            {"id": "t1", "order": 1, "events_count": 7},
            {"id": "t2", "order": 2},
        ],
        "total_threads": 10,
    }
    result = value(h.respond(sent, payload), call)
    assert [(s.id, s.order, s.total_events, s.chat) for s in result.threads_summary] == [
        ("t1", 1, 7, "c1"),
        ("t2", 2, 0, "c1"),
        ("t3", 3, 2, "c1"),
    ]
    assert result.total_threads == 10


# --------------------------------------------------------------------------------------------
# update_customer / update_last_seen_timestamp / properties


def test_update_customer_is_true_and_the_values_are_sent_at_the_next_login() -> None:
    h = ready()
    call, out = h.call("update_customer", name="Ann", email="a@x", fields={"k": "v"})
    sent = h.one(out)
    assert sent.payload == {"customer": {"name": "Ann", "email": "a@x", "fields": {"k": "v"}}}
    assert value(h.respond(sent, {"customer": {}}), call) is True
    h.drop()
    h.until_open()
    h.client.transport_opened(h.now)
    login = h.one(h.drain(), "login")
    assert login.payload is not None
    assert login.payload["customer"] == {"name": "Ann", "email": "a@x", "fields": {"k": "v"}}


def test_update_customer_that_failed_is_not_remembered() -> None:
    h = ready()
    _, out = h.call("update_customer", name="Ann")
    h.error(h.one(out), "validation")
    h.drop()
    h.until_open()
    h.client.transport_opened(h.now)
    login = h.one(h.drain(), "login")
    assert login.payload is not None and login.payload["customer"] == {"fields": {}}


@pytest.mark.parametrize(("ms", "seconds"), [(1_500_999, 1500), (999, 0), (2000, 2), (1234.9, 1)])
def test_update_last_seen_timestamp_sends_floor_of_ms_over_1000(ms: float, seconds: int) -> None:
    h = ready()
    call, out = h.call("update_last_seen_timestamp", "c1", timestamp_ms=ms)
    sent = h.one(out)
    assert sent.payload == {"chat_id": "c1", "timestamp": seconds}
    h.respond(sent, {"timestamp": seconds})
    assert value(h.advance(2), call) == seconds * 1000


def test_update_last_seen_timestamp_without_a_timestamp_sends_only_the_chat() -> None:
    h = ready()
    _, out = h.call("update_last_seen_timestamp", "c1")
    assert h.one(out).payload == {"chat_id": "c1"}


def test_update_last_seen_timestamp_malformed_answer_fails_the_call() -> None:
    h = ready()
    call, out = h.call("update_last_seen_timestamp", "c1")
    h.respond(h.one(out), {"timestamp": "soon"})
    out = h.advance(2)
    assert names(out) == ["error"]
    assert error(out, call).code is ErrorCode.REQUEST_FAILED


def test_update_properties_send_the_flat_form_and_resolve_true() -> None:
    h = ready()
    call, out = h.call("update_chat_properties", "c1", {"ns": {"a": 1}})
    assert h.one(out).payload == {"chat_id": "c1", "properties": {"ns": {"a": 1}}}
    call2, out = h.call("update_chat_thread_properties", "c1", "t1", {"ns": {"b": 2}})
    assert h.one(out).payload == {
        "chat_id": "c1",
        "thread_id": "t1",
        "properties": {"ns": {"b": 2}},
    }
    assert call2 == call + 1


def test_update_chat_scopes_payload() -> None:
    h = ready()
    _, out = h.call("update_chat_scopes", "c1", add_scopes={"groups": [1]}, remove_scopes={})
    assert h.one(out).payload == {
        "chat_id": "c1",
        "add_scopes": {"groups": [1]},
        "remove_scopes": {},
    }


# --------------------------------------------------------------------------------------------
# send_rating


def test_send_rating_on_a_known_thread_sets_the_rating_thread_property() -> None:
    h = ready()
    h.push("incoming_chat_thread", {"chat": chat("c1", thread("t5", 5))})
    call, out = h.call("send_rating", "c1", "good", comment="thanks")
    sent = h.one(out, "update_chat_thread_properties")
    assert sent.payload == {
        "chat_id": "c1",
        "thread_id": "t5",
        "properties": {"rating": {"score": 1, "comment": "thanks"}},
    }
    out = h.push(
        "chat_thread_properties_updated",
        {"chat_id": "c1", "thread_id": "t5", "properties": {}},
        request_id=sent.request_id,
    )
    assert value(out, call) == Rating(chat="c1", thread="t5", value="good", comment="thanks")


def test_send_rating_on_an_unknown_thread_fetches_the_newest_via_the_summary() -> None:
    h = ready()
    call, out = h.call("send_rating", "c1", "bad")
    lookup = h.one(out, "get_chat_threads_summary")
    assert lookup.payload == {"chat_id": "c1", "offset": 0, "limit": 1}
    out = h.respond(lookup, summaries([("t9", 9, 3)], 9))
    sent = h.one(out, "update_chat_thread_properties")
    assert sent.payload is not None
    assert sent.payload["thread_id"] == "t9"
    assert sent.payload["properties"] == {"rating": {"score": 0, "comment": None}}
    h.respond(sent, {})
    assert value(h.advance(2), call) == Rating(chat="c1", thread="t9", value="bad")


def test_send_rating_on_a_chat_without_threads_fails() -> None:
    h = ready()
    call, out = h.call("send_rating", "c1", "good")
    out = h.respond(h.one(out), summaries([], 0))
    assert error(out, call).code is ErrorCode.REQUEST_FAILED


def test_send_rating_lookup_failure_fails_the_call() -> None:
    h = ready()
    call, out = h.call("send_rating", "c1", "good")
    out = h.error(h.one(out), "internal")
    assert error(out, call).code is ErrorCode.REQUEST_FAILED


# --------------------------------------------------------------------------------------------
# send_file


def test_send_file_emits_upload_file_and_resolves_with_the_url() -> None:
    h = ready()
    call, out = h.call("send_file", "c1", b"\x89PNG", filename="a.png", content_type="image/png")
    upload = of(out, UploadFile)[0]
    assert (upload.call, upload.chat_id, upload.data) == (call, "c1", b"\x89PNG")
    assert (upload.filename, upload.content_type) == ("a.png", "image/png")
    assert upload.custom_id
    assert upload.token is not None
    assert h.sent(out) == []  # over the Web API, not the RTM link
    h.client.upload_finished(call, {"url": "https://cdn/a.png"}, h.now)
    assert value(h.drain(), call) == "https://cdn/a.png"
    h.client.upload_finished(call, {"url": "again"}, h.now)  # ignored: ended already
    assert h.drain() == []


def test_send_file_keeps_the_callers_custom_id() -> None:
    h = ready()
    _, out = h.call("send_file", "c1", bytearray(b"x"), custom_id="mine")
    assert of(out, UploadFile)[0].custom_id == "mine"


def test_send_file_upload_failed_and_cancelled() -> None:
    h = ready()
    call, _ = h.call("send_file", "c1", b"x")
    h.client.upload_failed(call, CancelledError("stopped"), h.now)
    assert error(h.drain(), call).code is ErrorCode.CANCELLED
    h.client.upload_failed(call, CancelledError("stopped"), h.now)
    assert h.drain() == []


def test_send_file_response_without_url_fails() -> None:
    h = ready()
    call, _ = h.call("send_file", "c1", b"x")
    h.client.upload_finished(call, {}, h.now)
    assert error(h.drain(), call).code is ErrorCode.REQUEST_FAILED


def test_send_file_over_10_mib_fails_at_once_with_the_reason() -> None:
    h = ready()
    with pytest.raises(InvalidArgumentsError) as info:
        h.client.send_file("c1", b"\0" * (10 * 1024 * 1024 + 1), h.now)
    assert info.value.message == "The file is too big (max size is 10.00 MB)."
    assert info.value.code is ErrorCode.INVALID_ARGS
    assert h.drain() == []
    call = h.client.send_file("c1", b"\0" * (10 * 1024 * 1024), h.now)  # exactly 10 MiB is fine
    assert of(h.drain(), UploadFile)[0].call == call


# --------------------------------------------------------------------------------------------
# INVALID_ARGS


def raises(reason: str, fn: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(InvalidArgumentsError) as info:
        fn(*args, **kwargs)
    assert info.value.code is ErrorCode.INVALID_ARGS
    assert info.value.message == reason


def test_get_chats_summary_limit_over_25_reason() -> None:
    h = ready()
    raises("Specified limit is too high (max 25).", h.client.get_chats_summary, h.now, limit=26)
    assert h.drain() == []


def test_get_chat_threads_summary_limit_over_1000_reason() -> None:
    h = ready()
    raises(
        "Specified limit is too high (max 1000).",
        h.client.get_chat_threads_summary,
        "c1",
        h.now,
        limit=1001,
    )


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "reason"),
    [
        ("close_thread", (5,), {}, "'chat' must be a non-empty string."),
        ("close_thread", ("",), {}, "'chat' must be a non-empty string."),
        ("get_chats_summary", (), {"offset": -1}, "'offset' must be a non-negative integer."),
        ("get_chats_summary", (), {"offset": True}, "'offset' must be a non-negative integer."),
        ("get_chats_summary", (), {"limit": 0}, "'limit' must be a positive integer."),
        ("get_chat_threads", ("c1", "t1"), {}, "'thread_ids' must be a non-empty list of strings."),
        ("get_chat_threads", ("c1", [""]), {}, "'thread_ids' must be a non-empty list of strings."),
        ("send_message", ("c1", 5), {}, "'text' must be a string."),
        (
            "send_message",
            ("c1", "x"),
            {"custom_id": ""},
            "'event.custom_id' must be a non-empty string.",
        ),
        ("send_event", ("c1", {"text": "x"}), {}, "'event.type' must be a non-empty string."),
        ("send_event", ("c1", []), {}, "'event' must be an object with string keys."),
        (
            "update_chat_properties",
            ("c1", {"ns": 1}),
            {},
            "'properties.ns' must be an object with string keys.",
        ),
        (
            "update_chat_thread_properties",
            ("c1", 3, {}),
            {},
            "'thread' must be a non-empty string.",
        ),
        ("update_customer", (), {"name": 1}, "'name' must be a string."),
        ("update_customer", (), {"email": 1}, "'email' must be a string."),
        ("update_customer", (), {"fields": {"k": 1}}, "'fields' values must be strings."),
        (
            "update_last_seen_timestamp",
            ("c1",),
            {"timestamp_ms": "now"},
            "'timestamp' must be a number of milliseconds.",
        ),
        ("send_rating", ("c1", "meh"), {}, "'value' must be 'good' or 'bad'."),
        ("send_rating", ("c1", "good"), {"comment": 1}, "'comment' must be a string."),
        ("send_file", ("c1", "text"), {}, "'file' must be bytes."),
        ("start_chat", (), {"events": "x"}, "'events' must be a list of events."),
        ("start_chat", (), {"scope": 5}, "'scope' must be an object with string keys."),
        (
            "update_chat_scopes",
            ("c1",),
            {"add_scopes": 1},
            "'add_scopes' must be an object with string keys.",
        ),
        (
            "update_chat_scopes",
            ("c1",),
            {"remove_scopes": 1},
            "'remove_scopes' must be an object with string keys.",
        ),
    ],
)
def test_argument_type_errors_fail_at_once_with_invalid_args(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any], reason: str
) -> None:
    h = ready()
    fn = getattr(h.client, method)
    with pytest.raises(InvalidArgumentsError) as info:
        if method == "send_rating":
            fn(args[0], args[1], h.now, **kwargs)
        else:
            fn(*args, h.now, **kwargs)
    assert info.value.message == reason
    assert h.drain() == []
    assert h.client.pending_calls == 0


def test_sneak_peek_and_history_argument_errors() -> None:
    h = ready()
    raises("'chat' must be a non-empty string.", h.client.set_sneak_peek, "", "x", h.now)
    raises("'text' must be a string.", h.client.set_sneak_peek, "c1", None, h.now)
    raises("'chat' must be a non-empty string.", h.client.get_chat_history, None)
    raises("Unknown history cursor.", h.client.history_next, 99, h.now)
    raises("Unknown history cursor.", h.client.history_position, 99)
    raises(
        "The history position belongs to another chat.",
        h.client.get_chat_history,
        "c1",
        position=HistoryPosition(chat="c2"),
    )


def test_constructor_argument_errors() -> None:
    from customer_protocol import ClientProtocol

    raises("'license_id' must be a positive integer.", ClientProtocol, license_id=0)
    raises("'license_id' must be a positive integer.", ClientProtocol, license_id=True)
    raises("Unknown customer keys: ['age'].", ClientProtocol, license_id=1, customer={"age": 3})


def test_user_data_payloads_are_client_users() -> None:
    h = ready()
    call, out = h.call("get_chat_threads", "c1", ["t1"])
    out = h.respond(h.one(out), threads_chat("c1", [thread("t1", 1)]))
    users = [e.user for e in of(out, UserData)]
    assert [(u.id, u.type) for u in users] == [("cust", "customer"), ("agent1", "agent")]
    assert isinstance(value(out, call)[0].events, tuple)


def test_system_message_has_no_author() -> None:
    h = ready()
    call, out = h.call("get_chat_threads", "c1", ["t1"])
    event = {
        "id": "s",
        "order": 1,
        "type": "system_message",
        "author_id": "x",
        "text": "t",
        "system_message_type": "routing",
    }
    out = h.respond(h.one(out), threads_chat("c1", [thread("t1", 1, [event])]))
    parsed = value(out, call)[0].events[0]
    assert isinstance(parsed, SystemMessageEvent)
    assert parsed.author is None and parsed.system_message_type == "routing"


def test_get_chat_threads_summary_without_total_threads_counts_the_page() -> None:
    h = ready()
    call, out = h.call("get_chat_threads_summary", "c1")
    out = h.respond(h.one(out), {"threads_summary": [{"id": "t1", "order": 1}]})
    assert value(out, call).total_threads == 1

"""sdk.md section 2: requests, the outbox, how each one ends, exactly-once sends, resolution."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol import (
    CallFailed,
    CallSucceeded,
    Config,
    ErrorCode,
    MessageDropped,
    MessageEvent,
    NewEvent,
    Push,
)

from .harness import Harness, chat, ended, error, message, names, of, thread, threads_chat, value


def ready(config: Config | None = None) -> Harness:
    h = Harness(config)
    h.connect()
    return h


# --------------------------------------------------------------------------------------------
# Registration and the outbox


def test_every_call_registers_at_once_and_returns_its_id() -> None:
    h = Harness()
    first = h.client.get_chats_summary(h.now)
    second = h.client.get_chats_summary(h.now)
    assert second == first + 1
    assert h.client.pending_calls == 2
    assert h.drain() == []  # not connected: nothing is written


def test_requests_made_while_not_logged_in_go_out_after_login_in_call_order() -> None:
    h = ready()
    h.drop()
    calls = [h.client.send_message("c1", f"m{i}", h.now) for i in range(3)]
    assert h.drain() == []
    h.until_open()
    out = h.open_and_login()
    sent = [s for s in h.sent(out) if s.action == "send_event"]
    assert [s.payload["event"]["text"] for s in sent if s.payload] == ["m0", "m1", "m2"]
    assert len(calls) == 3


def test_too_many_pending_requests_fail_at_once_with_invalid_args() -> None:
    h = Harness(Config(max_pending_requests=2))
    h.client.get_chats_summary(h.now)
    h.client.get_chats_summary(h.now)
    with pytest.raises(Exception, match="Too many pending requests") as info:
        h.client.get_chats_summary(h.now)
    assert getattr(info.value, "code", None) is ErrorCode.INVALID_ARGS


# --------------------------------------------------------------------------------------------
# How each request ends


def test_direct_request_resolves_on_its_response() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    out = h.respond(h.one(out, "get_chats_summary"), {"chats_summary": [], "total_chats": 0})
    assert value(out, call).total_chats == 0


def test_success_false_fails_with_request_failed_and_the_server_error() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    sent = h.one(out)
    out = h.respond(
        sent,
        {"error": {"type": "validation", "message": "bad", "data": {"k": 1}}},
        success=False,
    )
    failure = error(out, call)
    assert failure.code is ErrorCode.REQUEST_FAILED
    assert (failure.type, failure.message, failure.data) == ("validation", "bad", {"k": 1})


def test_authentication_error_response_fails_with_authentication() -> None:
    h = ready()
    call, out = h.call("get_chat_threads_summary", "c1")
    out = h.error(h.one(out), "authentication")
    assert error(out, call).code is ErrorCode.AUTHENTICATION


def test_error_response_without_details_still_fails_the_request() -> None:
    h = ready()
    call, out = h.call("get_chat_threads_summary", "c1")
    out = h.respond(h.one(out), {}, success=False)
    assert error(out, call).code is ErrorCode.REQUEST_FAILED


def test_request_timeout_is_30_seconds_counted_from_when_it_was_written() -> None:
    h = Harness()
    h.client.connect(h.now)
    call = h.client.get_chats_summary(h.now)  # queued at t=0
    h.advance(5)
    h.connect()  # written at t=5
    h.advance(29.9)
    assert call not in ended(h.log)
    out = h.advance(0.1)
    assert error(out, call).code is ErrorCode.REQUEST_TIMEOUT


def test_late_reply_to_a_timed_out_request_is_dropped_never_an_error() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    sent = h.one(out)
    h.advance(30)
    out = h.respond(sent, {"chats_summary": [], "total_chats": 0})
    assert out == [
        MessageDropped(
            action="get_chats_summary", request_id=sent.request_id, reason="unknown request_id"
        )
    ]
    assert call in ended(h.log)


def test_unknown_request_id_push_is_dropped_never_an_error() -> None:
    h = ready()
    out = h.push("incoming_event", {"chat_id": "c1"}, request_id="999")
    assert out == [
        MessageDropped(action="incoming_event", request_id="999", reason="unknown request_id")
    ]


@pytest.mark.parametrize("request_id", [None, ""])
def test_push_with_absent_null_or_empty_request_id_is_an_ordinary_push(
    request_id: str | None,
) -> None:
    h = ready()
    msg: dict[str, Any] = {
        "action": "incoming_event",
        "type": "push",
        "payload": {"chat_id": "c1", "thread_id": "t1", "event": message("e1", 1)},
        "request_id": request_id,
    }
    out = h.feed(msg)
    assert names(out) == ["new_event"]


def test_written_request_fails_with_connection_lost_on_transport_loss_unsent_stay() -> None:
    h = ready()
    written, _ = h.call("get_chats_summary")
    out = h.drop()
    assert error(out, written).code is ErrorCode.CONNECTION_LOST
    queued, _ = h.call("close_thread", "c1")
    h.until_open()
    out = h.open_and_login()
    assert "close_thread" in [s.action for s in h.sent(out)]
    assert queued not in ended(h.log)


def test_every_request_ends_exactly_once_across_timeouts_drops_and_late_replies() -> None:
    h = ready()
    calls = [h.client.get_chats_summary(h.now) for _ in range(3)]
    sent = h.sent(h.drain())
    h.respond(sent[0], {"chats_summary": [], "total_chats": 0})
    h.advance(30)
    h.respond(sent[1], {"chats_summary": [], "total_chats": 0})  # late: dropped
    h.drop()
    h.client.destroy()
    h.drain()
    end = ended(h.log)  # asserts that nothing ended twice
    assert set(calls) <= set(end)
    assert h.client.pending_calls == 0


# --------------------------------------------------------------------------------------------
# Resolution of indirect requests


def start_chat_push(request_id: str | None = None) -> dict[str, Any]:
    return {"chat": chat("c1", thread("t1", 1, [message("e1", 1, author="cust")]))}


def test_push_carrying_the_request_id_resolves_and_is_not_emitted() -> None:
    h = ready()
    call, out = h.call("send_message", "c1", "hello", custom_id="mine")
    sent = h.one(out, "send_event")
    event = message("e1", 5, "hello", author="cust", custom_id="mine")
    out = h.push(
        "incoming_event",
        {"chat_id": "c1", "thread_id": "t1", "event": event},
        request_id=sent.request_id,
    )
    assert names(out) == []  # no new_event for the requester's own message
    result = value(out, call)
    assert isinstance(result, MessageEvent)
    assert (result.id, result.text, result.thread, result.custom_id) == (
        "e1",
        "hello",
        "t1",
        "mine",
    )
    # the response that follows is silently consumed
    assert h.respond(sent, {"thread_id": "t1", "event": event}) == []


def test_success_response_then_no_push_resolves_from_the_response_after_2_seconds() -> None:
    h = ready()
    call, out = h.call("send_message", "c1", "hello")
    sent = h.one(out)
    event = message("e1", 5, "hello", author="cust")
    assert h.respond(sent, {"thread_id": "t1", "event": event}) == []
    assert h.advance(1.999) == []
    out = h.advance(0.001)
    assert value(out, call).id == "e1"


def test_push_after_the_response_within_the_grace_resolves_from_the_push() -> None:
    h = ready()
    call, out = h.call("close_thread", "c1")
    sent = h.one(out)
    h.respond(sent, {})
    h.advance(1)
    out = h.push("thread_closed", {"chat_id": "c1", "thread_id": "t1"}, request_id=sent.request_id)
    assert value(out, call) is True
    assert names(out) == []
    assert h.advance(5) == []


def test_error_response_of_an_indirect_request_fails_it() -> None:
    h = ready()
    call, out = h.call("update_chat_properties", "c1", {"ns": {"k": 1}})
    out = h.error(h.one(out), "authorization")
    failure = error(out, call)
    assert (failure.code, failure.type) == (ErrorCode.REQUEST_FAILED, "authorization")


@pytest.mark.parametrize(
    ("method", "args", "push", "payload", "expected"),
    [
        ("close_thread", ("c1",), "thread_closed", {"chat_id": "c1", "thread_id": "t1"}, True),
        (
            "update_chat_properties",
            ("c1", {"ns": {"a": 1}}),
            "chat_properties_updated",
            {"chat_id": "c1", "properties": {"ns": {"a": {"value": 1}}}},
            True,
        ),
        (
            "update_chat_thread_properties",
            ("c1", "t1", {"ns": {"a": 1}}),
            "chat_thread_properties_updated",
            {"chat_id": "c1", "thread_id": "t1", "properties": {"ns": {"a": {"value": 1}}}},
            True,
        ),
        (
            "update_last_seen_timestamp",
            ("c1",),
            "last_seen_timestamp_updated",
            {"chat_id": "c1", "user_id": "cust", "timestamp": 1500},
            1_500_000,
        ),
    ],
)
def test_indirect_actions_resolve_on_their_push(
    method: str, args: tuple[Any, ...], push: str, payload: dict[str, Any], expected: Any
) -> None:
    h = ready()
    call, out = h.call(method, *args)
    sent = h.one(out)
    out = h.push(push, payload, request_id=sent.request_id)
    assert names(out) == []
    assert value(out, call) == expected


@pytest.mark.parametrize(
    ("method", "args", "response", "expected"),
    [
        ("close_thread", ("c1",), {}, True),
        ("update_chat_properties", ("c1", {"ns": {"a": 1}}), {}, True),
        ("update_chat_thread_properties", ("c1", "t1", {"ns": {"a": 1}}), {}, True),
        ("update_last_seen_timestamp", ("c1",), {"timestamp": 7}, 7000),
        ("update_chat_scopes", ("c1",), {}, True),
    ],
)
def test_indirect_actions_fall_back_to_the_response(
    method: str, args: tuple[Any, ...], response: dict[str, Any], expected: Any
) -> None:
    h = ready()
    call, out = h.call(method, *args)
    h.respond(h.one(out), response)
    assert value(h.advance(2), call) == expected


def test_start_chat_resolves_on_incoming_chat_thread_with_its_request_id() -> None:
    h = ready()
    call, out = h.call("start_chat")
    sent = h.one(out, "start_chat")
    out = h.push("incoming_chat_thread", start_chat_push(), request_id=sent.request_id)
    assert names(out) == ["user_data", "user_data", "thread_summary"]  # no new_event
    assert value(out, call).id == "c1"


@pytest.mark.parametrize(
    ("method", "args", "payload"),
    [
        ("get_chat_threads", ("c1", ["t1"]), threads_chat("c1", [thread("t1", 1)])),
        ("get_chat_threads_summary", ("c1",), {"threads_summary": [], "total_threads": 0}),
        ("update_customer", (), {"customer": {"id": "cust", "type": "customer"}}),
    ],
)
def test_direct_actions_resolve_on_their_response(
    method: str, args: tuple[Any, ...], payload: dict[str, Any]
) -> None:
    h = ready()
    call, out = h.call(method, *args)
    out = h.respond(h.one(out), payload)
    assert isinstance(ended(out)[call], CallSucceeded)


def test_customer_updated_push_with_a_request_id_is_ignored() -> None:
    h = ready()
    call, out = h.call("update_customer", name="Ann")
    sent = h.one(out)
    out = h.push("customer_updated", {"chat_id": "c1", "customer": {}}, request_id=sent.request_id)
    assert out == []
    out = h.respond(sent, {"customer": {}})
    assert value(out, call) is True


def test_customer_updated_push_without_request_id_is_forwarded_raw() -> None:
    h = ready()
    out = h.push("customer_updated", {"chat_id": "c1", "customer": {"id": "cust"}})
    assert out == [
        Push(name="customer_updated", payload={"chat_id": "c1", "customer": {"id": "cust"}})
    ]


def test_other_push_carrying_a_pending_request_id_is_an_ordinary_event() -> None:
    h = ready()
    call, out = h.call("get_chats_summary")
    sent = h.one(out)
    out = h.push(
        "incoming_typing_indicator",
        {
            "chat_id": "c1",
            "typing_indicator": {"author_id": "a", "timestamp": 1, "is_typing": True},
        },
        request_id=sent.request_id,
    )
    assert names(out) == ["user_is_typing"]
    assert call not in ended(out)


def test_ping_messages_are_ignored() -> None:
    h = ready()
    assert h.feed({"action": "ping"}) == []


# --------------------------------------------------------------------------------------------
# Exactly-once sends


def drop_with_send(h: Harness, text: str = "hello", custom_id: str = "cid-1") -> int:
    call, out = h.call("send_message", "c1", text, custom_id=custom_id)
    h.one(out, "send_event")
    h.drop()
    assert call not in ended(h.log)  # not failed
    h.until_open()
    return call


def login_after_drop(h: Harness) -> list[Any]:
    return h.open_and_login()


def test_send_in_flight_across_a_drop_found_in_the_newest_threads_resolves() -> None:
    h = ready()
    call = drop_with_send(h)
    out = login_after_drop(h)
    summary = h.sent(out)[-1]
    assert summary.action == "get_chat_threads_summary"
    assert summary.payload == {"chat_id": "c1", "offset": 0, "limit": 25}
    out = h.respond(
        summary,
        {
            "threads_summary": [
                {"id": "t1", "order": 1, "total_events": 1},
                {"id": "t2", "order": 2, "total_events": 1},
            ],
            "total_threads": 2,
        },
    )
    load = h.one(out, "get_chat_threads")
    assert load.payload == {"chat_id": "c1", "thread_ids": ["t2", "t1"]}  # newest first
    event = message("e9", 3, "hello", author="cust", custom_id="cid-1")
    out = h.respond(load, threads_chat("c1", [thread("t1", 1), thread("t2", 2, [event])]))
    assert value(out, call).id == "e9"
    assert names(out) == []  # reconciliation is quiet
    assert [s.action for s in h.sent(out)] == []  # not sent again


def test_send_in_flight_across_a_drop_not_found_is_sent_again_before_later_calls() -> None:
    h = ready()
    call = drop_with_send(h)
    later, _ = h.call("close_thread", "c1")  # queued while reconnecting
    out = login_after_drop(h)
    summary = h.sent(out)[-1]
    assert summary.action == "get_chat_threads_summary"
    out = h.respond(
        summary,
        {"threads_summary": [{"id": "t1", "order": 1, "total_events": 0}], "total_threads": 1},
    )
    out = h.respond(h.one(out, "get_chat_threads"), threads_chat("c1", [thread("t1", 1)]))
    sent = h.sent(out)
    assert [s.action for s in sent] == ["send_event", "close_thread"]
    assert sent[0].payload is not None
    assert sent[0].payload["event"] == {"type": "message", "text": "hello", "custom_id": "cid-1"}
    event = message("e9", 3, "hello", author="cust", custom_id="cid-1")
    out = h.push(
        "incoming_event",
        {"chat_id": "c1", "thread_id": "t1", "event": event},
        request_id=sent[0].request_id,
    )
    assert value(out, call).id == "e9"
    assert later not in ended(h.log)


def test_resend_when_the_chat_has_no_threads() -> None:
    h = ready()
    drop_with_send(h)
    out = login_after_drop(h)
    out = h.respond(h.sent(out)[-1], {"threads_summary": [], "total_threads": 0})
    assert [s.action for s in h.sent(out)] == ["send_event"]


def test_reconciliation_keeps_several_sends_in_call_order() -> None:
    h = ready()
    a, _ = h.call("send_message", "c1", "a", custom_id="A")
    b, _ = h.call("send_message", "c2", "b", custom_id="B")
    c, _ = h.call("send_message", "c1", "c", custom_id="C")
    h.drop()
    h.until_open()
    out = login_after_drop(h)
    lookups = h.sent(out)[-2:]
    assert [s.payload["chat_id"] for s in lookups if s.payload] == ["c1", "c2"]
    found = message("eA", 1, "a", author="cust", custom_id="A")
    out = h.respond(lookups[0], {"threads_summary": [{"id": "t1", "order": 1}], "total_threads": 1})
    out = h.respond(h.one(out), threads_chat("c1", [thread("t1", 1, [found])]))
    assert value(out, a).id == "eA"
    assert h.sent(out) == []  # still waiting for c2's lookup
    out = h.respond(lookups[1], {"threads_summary": [], "total_threads": 0})
    assert [s.payload["event"]["custom_id"] for s in h.sent(out) if s.payload] == ["B", "C"]
    assert b not in ended(h.log) and c not in ended(h.log)


def test_reconciliation_lookup_failure_fails_the_sends_of_that_chat() -> None:
    h = ready()
    call = drop_with_send(h)
    out = login_after_drop(h)
    out = h.error(h.sent(out)[-1], "internal")
    assert error(out, call).code is ErrorCode.REQUEST_FAILED


def test_reconciliation_interrupted_by_another_drop_starts_again() -> None:
    h = ready()
    call = drop_with_send(h)
    out = login_after_drop(h)
    assert h.sent(out)[-1].action == "get_chat_threads_summary"
    h.drop()
    assert call not in ended(h.log)
    h.until_open()
    out = login_after_drop(h)
    assert h.sent(out)[-1].action == "get_chat_threads_summary"


def test_exactly_once_sends_can_be_turned_off() -> None:
    h = ready(Config(exactly_once_sends=False))
    call, _ = h.call("send_message", "c1", "x")
    out = h.drop()
    assert error(out, call).code is ErrorCode.CONNECTION_LOST


def test_send_whose_response_arrived_resolves_from_it_when_the_link_drops() -> None:
    h = ready()
    call, out = h.call("send_message", "c1", "x")
    h.respond(h.one(out), {"thread_id": "t1", "event": message("e1", 1, "x", author="cust")})
    out = h.drop()
    assert value(out, call).id == "e1"


def test_every_outgoing_event_carries_a_unique_custom_id() -> None:
    h = ready()
    h.client.send_message("c1", "a", h.now)
    h.client.send_event("c1", {"type": "custom", "content": 1}, h.now)
    h.client.send_message("c1", "b", h.now, custom_id="mine")
    ids = [s.payload["event"]["custom_id"] for s in h.sent(h.drain()) if s.payload]
    assert ids[2] == "mine"
    assert len(set(ids)) == 3 and all(ids)


def test_own_event_echo_without_request_id_on_another_connection_is_a_new_event() -> None:
    h = ready()
    event = message("e1", 1, "from my other tab", author="cust")
    out = h.push("incoming_event", {"chat_id": "c1", "thread_id": "t1", "event": event})
    assert of(out, NewEvent)[0].event.text == "from my other tab"
    assert not of(out, CallFailed)


def test_indirect_response_arriving_just_before_the_timeout_resolves_at_the_timeout() -> None:
    h = ready(Config(keepalive_interval=100, pong_timeout=100))
    call, out = h.call("close_thread", "c1")
    sent = h.one(out)
    h.advance(29)
    assert h.respond(sent, {}) == []
    out = h.advance(1)  # the 30 s timeout comes before the end of the 2 s grace
    assert value(out, call) is True


def test_a_pending_request_record_ends_once() -> None:
    from customer_protocol.errors import ConnectionLostError
    from customer_protocol.requests import PendingRequest

    results: list[object] = []
    request = PendingRequest("x", None, indirect=False, on_ok=results.append, on_err=results.append)
    request.succeed(1)
    request.succeed(2)
    request.fail(ConnectionLostError())
    assert results == [1]
    other = PendingRequest("y", {}, indirect=False, on_err=results.append)
    other.fail(ConnectionLostError())
    other.fail(ConnectionLostError())
    other.succeed(3)
    assert len(results) == 2
    assert repr(other) == "PendingRequest(action='y', wire_id=None)"


def test_own_thread_opening_push_without_events_fails_the_send_as_malformed() -> None:
    h = ready()
    call, out = h.call("send_message", "c1", "x")
    sent = h.one(out)
    out = h.push(
        "incoming_chat_thread", {"chat": chat("c1", thread("t9", 9))}, request_id=sent.request_id
    )
    assert names(out) == ["error"]
    assert error(out, call).type == "malformed_response"


def test_own_thread_opening_push_without_a_matching_custom_id_takes_the_last_event() -> None:
    h = ready()
    call, out = h.call("send_message", "c1", "x", custom_id="mine")
    sent = h.one(out)
    events_ = [message("e1", 1, author="cust", custom_id="other"), message("e2", 2)]
    out = h.push(
        "incoming_chat_thread",
        {"chat": chat("c1", thread("t9", 9, events_))},
        request_id=sent.request_id,
    )
    assert value(out, call).id == "e2"


def test_get_chat_threads_without_a_threads_array_is_malformed() -> None:
    h = ready()
    call, out = h.call("get_chat_threads", "c1", ["t1"])
    out = h.respond(h.one(out), {"chat": {"id": "c1", "users": []}})
    assert names(out) == ["error"]
    assert error(out, call).code is ErrorCode.REQUEST_FAILED

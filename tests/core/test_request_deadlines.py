"""One timer for every written request's timeout, and feeding a batch of messages at once.

The core keeps the timeouts of written requests in write order behind one timer (not one
timer per request); each request still times out ``request_timeout`` after it was written,
``next_deadline()`` is still the earliest deadline, and deadlines due at the same time still
fire in the order they were set.
"""

from __future__ import annotations

import dataclasses
import json

from customer_protocol import CallFailed, Config, ErrorCode, SendPing
from customer_protocol.outputs import CloseTransport

from .harness import Harness, ended, error


def ready(**config: float) -> Harness:
    h = Harness(dataclasses.replace(Config(), **config))
    h.connect()
    return h


def test_each_request_times_out_request_timeout_after_it_was_written() -> None:
    h = ready(request_timeout=10, keepalive_interval=1000, pong_timeout=1000)
    calls = {}
    for t in (0, 1, 2, 3):
        h.advance_to(t)
        call, out = h.call("get_chats_summary")
        calls[t] = (call, h.one(out))
    h.advance_to(4)
    h.respond(calls[0][1])  # the head answered: the next deadline is the second request's
    h.respond(calls[2][1])  # answered out of order
    assert h.client.next_deadline() == 11
    for t, expect in [(10.9, []), (11, [1]), (12.9, []), (13, [3])]:
        out = h.advance_to(t)
        timed_out = [t0 for t0, (call, _) in calls.items() if call in ended(out)]
        assert timed_out == expect, (t, timed_out)
        for t0 in timed_out:
            assert error(out, calls[t0][0]).code is ErrorCode.REQUEST_TIMEOUT
    assert all(call in ended(h.log) for call, _ in calls.values())


def test_no_request_timer_is_left_once_every_request_ended() -> None:
    h = ready(keepalive_interval=1000, pong_timeout=1000)
    before = h.client.next_deadline()
    _, out = h.call("get_chats_summary")
    assert h.client.next_deadline() == 30
    h.respond(h.one(out))
    assert h.client.next_deadline() == before == 1000


def test_equal_deadlines_fire_in_the_order_they_were_set() -> None:
    # Connected at t=5: keepalive due at 20, then re-set at 20 for 35. A request written at
    # t=10 is due at 35 too and was set first, so it times out before the ping, even though
    # the request timer was re-armed for it (at t=25) after the keepalive was set.
    h = Harness(dataclasses.replace(Config(), request_timeout=25, keepalive_interval=15))
    h.advance_to(5)
    h.connect()
    first, out = h.call("get_chats_summary")  # t=5, due at 30
    head = h.one(out)
    h.advance_to(10)
    second, _ = h.call("get_chats_summary")  # t=10, due at 35
    h.advance_to(20)  # the keepalive ping; the next one is due at 35
    h.client.pong_received(h.now)
    h.advance_to(25)
    h.respond(head)
    assert first in ended(h.log)
    out = h.advance_to(35)
    kinds = [type(o) for o in out if isinstance(o, CallFailed | SendPing)]
    assert kinds == [CallFailed, SendPing]
    assert error(out, second).code is ErrorCode.REQUEST_TIMEOUT


def test_a_clock_going_backwards_keeps_every_deadline() -> None:
    h = ready(request_timeout=10, keepalive_interval=1000, pong_timeout=1000)
    h.advance_to(5)
    late, _ = h.call("get_chats_summary")  # due at 15
    h.now = 2.0  # the caller's clock went backwards
    early, _ = h.call("get_chats_summary")  # due at 12
    assert h.client.next_deadline() == 12
    out = h.advance_to(12)
    assert early in ended(out) and late not in ended(out)
    out = h.advance_to(15)
    assert late in ended(out)


def test_many_requests_answered_out_of_order_keep_bounded_bookkeeping() -> None:
    h = ready(request_timeout=10, keepalive_interval=1000, pong_timeout=1000)
    slow, out = h.call("get_chats_summary")  # never answered: stays at the head
    h.one(out)
    for _ in range(300):
        _, out = h.call("get_chats_summary")
        h.respond(h.one(out))
    assert len(h.client._deadlines) <= 64 + 1
    out = h.advance_to(10)
    assert error(out, slow).code is ErrorCode.REQUEST_TIMEOUT
    assert h.client.pending_calls == 0


def _push(action: str, payload: dict[str, object]) -> bytes:
    return json.dumps({"action": action, "type": "push", "payload": payload}).encode()


def test_receive_many_feeds_a_batch_like_receive_one_by_one() -> None:
    messages = [
        _push("user_added_to_chat", {"chat_id": "c1", "user": {"id": "a", "type": "agent"}}),
        _push("customer_updated", {"id": "cust"}),
    ]
    one, many = ready(), ready()
    for data in messages:
        one.client.receive(data, 0.0)
    assert many.client.receive_many(messages, 0.0) is False
    assert repr(one.drain()) == repr(many.drain())


def test_receive_many_stops_after_a_message_that_closed_the_transport() -> None:
    h = ready()
    kicked = _push("customer_disconnected", {"reason": "too_many_connections"})
    later = _push("customer_updated", {"id": "cust"})
    assert h.client.receive_many([kicked, later, later], 0.0) is True
    out = h.drain()
    assert sum(isinstance(o, CloseTransport) for o in out) == 1
    assert h.client.phase.value == "stopped"  # terminal; the later messages were not fed
    h2 = ready()
    assert h2.client.receive_many([later, kicked], 0.0) is True  # the last one closed it

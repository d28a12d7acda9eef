"""v3.md section 2: the protocol ping, the 10-request cap, which calls resolve on their push."""

from __future__ import annotations

import json
from dataclasses import replace

from customer_protocol import CloseTransport, Config, MessageDropped, ProtocolErrorReport, SendPing
from tests.core.harness import Harness, Sent, error, events, names, of, value
from tests.core.v3 import samples as s
from tests.core.v3.harness3 import V3Harness, incoming_chat, incoming_event


def ready() -> V3Harness:
    h = V3Harness()
    h.connect()
    return h


def test_the_client_pings_with_the_protocol_message_every_15_s_after_login() -> None:
    h = V3Harness()
    h.client.connect(h.now)
    h.drain()
    assert h.client.next_deadline() == 20.0  # the token deadline, not a ping
    h.connect()
    out = h.advance(15.0)
    ping = h.one(out, "ping")
    assert ping.payload == {} and ping.request_id is not None
    assert not of(out, SendPing)


def test_an_unanswered_ping_is_a_transport_loss_after_15_s() -> None:
    h = ready()
    h.advance(15.0)
    out = h.advance(14.9)
    assert not of(out, CloseTransport)
    out = h.advance(0.1)
    assert [c.code for c in of(out, CloseTransport)] == [1011]
    assert names(out) == ["connection_lost"]


def test_the_ping_response_proves_the_link_alive() -> None:
    h = ready()
    ping = h.one(h.advance(15.0), "ping")
    out = h.respond(ping, {})
    assert not of(out, MessageDropped)  # a known request, not a stray response
    out = h.advance(15.0)  # the next ping, no close
    assert not of(out, CloseTransport)
    assert h.one(out, "ping")


def test_a_control_pong_does_not_replace_the_ping_response() -> None:
    h = ready()
    h.advance(15.0)
    h.client.pong_received(h.now + 1)
    out = h.advance(15.0)
    assert of(out, CloseTransport)


def test_never_more_than_10_requests_in_flight_the_rest_wait_in_call_order() -> None:
    h = ready()
    calls = []
    written = []
    for index in range(13):
        call, out = h.call("send_message", "CH1", f"m{index}")
        calls.append(call)
        written += h.sent(out)
    assert [w.payload["event"]["text"] for w in written] == [f"m{i}" for i in range(10)]
    out = h.respond(written[3], {"event_id": "E3"})
    more = h.sent(out)
    assert [w.payload["event"]["text"] for w in more] == ["m10"]
    out = h.push(
        "incoming_event",
        incoming_event(s.message("E0", custom_id=written[0].payload["event"]["custom_id"])),
        written[0].request_id,
    )
    assert [w.payload["event"]["text"] for w in h.sent(out)] == ["m11"]
    assert value(out, calls[0]).id == "E0"


def test_the_ping_never_exceeds_the_cap() -> None:
    h = ready()
    for index in range(10):
        h.call("send_message", "CH1", f"m{index}")
    out = h.advance(15.0)
    assert h.sent(out) == []
    # The link is still checked: nothing answered within 15 s is a transport loss.
    assert of(h.advance(15.0), CloseTransport)


def test_only_push_resolved_calls_wait_for_their_push() -> None:
    h = ready()
    call, out = h.call("update_chat_properties", "CH1", {"ns": {"k": 1}})
    sent = h.one(out, "update_chat_properties")
    assert sent.payload == {"id": "CH1", "properties": {"ns": {"k": 1}}}
    out = h.respond(sent)
    assert value(out, call) is True  # on the response, no 2 s wait
    # The push carrying that request's id is an ordinary push.
    out = h.push(
        "chat_properties_updated",
        {"chat_id": "CH1", "properties": {"ns": {"k": 1}}},
        sent.request_id,
    )
    assert names(out) == ["chat_properties_updated"]


def test_a_push_with_an_unknown_request_id_is_emitted_not_dropped() -> None:
    h = ready()
    out = h.push("incoming_event", incoming_event(s.message("E9")), "999")
    assert names(out) == ["new_event"]
    assert not of(out, MessageDropped)
    # v0.3 drops it
    old = Harness()
    old.connect()
    out = old.push("incoming_event", {"chat_id": "c", "thread_id": "t", "event": {}}, "999")
    assert of(out, MessageDropped) and names(out) == []


def test_customer_updated_with_our_request_id_is_emitted() -> None:
    h = ready()
    _call, out = h.call("get_customer")
    sent = h.one(out, "get_customer")
    out = h.push("customer_updated", {"name": "Ann"}, sent.request_id)
    assert names(out) == ["customer_updated"]


def test_a_response_with_an_unknown_id_is_dropped() -> None:
    h = ready()
    out = h.feed(
        {
            "request_id": "77",
            "action": "get_chat",
            "type": "response",
            "success": True,
            "payload": {},
        }
    )
    assert of(out, MessageDropped)


def test_send_event_resolves_on_its_push_which_is_not_emitted() -> None:
    h = ready()
    call, out = h.call("send_message", "CH1", "hi")
    sent = h.one(out, "send_event")
    custom_id = sent.payload["event"]["custom_id"]
    h.respond(sent, {"event_id": "E1"})
    out = h.push(
        "incoming_event", incoming_event(s.message("E1", custom_id=custom_id)), sent.request_id
    )
    assert names(out) == []
    assert value(out, call).id == "E1" and value(out, call).timestamp == s.T1_MS


def test_send_event_falls_back_to_its_response_after_2_s() -> None:
    h = ready()
    call, out = h.call("send_message", "CH1", "hi")
    sent = h.one(out, "send_event")
    h.respond(sent, {"event_id": "E1"})
    assert h.advance(1.9) == []
    out = h.advance(0.1)
    event = value(out, call)
    assert (event.id, event.text, event.custom_id) == (
        "E1",
        "hi",
        sent.payload["event"]["custom_id"],
    )


def test_start_chat_resolves_on_incoming_chat_with_user_data_and_thread_summary_first() -> None:
    h = ready()
    call, out = h.call("start_chat")
    sent = h.one(out, "start_chat")
    h.respond(sent, {"chat_id": "CH1", "thread_id": "TH1"})
    out = h.push("incoming_chat", incoming_chat(), sent.request_id)
    assert names(out) == ["user_data", "user_data", "thread_summary"]
    chat = value(out, call)
    assert (chat.id, chat.threads) == ("CH1", ("TH1",))
    assert events(out)[2].order == s.T0_MS


def test_the_protocol_ping_is_json() -> None:
    h = ready()
    out = h.advance(15.0)
    message = json.loads(next(o for o in out if hasattr(o, "data")).data)
    assert message["action"] == "ping" and message["payload"] == {}


def test_a_malformed_resolving_push_fails_its_call_and_is_reported() -> None:
    h = ready()
    call, out = h.call("send_message", "CH1", "hi")
    sent = h.one(out, "send_event")
    out = h.push("incoming_event", {"thread_id": "TH1", "event": s.message("E1")}, sent.request_id)
    assert error(out, call).type == "malformed_response"
    assert of(out, ProtocolErrorReport)
    call, out = h.call("send_message", "CH1", "again")
    sent = h.one(out, "send_event")
    out = h.push("incoming_event", {"chat_id": "CH1", "event": "no"}, sent.request_id)
    assert error(out, call).type == "malformed_response"


def _timed_out(h: V3Harness, count: int = 1) -> list[Sent]:
    """Write ``count`` calls and let them time out on the client (REQUEST_TIMEOUT)."""
    calls, written = [], []
    for _ in range(count):
        call, out = h.call("get_customer")
        calls.append(call)
        written.append(h.one(out, "get_customer"))
    out = h.advance(5.0)
    for call in calls:
        assert error(out, call).code == "REQUEST_TIMEOUT"
    return written


def _burst(h: V3Harness, count: int) -> tuple[list[int], list[Sent]]:
    calls, written = [], []
    for index in range(count):
        call, out = h.call("get_url_info", f"https://example.com/{index}")
        calls.append(call)
        written += h.sent(out)
    return calls, written


def test_a_timed_out_request_keeps_its_slot_until_its_late_answer() -> None:
    # The server still counts it toward its 10 pending: a burst right after the timeout must
    # not make it 11 (pending_requests_limit_reached).
    h = V3Harness(config=replace(Config(), request_timeout=5.0))
    h.connect()
    late = _timed_out(h)[0]
    _calls, written = _burst(h, 10)
    assert len(written) == 9
    # A push carrying its id is no answer of the server: the slot stays taken.
    out = h.push("customer_updated", {"name": "Ann"}, late.request_id)
    assert names(out) == ["customer_updated"] and h.sent(out) == []
    # The late answer is dropped as before and frees the slot: the 10th is written.
    out = h.respond(late, s.customer())
    assert [m.reason for m in of(out, MessageDropped)] == ["unknown request_id"]
    assert [w.payload["url"] for w in h.sent(out)] == ["https://example.com/9"]
    # An answer seen twice frees nothing more.
    for sent in written[:2]:
        h.respond(sent, {"url": sent.payload["url"]})
    out = h.respond(late, s.customer())
    assert of(out, MessageDropped) and h.sent(out) == []
    _calls, more = _burst(h, 3)
    assert len(more) == 2  # 8 + 2 in flight


def test_a_late_error_answer_frees_the_slot_too() -> None:
    h = V3Harness(config=replace(Config(), request_timeout=5.0))
    h.connect()
    late = _timed_out(h, 3)
    _calls, written = _burst(h, 10)
    assert len(written) == 7
    out = h.error(late[1], "request_timeout")
    assert of(out, MessageDropped) and len(h.sent(out)) == 1
    out = h.respond(late[0], s.customer())
    assert len(h.sent(out)) == 1
    out = h.respond(late[2], s.customer())
    assert [w.payload["url"] for w in h.sent(out)] == ["https://example.com/9"]
    _calls, more = _burst(h, 1)
    assert more == []  # ten in flight again


def test_the_late_count_resets_when_the_link_drops() -> None:
    h = V3Harness(config=replace(Config(), request_timeout=5.0))
    h.connect()
    _timed_out(h, 4)
    h.client.transport_closed(h.now)
    h.drain()
    h.advance(60.0)  # the backoff elapsed: the cached token, a new transport
    h.open_and_login()
    _calls, written = _burst(h, 11)
    assert len(written) == 10  # a new link: nothing of the old one counts


def test_a_request_answered_before_its_timeout_holds_no_slot() -> None:
    # A push-resolved call whose response came (the push did not) ends at its timeout from
    # the response: the server let go of it, so it does not count toward the cap.
    h = V3Harness(config=replace(Config(), request_timeout=5.0))
    h.connect()
    call, out = h.call("send_message", "CH1", "hi")
    sent = h.one(out, "send_event")
    h.advance(4.5)
    h.respond(sent, {"event_id": "E1"})
    out = h.advance(0.5)
    assert value(out, call).id == "E1"
    _calls, written = _burst(h, 10)
    assert len(written) == 10

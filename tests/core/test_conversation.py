"""The whole conversation through the core with no socket and no sleep, and determinism: the
same inputs (including the random seed) give the same output stream."""

from __future__ import annotations

from typing import Any

from customer_protocol import (
    CallSucceeded,
    CloseTransport,
    Config,
    Connected,
    ConnectionLost,
    ConnectionRestored,
    HistoryBatch,
    NewEvent,
    Rating,
    UserIsTyping,
)
from customer_protocol.outputs import Output

from .harness import (
    Harness,
    chat,
    ended,
    message,
    names,
    of,
    summaries,
    thread,
    threads_chat,
    value,
)


def conversation(seed: int) -> tuple[Harness, dict[str, Any]]:
    """Play one whole conversation; returns the harness and the results worth checking."""
    h = Harness(Config(history_batch_events=3), seed=seed)
    seen: dict[str, Any] = {}

    # login
    h.connect()

    # start a chat: the server answers with the push carrying our request_id
    call, out = h.call("start_chat", events=[{"type": "message", "text": "Hello"}])
    start = h.one(out, "start_chat")
    assert start.payload is not None
    mine = start.payload["events"][0]["custom_id"]
    first = message("e1", 1, "Hello", author="cust", custom_id=mine)
    opened = chat("c1", thread("t1", 1, [first]))
    h.push("incoming_chat_thread", {"chat": opened}, request_id=start.request_id)
    h.respond(start, {"chat": opened})
    seen["chat"] = value(h.log, call)

    # the agent types and answers
    h.advance(1)
    typing = {"author_id": "agent1", "timestamp": 2, "is_typing": True}
    h.push("incoming_typing_indicator", {"chat_id": "c1", "typing_indicator": typing})
    h.push("incoming_event", {"chat_id": "c1", "thread_id": "t1", "event": message("e2", 2)})

    # the customer types (sneak peek) and answers
    h.client.set_sneak_peek("c1", "Tha", h.now)
    h.client.set_sneak_peek("c1", "Thank", h.now + 0.5)
    h.drain()
    h.advance(2)
    call, out = h.call("send_message", "c1", "Thanks")
    sent = h.one(out, "send_event")
    assert sent.payload is not None
    echo = message("e3", 3, "Thanks", author="cust", custom_id=sent.payload["event"]["custom_id"])
    h.push(
        "incoming_event",
        {"chat_id": "c1", "thread_id": "t1", "event": echo},
        request_id=sent.request_id,
    )
    h.respond(sent, {"thread_id": "t1", "event": echo})
    seen["sent"] = value(h.log, call)

    # history to the end
    cursor = h.client.get_chat_history("c1")
    batches = []
    for _ in range(3):
        call, out = h.call("history_next", cursor)
        for request in h.sent(out):
            if request.action == "get_chat_threads_summary":
                out = h.respond(request, summaries([("t0", 0, 2), ("t1", 1, 3)], 2))
                request = h.one(out, "get_chat_threads")
            known = {
                "t0": thread("t0", 0, [message("o1", 1), message("o2", 2)], active=False),
                "t1": thread("t1", 1, [first, message("e2", 2), echo]),
            }
            assert request.payload is not None
            loads = [known[tid] for tid in request.payload["thread_ids"]]
            h.respond(request, threads_chat("c1", loads))
        batches.append(value(h.log, call))
    seen["history"] = batches

    # rating, then closing the thread
    call, out = h.call("send_rating", "c1", "good", comment="great")
    rating = h.one(out, "update_chat_thread_properties")
    h.respond(rating, {})
    h.push(
        "chat_thread_properties_updated",
        {"chat_id": "c1", "thread_id": "t1", "properties": {"rating": {}}},
        request_id=rating.request_id,
    )
    seen["rating"] = value(h.log, call)
    call, out = h.call("close_thread", "c1")
    close = h.one(out, "close_thread")
    h.respond(close, {})
    h.advance(2)  # no push: resolved from the response after the grace
    seen["closed"] = value(h.log, call)

    # a drop with a send in flight, a reconnect, and the exactly-once resend
    h.push("incoming_chat_thread", {"chat": chat("c1", thread("t2", 2))})
    call, out = h.call("send_message", "c1", "Are you there?")
    lost = h.one(out, "send_event")
    h.drop()
    later, _ = h.call("update_last_seen_timestamp", "c1", timestamp_ms=5_000_999)
    h.until_open()
    out = h.open_and_login()
    lookup = h.sent(out)[-1]
    assert lookup.action == "get_chat_threads_summary"
    out = h.respond(lookup, summaries([("t2", 2, 0)], 3))
    out = h.respond(h.one(out, "get_chat_threads"), threads_chat("c1", [thread("t2", 2)]))
    resent, last_seen = h.sent(out)
    assert resent.payload == lost.payload  # same custom_id: nothing duplicated
    assert last_seen.payload == {"chat_id": "c1", "timestamp": 5000}
    assert lost.payload is not None
    again = message(
        "e4", 1, "Are you there?", author="cust", custom_id=lost.payload["event"]["custom_id"]
    )
    h.push(
        "incoming_event",
        {"chat_id": "c1", "thread_id": "t2", "event": again},
        request_id=resent.request_id,
    )
    h.push(
        "last_seen_timestamp_updated",
        {"chat_id": "c1", "user_id": "cust", "timestamp": 5000},
        request_id=last_seen.request_id,
    )
    seen["resent"] = value(h.log, call)
    seen["last_seen"] = value(h.log, later)

    # keepalive, then destroy
    h.advance(15)
    h.client.pong_received(h.now)
    h.client.destroy()
    h.drain()
    return h, seen


def test_whole_conversation_without_socket_or_sleep() -> None:
    h, seen = conversation(seed=1)
    assert seen["chat"].id == "c1" and seen["chat"].threads == ("t1",)
    assert seen["sent"].text == "Thanks"
    assert [b.done for b in seen["history"]] == [False, True, True]
    assert seen["history"][2] == HistoryBatch(done=True, value=None)
    assert [e.id for e in seen["history"][0].value] == ["e1", "e2", "e3"]
    assert [e.id for e in seen["history"][1].value] == ["o1", "o2"]
    assert seen["rating"] == Rating(chat="c1", thread="t1", value="good", comment="great")
    assert seen["closed"] is True
    assert seen["resent"].id == "e4"
    assert seen["last_seen"] == 5_000_000
    log = h.log
    assert len(of(log, Connected)) == 1 and len(of(log, ConnectionRestored)) == 1
    assert len(of(log, ConnectionLost)) == 1
    assert [e.event.id for e in of(log, NewEvent)] == ["e2"]  # own messages are not echoed
    assert of(log, UserIsTyping)
    peeks = [s.payload for s in h.sent(log) if s.action == "send_sneak_peek"]
    assert peeks == [
        {"chat_id": "c1", "sneak_peek_text": "Tha"},
        {"chat_id": "c1", "sneak_peek_text": "Thank"},
    ]
    assert of(log, CloseTransport)[-1] == CloseTransport(code=1000, reason="destroy")
    assert all(isinstance(e, CallSucceeded) for e in ended(log).values())
    assert h.client.pending_calls == 0
    assert "error" not in names(log)


def stream(outputs: list[Output]) -> list[str]:
    return [repr(o) for o in outputs]


def test_same_inputs_and_seed_give_the_same_output_stream() -> None:
    first, _ = conversation(seed=42)
    second, _ = conversation(seed=42)
    assert len(first.log) > 40
    assert stream(first.log) == stream(second.log)


def test_the_random_seed_is_an_input() -> None:
    first, _ = conversation(seed=1)
    other, _ = conversation(seed=2)
    assert stream(first.log) != stream(other.log)  # generated custom_ids and jitter differ
    assert [type(o) for o in first.log] == [type(o) for o in other.log]

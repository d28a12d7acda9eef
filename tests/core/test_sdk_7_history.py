"""sdk.md section 7: the chat history cursor."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol import (
    ErrorCode,
    HistoryBatch,
    HistoryPosition,
    InvalidArgumentsError,
    ThreadSummaryEvent,
)
from customer_protocol.history import DoneStep, HistoryPlanner, SummaryStep

from .harness import (
    Harness,
    Sent,
    ended,
    error,
    message,
    names,
    of,
    summaries,
    thread,
    threads_chat,
    value,
)


def ready() -> Harness:
    h = Harness()
    h.connect()
    return h


def loaded(tid: str, order: int, count: int) -> dict[str, Any]:
    """A thread with ``count`` events whose ids say where they belong."""
    return thread(tid, order, [message(f"{tid}-e{i}", i) for i in range(count)])


def answer_threads(h: Harness, sent: Sent, specs: dict[str, tuple[int, int]]) -> list[Any]:
    assert sent.action == "get_chat_threads"
    assert sent.payload is not None
    threads = [loaded(tid, *specs[tid]) for tid in sent.payload["thread_ids"]]
    return h.respond(sent, threads_chat("c1", threads))


FOUR = {"t1": (1, 10), "t2": (2, 20), "t3": (3, 30), "t4": (4, 40)}


def test_first_next_reads_the_newest_summary_page_and_loads_at_least_50_events() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    call, out = h.call("history_next", cursor)
    first = h.one(out, "get_chat_threads_summary")
    assert first.payload == {"chat_id": "c1", "offset": 0, "limit": 25}
    out = h.respond(first, summaries([(t, o, n) for t, (o, n) in FOUR.items()], 4))
    load = h.one(out, "get_chat_threads")
    assert load.payload == {"chat_id": "c1", "thread_ids": ["t3", "t4"]}  # 40 + 30 >= 50
    out = answer_threads(h, load, FOUR)
    assert names(out) == ["user_data", "user_data", "thread_summary", "thread_summary"]
    assert of(out, ThreadSummaryEvent) == [
        ThreadSummaryEvent(id="t3", chat="c1", order=3, total_events=30),
        ThreadSummaryEvent(id="t4", chat="c1", order=4, total_events=40),
    ]
    batch = value(out, call)
    assert isinstance(batch, HistoryBatch) and batch.done is False
    assert batch.value is not None and len(batch.value) == 70
    assert batch.value[0].id == "t3-e0" and batch.value[-1].id == "t4-e39"  # chronological
    position = h.client.history_position(cursor)
    assert position.left_to_fetch == 2
    assert position.leftovers == (("t1", 1, 10), ("t2", 2, 20))


def test_leftovers_are_loaded_without_a_new_summary_request_and_end_the_cursor() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    _, out = h.call("history_next", cursor)
    out = h.respond(h.one(out), summaries([(t, o, n) for t, (o, n) in FOUR.items()], 4))
    answer_threads(h, h.one(out), FOUR)
    call, out = h.call("history_next", cursor)
    load = h.one(out, "get_chat_threads")  # straight to the leftovers
    assert load.payload is not None and load.payload["thread_ids"] == ["t1", "t2"]
    batch = value(answer_threads(h, load, FOUR), call)
    assert batch.done is True  # the batch that brings left_to_fetch to 0 carries data
    assert batch.value is not None and [e.id for e in batch.value][:1] == ["t1-e0"]
    call, out = h.call("history_next", cursor)
    assert h.sent(out) == []
    assert value(out, call) == HistoryBatch(done=True, value=None)
    call, out = h.call("history_next", cursor)
    assert value(out, call) == HistoryBatch(done=True, value=None)


def test_without_leftovers_a_probe_reads_the_total_then_offset_is_total_now_minus_left() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    _, out = h.call("history_next", cursor)
    # 30 threads of 1 event: the newest page (25) holds fewer than 50 events: all of it loads.
    page = [(f"n{i}", i, 1) for i in range(6, 31)]
    out = h.respond(h.one(out), summaries(page, 30))
    load = h.one(out, "get_chat_threads")
    assert load.payload is not None and len(load.payload["thread_ids"]) == 25
    h.respond(load, threads_chat("c1", [loaded(t, o, 1) for t, o, _ in page]))
    assert h.client.history_position(cursor).left_to_fetch == 5
    call, out = h.call("history_next", cursor)
    probe = h.one(out, "get_chat_threads_summary")
    # The count request is the SDK's: offset 0 and limit 25 (sdk.md section 7).
    assert probe.payload == {"chat_id": "c1", "offset": 0, "limit": 25}
    # Two threads were created meanwhile: 32 now.
    out = h.respond(probe, summaries([("new2", 32, 1), ("new1", 31, 1)], 32))
    page2 = h.one(out, "get_chat_threads_summary")
    assert page2.payload == {"chat_id": "c1", "offset": 27, "limit": 25}
    old = [(f"n{i}", i, 1) for i in range(1, 6)]
    out = h.respond(page2, summaries(old, 32))
    load = h.one(out, "get_chat_threads")
    assert load.payload is not None
    assert load.payload["thread_ids"] == ["n1", "n2", "n3", "n4", "n5"]  # no new thread, no dup
    out = h.respond(load, threads_chat("c1", [loaded(t, o, 1) for t, o, _ in old]))
    batch = value(out, call)
    assert batch.done is True
    assert [e.id for e in batch.value] == [f"n{i}-e0" for i in range(1, 6)]


def test_calls_are_served_one_at_a_time_in_call_order() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    first = h.client.history_next(cursor, h.now)
    second = h.client.history_next(cursor, h.now)
    third = h.client.history_next(cursor, h.now)
    out = h.drain()
    summary = h.one(out)  # one request at a time
    out = h.respond(summary, summaries([(t, o, n) for t, (o, n) in FOUR.items()], 4))
    out = answer_threads(h, h.one(out), FOUR)
    assert value(out, first).done is False
    load = h.one(out, "get_chat_threads")  # the second call starts right away
    out = answer_threads(h, load, FOUR)
    assert value(out, second).done is True
    assert value(out, third) == HistoryBatch(done=True, value=None)


def test_a_failed_load_fails_the_current_and_every_queued_call_and_can_be_retried() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    first = h.client.history_next(cursor, h.now)
    second = h.client.history_next(cursor, h.now)
    summary = h.one(h.drain())
    out = h.respond(summary, summaries([(t, o, n) for t, (o, n) in FOUR.items()], 4))
    out = h.error(h.one(out, "get_chat_threads"), "internal")
    assert error(out, first).code is ErrorCode.REQUEST_FAILED
    assert error(out, second).code is ErrorCode.REQUEST_FAILED
    assert h.sent(out) == []  # the queue was cleared: nothing more is asked
    assert h.client.history_position(cursor) == HistoryPosition(chat="c1")
    retry, out = h.call("history_next", cursor)
    again = h.one(out, "get_chat_threads_summary")
    assert again.payload == {"chat_id": "c1", "offset": 0, "limit": 25}
    out = h.respond(again, summaries([(t, o, n) for t, (o, n) in FOUR.items()], 4))
    out = answer_threads(h, h.one(out), FOUR)
    assert value(out, retry).done is False


def test_a_failed_summary_request_fails_the_call() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    call, out = h.call("history_next", cursor)
    out = h.error(h.one(out), "authorization")
    assert error(out, call).type == "authorization"


def test_a_chat_with_no_threads_finishes_at_once_without_get_chat_threads() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    call, out = h.call("history_next", cursor)
    out = h.respond(h.one(out), summaries([], 0))
    assert h.sent(out) == []
    assert value(out, call) == HistoryBatch(done=True, value=())


def test_an_empty_summary_page_ends_the_cursor_instead_of_looping() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    call, out = h.call("history_next", cursor)
    out = h.respond(h.one(out), summaries([], 7))  # claims 7 threads, sends none
    assert h.sent(out) == []
    assert value(out, call).done is True
    call, out = h.call("history_next", cursor)
    assert h.sent(out) == [] and value(out, call) == HistoryBatch(done=True, value=None)


def test_a_short_get_chat_threads_reply_ends_the_cursor() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    call, out = h.call("history_next", cursor)
    out = h.respond(h.one(out), summaries([(t, o, n) for t, (o, n) in FOUR.items()], 4))
    load = h.one(out)
    out = h.respond(load, threads_chat("c1", [loaded("t4", 4, 40)]))  # t3 is missing
    batch = value(out, call)
    assert batch.done is True and batch.value is not None and len(batch.value) == 40
    call, out = h.call("history_next", cursor)
    assert h.sent(out) == [] and value(out, call).value is None


def test_an_empty_later_page_ends_the_cursor() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    _, out = h.call("history_next", cursor)
    page = [(f"n{i}", i, 1) for i in range(6, 31)]
    out = h.respond(h.one(out), summaries(page, 30))
    h.respond(h.one(out), threads_chat("c1", [loaded(t, o, 1) for t, o, _ in page]))
    call, out = h.call("history_next", cursor)
    out = h.respond(h.one(out), summaries([], 30))
    out = h.respond(h.one(out), summaries([], 30))
    assert h.sent(out) == []
    assert value(out, call) == HistoryBatch(done=True, value=())


def test_the_position_is_serialisable_and_a_new_cursor_resumes_from_it() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    _, out = h.call("history_next", cursor)
    out = h.respond(h.one(out), summaries([(t, o, n) for t, (o, n) in FOUR.items()], 4))
    answer_threads(h, h.one(out), FOUR)
    saved = h.client.history_position(cursor).to_dict()
    assert saved == {
        "chat": "c1",
        "left_to_fetch": 2,
        "leftovers": [["t1", 1, 10], ["t2", 2, 20]],
        "done": False,
    }
    import json

    restored = HistoryPosition.from_dict(json.loads(json.dumps(saved)))
    assert restored == h.client.history_position(cursor)
    # a restarted client resumes where the first one stopped
    other = ready()
    resumed = other.client.get_chat_history("c1", position=restored)
    call, out = other.call("history_next", resumed)
    load = other.one(out, "get_chat_threads")
    assert load.payload is not None and load.payload["thread_ids"] == ["t1", "t2"]
    assert value(answer_threads(other, load, FOUR), call).done is True


def test_a_finished_position_resumes_as_finished() -> None:
    h = ready()
    done = HistoryPosition.from_dict({"chat": "c1", "left_to_fetch": 0, "done": True})
    cursor = h.client.get_chat_history("c1", position=done)
    call, out = h.call("history_next", cursor)
    assert h.sent(out) == [] and value(out, call) == HistoryBatch(done=True, value=None)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"chat": ""},
        {"chat": 5},
        {"chat": "c", "left_to_fetch": -1},
        {"chat": "c", "left_to_fetch": "3"},
        {"chat": "c", "leftovers": [["t", "x", 1]]},
        {"chat": "c", "leftovers": [["t", 1]]},
        {"chat": "c", "leftovers": 5},
    ],
)
def test_a_malformed_position_is_invalid_args(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentsError):
        HistoryPosition.from_dict(data)


def test_history_requests_wait_in_the_outbox_while_not_connected() -> None:
    h = ready()
    h.drop()
    cursor = h.client.get_chat_history("c1")
    call = h.client.history_next(cursor, h.now)
    assert h.drain() == []
    h.until_open()
    out = h.open_and_login()
    assert h.sent(out)[-1].action == "get_chat_threads_summary"
    assert call not in ended(h.log)


def test_a_history_call_in_flight_fails_with_connection_lost_on_a_drop() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    call, _ = h.call("history_next", cursor)
    out = h.drop()
    assert error(out, call).code is ErrorCode.CONNECTION_LOST


def test_disconnect_fails_queued_history_calls() -> None:
    h = ready()
    cursor = h.client.get_chat_history("c1")
    first = h.client.history_next(cursor, h.now)
    second = h.client.history_next(cursor, h.now)
    h.client.disconnect(h.now)
    out = h.drain()
    assert error(out, first).code is ErrorCode.CONNECTION_LOST
    assert error(out, second).code is ErrorCode.CONNECTION_LOST


def test_planner_batch_size_is_configurable_and_a_single_large_thread_is_one_batch() -> None:
    planner = HistoryPlanner(HistoryPosition(chat="c"), batch_events=5)
    step = planner.begin()
    assert step == SummaryStep(offset=0, limit=25)
    from customer_protocol.models import ThreadsSummary, ThreadSummary

    summary = ThreadsSummary(
        threads_summary=(
            ThreadSummary(id="a", chat="c", order=1, total_events=3),
            ThreadSummary(id="b", chat="c", order=2, total_events=100),
        ),
        total_threads=2,
    )
    nxt = planner.on_summary(step, summary)
    assert getattr(nxt, "thread_ids", None) == ("b",)
    planner.abort()
    assert planner.position == HistoryPosition(chat="c")
    assert isinstance(HistoryPlanner(HistoryPosition(chat="c", done=True)).begin(), DoneStep)

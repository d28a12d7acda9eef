"""v3.md section 6: the history cursor on list_threads + page_id."""

from __future__ import annotations

import pytest

from customer_protocol import HistoryPosition, InvalidArgumentsError
from tests.core.harness import error, names, value
from tests.core.v3 import samples as s
from tests.core.v3.harness3 import V3Harness, threads_page


def ready() -> V3Harness:
    h = V3Harness()
    h.connect()
    return h


def next_of(h: V3Harness, cursor: int) -> tuple[int, list[object]]:
    call = h.client.history_next(cursor, h.now)
    return call, h.drain()


def test_pages_then_done_with_data_then_done_without() -> None:
    h = ready()
    cursor = h.client.get_chat_history("CH1")
    call, out = next_of(h, cursor)
    first = h.one(out, "list_threads")
    assert first.payload == {"chat_id": "CH1", "min_events_count": 50}
    newer = s.thread("TH3", created_at=s.T3, events=[s.message("TH3_1", s.T3)])
    older = s.thread(
        "TH2", created_at=s.T1, events=[s.message("TH2_1", s.T1), s.message("TH2_2", s.T2)]
    )
    out = h.respond(first, threads_page(newer, older, next_page_id="NEXT"))
    assert names(out) == ["thread_summary", "thread_summary"]
    assert [e.id for e in out if getattr(e, "name", "") == "thread_summary"] == ["TH2", "TH3"]
    batch = value(out, call)
    assert batch.done is False
    assert [e.id for e in batch.value] == ["TH2_1", "TH2_2", "TH3_1"]
    assert h.client.history_position(cursor) == HistoryPosition(chat="CH1", page_id="NEXT")

    call, out = next_of(h, cursor)
    second = h.one(out, "list_threads")
    assert second.payload == {"chat_id": "CH1", "page_id": "NEXT"}
    out = h.respond(second, threads_page(s.thread("TH1", events=[s.message("TH1_1")])))
    batch = value(out, call)
    assert batch.done is True and [e.id for e in batch.value] == ["TH1_1"]

    call, out = next_of(h, cursor)
    assert h.sent(out) == []
    assert value(out, call).done is True and value(out, call).value is None


def test_the_position_serialises_and_resumes() -> None:
    h = ready()
    position = HistoryPosition.from_dict(HistoryPosition(chat="CH1", page_id="P9").to_dict())
    cursor = h.client.get_chat_history("CH1", position=position)
    _, out = next_of(h, cursor)
    assert h.one(out, "list_threads").payload == {"chat_id": "CH1", "page_id": "P9"}
    with pytest.raises(InvalidArgumentsError):
        h.client.get_chat_history("CH2", position=position)


def test_a_failed_page_fails_the_queued_calls_and_keeps_the_position() -> None:
    h = ready()
    cursor = h.client.get_chat_history("CH1")
    first, out = next_of(h, cursor)
    second, _ = next_of(h, cursor)
    out = h.error(h.one(out, "list_threads"), "not_found", "page expired")
    assert error(out, first).type == "not_found"
    assert error(out, second).type == "not_found"
    assert h.client.history_position(cursor) == HistoryPosition(chat="CH1")
    _, out = next_of(h, cursor)  # the cursor can be retried
    assert h.one(out, "list_threads").payload == {"chat_id": "CH1", "min_events_count": 50}


def test_calls_are_served_one_at_a_time() -> None:
    h = ready()
    cursor = h.client.get_chat_history("CH1")
    first, out = next_of(h, cursor)
    _second, more = next_of(h, cursor)
    assert h.sent(more) == []
    out = h.respond(h.one(out), threads_page(s.thread("TH2"), next_page_id="N"))
    assert value(out, first).done is False
    assert h.one(out, "list_threads").payload == {"chat_id": "CH1", "page_id": "N"}


def test_a_position_of_another_kind_is_invalid_in_both_dialects() -> None:
    from tests.core.harness import Harness

    for h in (ready(), Harness()):
        with pytest.raises(InvalidArgumentsError, match="Malformed"):
            h.client.get_chat_history("CH1", position={"chat": "CH1"})  # type: ignore[arg-type]

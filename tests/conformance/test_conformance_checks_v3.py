"""The v3 shape checks: RFC 3339 times, events, threads and every frame (version, fields)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.conformance import Failed
from adapters.conformance.checks_v3 import (
    expect_rfc3339,
    expect_v3_event,
    expect_v3_thread,
    v3_frame_problems,
)
from adapters.conformance.driver import Frame

NOW = datetime.now(UTC)


def stamp(when: datetime = NOW) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_rfc3339_with_microseconds_near_now_passes() -> None:
    expect_rfc3339(stamp(), "t")
    expect_rfc3339(NOW.isoformat(timespec="microseconds"), "t")  # +00:00 offset


@pytest.mark.parametrize(
    "value",
    [
        NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),  # no fraction
        NOW.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",  # milliseconds only
        stamp(NOW - timedelta(days=3)),  # not near now
        int(NOW.timestamp()),  # v0.3 seconds
        "2026-13-40T25:61:61.000000Z",  # no such date
        None,
    ],
)
def test_other_times_fail_naming_the_field(value: Any) -> None:
    with pytest.raises(Failed, match="created_at an RFC 3339 time"):
        expect_rfc3339(value, "created_at")


def test_events_and_threads() -> None:
    event = {"id": "E1", "created_at": stamp(), "type": "message", "text": "hi"}
    assert expect_v3_event(event) is event
    with pytest.raises(Failed, match="without order"):
        expect_v3_event({**event, "order": 3})
    with pytest.raises(Failed, match="event with"):
        expect_v3_event({"id": "E1", "type": "message"})
    thread = {"id": "T1", "active": True, "user_ids": [], "events": [event], "created_at": stamp()}
    assert expect_v3_thread(thread) is thread
    with pytest.raises(Failed, match="active a boolean"):
        expect_v3_thread({**thread, "active": "yes"})
    with pytest.raises(Failed, match=r"thread.events\[0\].created_at"):
        expect_v3_thread({**thread, "events": [{**event, "created_at": 1}]})


def push(action: str, payload: dict[str, Any], **extra: Any) -> Frame:
    return Frame(message={"action": action, "type": "push", "payload": payload, **extra})


def test_frame_problems_of_a_v3_connection() -> None:
    good = [
        push("chat_deactivated", {"chat_id": "C", "thread_id": "T"}, version="3.6"),
        Frame(message={"action": "ping", "type": "response", "success": True, "payload": {}}),
        push("some_future_push", {}, version="3.6"),  # unknown pushes are fine
    ]
    assert v3_frame_problems(good, "3.6") == []
    bad = [
        push("chat_deactivated", {"chat_id": "C", "thread_id": "T"}),  # no version
        push("chat_deactivated", {"chat_id": "C", "thread_id": "T"}, version="3.4"),
        push("incoming_event", {"chat_id": "C", "thread_id": "T"}, version="3.6"),
        push("incoming_chat", {"chat": {"id": "C"}}, version="3.6"),
        Frame(text="not json"),
        Frame(message={"action": "x", "type": "response", "payload": {}}),
    ]
    problems = v3_frame_problems(bad, "3.6")
    assert len(problems) == len(bad)
    assert "without version '3.6'" in problems[0] and "without version" in problems[1]
    assert "missing ['event']" in problems[2] and "without chat.thread" in problems[3]
    assert "not a JSON object" in problems[4] and "boolean success" in problems[5]

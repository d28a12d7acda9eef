"""v3.md section 9 through the engine: pushes become events, and what they say is tracked."""

from __future__ import annotations

from customer_protocol import ProtocolErrorReport
from tests.core.harness import events, names, of
from tests.core.v3 import samples as s
from tests.core.v3.harness3 import V3Harness, incoming_chat, incoming_event


def ready() -> V3Harness:
    h = V3Harness()
    h.connect()
    return h


def test_incoming_chat_gives_user_data_thread_summary_then_new_events_in_array_order() -> None:
    h = ready()
    out = h.push("incoming_chat", incoming_chat())
    assert names(out) == ["user_data", "user_data", "thread_summary", "new_event", "new_event"]
    assert [e.event.id for e in events(out)[3:]] == ["TH1_1", "TH1_2"]


def test_chat_deactivated_is_thread_closed_and_the_next_send_resumes() -> None:
    h = ready()
    out = h.push("chat_deactivated", {"chat_id": "CH1", "thread_id": "TH1"})
    assert names(out) == ["thread_closed"]
    _, out = h.call("send_message", "CH1", "back")
    assert h.one(out, "resume_chat")
    # and a sneak peek to a chat known inactive is not sent
    h.client.set_sneak_peek("CH1", "typing", h.now)
    assert h.sent(h.drain()) == []


def test_events_marked_as_seen_is_last_seen_timestamp_updated_in_ms() -> None:
    h = ready()
    out = h.push(
        "events_marked_as_seen", {"chat_id": "CH1", "user_id": s.AGENT_ID, "seen_up_to": s.T1}
    )
    (event,) = events(out)
    assert (event.name, event.chat, event.user, event.timestamp) == (
        "last_seen_timestamp_updated",
        "CH1",
        s.AGENT_ID,
        s.T1_MS,
    )


def test_a_v3_push_is_an_event_named_after_it() -> None:
    h = ready()
    out = h.push(
        "queue_position_updated", {"chat_id": "CH1", "thread_id": "TH1", "queue": {"position": 2}}
    )
    out += h.push("a_push_from_the_future", {"x": 1})
    assert [e.name for e in events(out)] == ["queue_position_updated", "a_push_from_the_future"]
    assert events(out)[0].queue.position == 2
    assert events(out)[-1].payload == {"x": 1}


def test_a_malformed_push_is_reported_and_dropped() -> None:
    h = ready()
    out = h.push("incoming_event", {"chat_id": "CH1"})
    assert [type(e) for e in events(out)] == [ProtocolErrorReport]
    out = h.push("incoming_event", incoming_event(s.message("E1")))
    assert names(out) == ["new_event"]
    assert not of(out, ProtocolErrorReport)


def test_a_typing_indicator() -> None:
    h = ready()
    out = h.push(
        "incoming_typing_indicator",
        {
            "chat_id": "CH1",
            "thread_id": "TH1",
            "typing_indicator": {
                "author_id": s.AGENT_ID,
                "timestamp": 1574245378,
                "is_typing": True,
            },
        },
    )
    assert names(out) == ["user_is_typing"]

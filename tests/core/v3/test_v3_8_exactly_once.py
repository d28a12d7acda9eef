"""v3.md section 8 (and sdk.md section 2): exactly-once sends over list_threads."""

from __future__ import annotations

from tests.core.harness import error, names, value
from tests.core.v3 import samples as s
from tests.core.v3.harness3 import V3Harness, incoming_event, threads_page


def in_flight() -> tuple[V3Harness, int, str]:
    h = V3Harness()
    h.connect()
    call, out = h.call("send_message", "CH1", "hi", custom_id="mine")
    h.one(out, "send_event")
    h.drop()
    h.until_open()
    return h, call, "mine"


def relogin(h: V3Harness) -> list[object]:
    return h.open_and_login()


def lookup_of(h: V3Harness, out: list[object]) -> object:
    (lookup,) = [sent for sent in h.sent(out) if sent.action == "list_threads"]  # type: ignore[arg-type]
    return lookup


def test_a_send_in_flight_at_a_drop_is_looked_up_and_resolved_when_found() -> None:
    h, call, custom_id = in_flight()
    out = relogin(h)
    lookup = lookup_of(h, out)
    assert lookup.payload == {"chat_id": "CH1", "limit": 25}
    found = s.thread("TH1", events=[s.message("TH1_7", custom_id=custom_id)])
    out = h.respond(lookup, threads_page(found))
    assert value(out, call).id == "TH1_7"
    assert h.sent(out) == []


def test_a_send_not_found_is_sent_again_first() -> None:
    h, _call, custom_id = in_flight()
    _other, _ = h.call("send_message", "CH1", "later")
    out = relogin(h)
    out = h.respond(lookup_of(h, out), threads_page(s.thread("TH1")))
    again = h.sent(out)
    assert next(a.payload["event"]["custom_id"] for a in again) == custom_id
    assert [a.payload["event"]["text"] for a in again] == ["hi", "later"]


def test_an_echo_of_our_own_send_resolves_it() -> None:
    h, call, custom_id = in_flight()
    out = relogin(h)
    lookup = lookup_of(h, out)
    out = h.push("incoming_event", incoming_event(s.message("TH1_8", custom_id=custom_id)))
    assert value(out, call).id == "TH1_8"
    assert names(out) == []  # not shown back as someone else's message
    out = h.respond(lookup, threads_page(s.thread("TH1")))  # type: ignore[arg-type]
    assert h.sent(out) == []  # not sent again


def test_the_lookup_pages_back_to_the_thread_that_was_newest_when_the_send_was_written() -> None:
    h = V3Harness()
    h.connect()
    # TH1 is the chat's newest known thread when the send is written
    h.push("incoming_chat", {"chat": s.chat("CH1", thread=s.thread("TH1", created_at=s.T0))})
    call, out = h.call("send_message", "CH1", "hi", custom_id="mine")
    h.drop()
    h.until_open()
    out = relogin(h)
    first = lookup_of(h, out)
    newer = [s.thread("TH4", created_at=s.T3), s.thread("TH3", created_at=s.T2)]
    out = h.respond(first, threads_page(*newer, next_page_id="P2"))
    second = lookup_of(h, out)
    assert second.payload == {"chat_id": "CH1", "page_id": "P2"}  # type: ignore[attr-defined]
    holder = s.thread("TH1", created_at=s.T0, events=[s.message("TH1_5", custom_id="mine")])
    out = h.respond(second, threads_page(holder, next_page_id="P3"))
    assert value(out, call).id == "TH1_5"
    assert h.sent(out) == []  # found: not sent again, and no page past TH1


def test_a_failed_lookup_fails_the_send_rather_than_risk_a_duplicate() -> None:
    h, call, _ = in_flight()
    out = relogin(h)
    out = h.error(lookup_of(h, out), "internal")  # type: ignore[arg-type]
    assert error(out, call).type == "internal"

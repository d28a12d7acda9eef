"""sdk.md section 6: sneak peeks, throttled per chat, leading and trailing edge."""

from __future__ import annotations

from customer_protocol import CallFailed, Config, MessageDropped
from customer_protocol.throttle import SneakPeekThrottle

from .harness import Harness, chat, message, of, thread, threads_chat


def ready(config: Config | None = None) -> Harness:
    h = Harness(config)
    h.connect()
    return h


def peeks(h: Harness, outputs: list[object]) -> list[tuple[str, str]]:
    return [
        (s.payload["chat_id"], s.payload["sneak_peek_text"])
        for s in h.sent(outputs)  # type: ignore[arg-type]
        if s.action == "send_sneak_peek" and s.payload
    ]


def peek(h: Harness, chat_id: str, text: str, at: float) -> list[tuple[str, str]]:
    out = h.advance_to(at)
    assert h.client.set_sneak_peek(chat_id, text, h.now) is None  # returns immediately
    return peeks(h, out + h.drain())


def test_sdk_example_h_at_0_then_he_and_hel_send_hel_at_2() -> None:
    h = ready()
    h.advance(0.001)  # keep the keepalive out of the way
    start = h.now
    assert peek(h, "c1", "h", start) == [("c1", "h")]
    assert peek(h, "c1", "he", start + 0.5) == []
    assert peek(h, "c1", "hel", start + 1.0) == []
    assert peeks(h, h.advance_to(start + 1.999)) == []
    assert peeks(h, h.advance_to(start + 2.0)) == [("c1", "hel")]
    assert peeks(h, h.advance(10)) == []  # nothing more was waiting


def test_sneak_peek_request_shape() -> None:
    h = ready()
    h.client.set_sneak_peek("c1", "typing…", h.now)
    sent = h.one(h.drain(), "send_sneak_peek")
    assert sent.payload == {"chat_id": "c1", "sneak_peek_text": "typing…"}


def test_each_chat_has_its_own_throttle() -> None:
    h = ready()
    assert peek(h, "c1", "a", 1.0) == [("c1", "a")]
    assert peek(h, "c2", "b", 1.5) == [("c2", "b")]  # not held back by c1's window
    assert peek(h, "c1", "aa", 1.6) == []
    assert peek(h, "c2", "bb", 1.7) == []
    assert peeks(h, h.advance_to(3.0)) == [("c1", "aa")]
    assert peeks(h, h.advance_to(3.5)) == [("c2", "bb")]


def test_a_text_after_the_window_goes_out_at_once() -> None:
    h = ready()
    assert peek(h, "c1", "a", 1.0) == [("c1", "a")]
    assert peek(h, "c1", "ab", 3.0) == [("c1", "ab")]


def test_trailing_edge_starts_a_new_window() -> None:
    h = ready()
    peek(h, "c1", "a", 1.0)
    peek(h, "c1", "ab", 1.5)
    assert peeks(h, h.advance_to(3.0)) == [("c1", "ab")]
    assert peek(h, "c1", "abc", 4.0) == []  # within 2 s of the trailing send
    assert peeks(h, h.advance_to(5.0)) == [("c1", "abc")]


def test_the_interval_is_configuration() -> None:
    h = ready(Config(sneak_peek_interval=0.5))
    peek(h, "c1", "a", 1.0)
    assert peek(h, "c1", "ab", 1.5) == [("c1", "ab")]


def test_not_sent_while_not_connected() -> None:
    h = Harness()
    h.client.connect(h.now)
    h.client.set_sneak_peek("c1", "x", h.now)
    assert peeks(h, h.drain()) == []
    h.connect()
    assert peeks(h, h.log) == []  # not queued for later either


def test_trailing_edge_is_dropped_if_the_link_went_down() -> None:
    h = ready()
    peek(h, "c1", "a", 1.0)
    peek(h, "c1", "ab", 1.5)
    h.drop()
    assert peeks(h, h.advance_to(3.0)) == []


def test_not_sent_for_a_chat_known_to_be_inactive() -> None:
    h = ready()
    h.push("thread_closed", {"chat_id": "c1", "thread_id": "t1"})
    assert peek(h, "c1", "x", 1.0) == []
    assert peek(h, "unknown", "x", 1.0) == [("unknown", "x")]  # unknown chats count as active


def test_close_thread_marks_inactive_and_incoming_chat_thread_marks_active() -> None:
    h = ready()
    _, out = h.call("close_thread", "c1")
    sent = h.one(out)
    h.push("thread_closed", {"chat_id": "c1", "thread_id": "t1"}, request_id=sent.request_id)
    assert peek(h, "c1", "x", 1.0) == []
    h.push("incoming_chat_thread", {"chat": chat("c1", thread("t2", 2))})
    assert peek(h, "c1", "y", 4.0) == [("c1", "y")]


def test_thread_opening_send_event_marks_active() -> None:
    h = ready()
    h.push("thread_closed", {"chat_id": "c1", "thread_id": "t1"})
    _, out = h.call("send_message", "c1", "back", custom_id="m")
    sent = h.one(out)
    opened = chat("c1", thread("t2", 2, [message("e", 1, "back", author="cust", custom_id="m")]))
    h.push("incoming_chat_thread", {"chat": opened}, request_id=sent.request_id)
    assert peek(h, "c1", "x", 1.0) == [("c1", "x")]


def test_active_newest_thread_in_get_chat_threads_marks_active() -> None:
    h = ready()
    h.push("thread_closed", {"chat_id": "c1", "thread_id": "t1"})
    _, out = h.call("get_chat_threads", "c1", ["t1", "t2"])
    threads = [thread("t2", 2, active=True), thread("t1", 1, active=False)]
    h.respond(h.one(out), threads_chat("c1", threads))
    assert peek(h, "c1", "x", 1.0) == [("c1", "x")]


def test_older_thread_loaded_later_does_not_change_activity() -> None:
    h = ready()
    h.push("incoming_chat_thread", {"chat": chat("c1", thread("t5", 5))})
    _, out = h.call("get_chat_threads", "c1", ["t1"])
    h.respond(h.one(out), threads_chat("c1", [thread("t1", 1, active=False)]))
    assert peek(h, "c1", "x", 1.0) == [("c1", "x")]


def test_errors_are_logged_never_raised() -> None:
    h = ready()
    h.client.set_sneak_peek("c1", "x", h.now)
    sent = h.one(h.drain())
    out = h.error(sent, "validation", "too long")
    assert of(out, CallFailed) == []
    assert len(of(out, MessageDropped)) == 1
    assert of(out, MessageDropped)[0].action == "send_sneak_peek"
    h.client.set_sneak_peek("c2", "y", h.now)
    h.drain()
    out = h.advance(30)
    assert of(out, CallFailed) == []
    assert of(out, MessageDropped)


def test_successful_sneak_peek_ends_quietly() -> None:
    h = ready()
    h.client.set_sneak_peek("c1", "x", h.now)
    assert h.respond(h.one(h.drain()), {}) == []
    assert h.client.pending_calls == 0


def test_throttle_forget() -> None:
    throttle = SneakPeekThrottle(2.0)
    assert throttle.offer("c", "a", 0.0) == ("a", None)
    throttle.sent("c", 0.0)
    assert throttle.offer("c", "b", 1.0) == (None, 2.0)
    throttle.forget()
    assert throttle.fire("c") is None
    assert throttle.offer("c", "c", 1.0) == ("c", None)


def test_a_leading_edge_that_took_the_waiting_text_leaves_the_trailing_timer_idle() -> None:
    h = ready()
    peek(h, "c1", "a", 1.0)
    peek(h, "c1", "ab", 2.0)  # waits for 3.0
    h.now = 3.0
    h.client.set_sneak_peek("c1", "abc", h.now)  # the driver is late with handle_timer
    assert peeks(h, h.drain()) == [("c1", "abc")]
    assert peeks(h, h.advance(0)) == []  # the trailing timer finds nothing waiting

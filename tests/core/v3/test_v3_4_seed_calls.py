"""v3.md section 4 in the engine: what each seed method puts on the wire and how it ends."""

from __future__ import annotations

import pytest

from customer_protocol import (
    InvalidArgumentsError,
    MessageDropped,
    NotSupportedError,
    Rating,
    ThreadsSummary,
    UploadFile,
)
from customer_protocol.rfc3339 import format_ms
from tests.core.harness import error, names, of, value
from tests.core.v3 import samples as s
from tests.core.v3.harness3 import (
    V3Harness,
    chats_page,
    incoming_chat,
    threads_page,
)


def ready() -> V3Harness:
    h = V3Harness()
    h.connect()
    return h


def test_start_chat_payload() -> None:
    h = ready()
    _, out = h.call(
        "start_chat",
        events=[{"type": "message", "text": "hi", "custom_id": "c1"}],
        scope={"groups": [2]},
        properties={"ns": {"k": "v"}},
    )
    sent = h.one(out, "start_chat")
    assert sent.payload == {
        "chat": {
            "access": {"group_ids": [2]},
            "properties": {"ns": {"k": "v"}},
            "thread": {"events": [{"type": "message", "text": "hi", "custom_id": "c1"}]},
        }
    }


def resumed(h: V3Harness, sent_payload: dict[str, object], request_id: str | None) -> list[object]:
    event = sent_payload["chat"]["thread"]["events"][0]  # type: ignore[index]
    thread = s.thread(
        "TH2", created_at=s.T3, events=[s.message("TH2_1", custom_id=event["custom_id"])]
    )
    return h.push("incoming_chat", incoming_chat("CH1", thread), request_id)


def test_a_send_to_a_chat_known_inactive_goes_out_as_resume_chat() -> None:
    h = ready()
    h.push("chat_deactivated", {"chat_id": "CH1", "thread_id": "TH1"})
    call, out = h.call("send_message", "CH1", "again", custom_id="mine")
    sent = h.one(out, "resume_chat")
    assert sent.payload == {
        "chat": {
            "id": "CH1",
            "thread": {"events": [{"type": "message", "text": "again", "custom_id": "mine"}]},
        }
    }
    h.respond(sent, {"thread_id": "TH2", "event_ids": ["TH2_1"]})
    out = resumed(h, sent.payload, sent.request_id)  # type: ignore[arg-type]
    assert names(out) == ["user_data", "user_data", "thread_summary"]
    event = value(out, call)
    assert (event.id, event.custom_id, event.thread) == ("TH2_1", "mine", "TH2")


def test_a_send_answered_chat_inactive_is_sent_again_as_resume_chat() -> None:
    h = ready()
    call, out = h.call("send_message", "CH1", "hi", custom_id="mine")
    sent = h.one(out, "send_event")
    out = h.error(sent, "chat_inactive")
    again = h.one(out, "resume_chat")
    assert again.payload["chat"]["thread"]["events"][0]["custom_id"] == "mine"  # type: ignore[index]
    # the response alone resolves it after 2 s
    h.respond(again, {"thread_id": "TH2", "event_ids": ["TH2_9"]})
    out = h.advance(2.0)
    assert value(out, call).id == "TH2_9"
    assert value(out, call).custom_id == "mine"


def test_other_send_errors_fail_the_call() -> None:
    h = ready()
    call, out = h.call("send_message", "CH1", "hi")
    out = h.error(h.one(out, "send_event"), "validation")
    assert error(out, call).type == "validation"


def test_close_thread_is_deactivate_chat_and_marks_the_chat_inactive() -> None:
    h = ready()
    call, out = h.call("close_thread", "CH1")
    sent = h.one(out, "deactivate_chat")
    assert sent.payload == {"id": "CH1"}
    assert value(h.respond(sent), call) is True
    _, out = h.call("send_message", "CH1", "hello?")
    assert h.one(out, "resume_chat")


def test_get_chats_summary_reaches_its_offset_by_walking_pages() -> None:
    h = ready()
    call, out = h.call("get_chats_summary", offset=2, limit=2)
    first = h.one(out, "list_chats")
    assert first.payload == {"limit": 25}
    page1 = chats_page(
        s.chat_summary("A"), s.chat_summary("B"), s.chat_summary("C"), next_page_id="P2"
    )
    page1["total_chats"] = 5
    out = h.respond(first, page1)
    second = h.one(out, "list_chats")
    assert second.payload == {"page_id": "P2"}
    page2 = chats_page(s.chat_summary("D"), s.chat_summary("E"))
    page2["total_chats"] = 5
    out = h.respond(second, page2)
    summary = value(out, call)
    assert sorted(c.id for c in summary.chats_summary) == ["C", "D"]
    assert summary.total_chats == 5


def test_get_chats_summary_checks_its_limit() -> None:
    h = ready()
    with pytest.raises(InvalidArgumentsError, match="max 25"):
        h.call("get_chats_summary", limit=26)


def test_get_chat_threads_asks_get_chat_per_thread_and_sorts_by_order() -> None:
    h = ready()
    call, out = h.call("get_chat_threads", "CH1", ["TH2", "TH1"])
    gets = h.sent(out)
    assert [g.payload for g in gets] == [
        {"chat_id": "CH1", "thread_id": "TH2"},
        {"chat_id": "CH1", "thread_id": "TH1"},
    ]
    h.respond(gets[0], s.chat("CH1", thread=s.thread("TH2", created_at=s.T3)))
    out = h.respond(gets[1], s.chat("CH1", thread=s.thread("TH1", created_at=s.T0)))
    threads = value(out, call)
    assert [t.id for t in threads] == ["TH1", "TH2"]
    assert [t.order for t in threads] == [s.T0_MS, s.T3_MS]


def test_get_chat_threads_summary_derives_summaries_from_list_threads() -> None:
    h = ready()
    call, out = h.call("get_chat_threads_summary", "CH1", offset=0, limit=2)
    sent = h.one(out, "list_threads")
    assert sent.payload == {"chat_id": "CH1", "limit": 2}
    page = threads_page(s.thread("TH2", created_at=s.T3), s.thread("TH1", created_at=s.T0))
    page["found_threads"] = 7
    result = value(h.respond(sent, page), call)
    assert isinstance(result, ThreadsSummary)
    assert [(t.id, t.order, t.total_events) for t in result.threads_summary] == [
        ("TH1", s.T0_MS, 2),
        ("TH2", s.T3_MS, 2),
    ]
    assert result.total_threads == 7


def test_update_last_seen_timestamp_is_mark_events_as_seen_with_the_wall_clock() -> None:
    h = ready()
    call, out = h.call("update_last_seen_timestamp", "CH1", wall_ms=s.T1_MS)
    sent = h.one(out, "mark_events_as_seen")
    assert sent.payload == {"chat_id": "CH1", "seen_up_to": format_ms(s.T1_MS)}
    assert value(h.respond(sent), call) == s.T1_MS
    call, out = h.call("update_last_seen_timestamp", "CH1", timestamp_ms=5000, wall_ms=s.T1_MS)
    assert h.one(out).payload["seen_up_to"] == "1970-01-01T00:00:05.000000Z"  # type: ignore[index]
    with pytest.raises(InvalidArgumentsError):
        h.call("update_last_seen_timestamp", "CH1")


def test_properties_go_out_flat_with_v3_names() -> None:
    h = ready()
    call, out = h.call("update_chat_thread_properties", "CH1", "TH1", {"ns": {"k": 1}})
    sent = h.one(out, "update_thread_properties")
    assert sent.payload == {"chat_id": "CH1", "thread_id": "TH1", "properties": {"ns": {"k": 1}}}
    assert value(h.respond(sent), call) is True


def test_send_rating_finds_the_newest_thread_then_sets_its_rating() -> None:
    h = ready()
    call, out = h.call("send_rating", "CH1", "good", comment="thanks")
    lookup = h.one(out, "list_threads")
    assert lookup.payload == {"chat_id": "CH1", "limit": 1}
    out = h.respond(lookup, threads_page(s.thread("TH5")))
    rate = h.one(out, "update_thread_properties")
    assert rate.payload == {
        "chat_id": "CH1",
        "thread_id": "TH5",
        "properties": {"rating": {"score": 1, "comment": "thanks"}},
    }
    out = h.respond(rate)
    assert value(out, call) == Rating(chat="CH1", thread="TH5", value="good", comment="thanks")


def test_send_rating_of_a_chat_without_threads_fails() -> None:
    h = ready()
    call, out = h.call("send_rating", "CH1", "bad")
    out = h.respond(h.one(out, "list_threads"), threads_page())
    assert error(out, call).type == "validation"


def test_send_file_uploads_then_sends_the_file_event() -> None:
    h = ready()
    call, out = h.call("send_file", "CH1", b"data", filename="a.txt", content_type="text/plain")
    upload = of(out, UploadFile)[0]
    assert (upload.action, upload.chat_id, upload.filename) == ("upload_file", "CH1", "a.txt")
    h.client.upload_finished(call, {"url": "https://cdn.example.test/a.txt"}, h.now)
    sent = h.one(h.drain(), "send_event")
    assert sent.payload == {
        "chat_id": "CH1",
        "event": {
            "type": "file",
            "url": "https://cdn.example.test/a.txt",
            "custom_id": upload.custom_id,
        },
    }
    h.respond(sent, {"event_id": "E7"})
    out = h.advance(2.0)
    assert value(out, call) == "https://cdn.example.test/a.txt"


def test_send_file_checks_the_size_first() -> None:
    h = ready()
    with pytest.raises(InvalidArgumentsError, match="too big"):
        h.call("send_file", "CH1", b"x" * (10 * 1024 * 1024 + 1))


def test_set_sneak_peek_sends_send_sneak_peek() -> None:
    h = ready()
    h.client.set_sneak_peek("CH1", "hel", h.now)
    assert h.one(h.drain(), "send_sneak_peek").payload == {
        "chat_id": "CH1",
        "sneak_peek_text": "hel",
    }


def test_update_chat_scopes_is_not_supported() -> None:
    h = ready()
    with pytest.raises(NotSupportedError) as info:
        h.call("update_chat_scopes", "CH1", add_scopes={"groups": [1]})
    assert info.value.code.value == "NOT_SUPPORTED"


def test_update_customer_sends_both_requests_and_remembers_for_login() -> None:
    h = ready()
    call, out = h.call("update_customer", name="Ann", fields={"plan": "pro"})
    first = h.one(out, "update_customer")
    assert first.payload == {"name": "Ann"}
    second = h.one(h.respond(first), "set_customer_session_fields")
    assert second.payload == {"session_fields": [{"plan": "pro"}]}
    assert value(h.respond(second), call) is True
    h.drop()
    h.until_open()
    h.client.transport_opened(h.now)
    login = h.one(h.drain(), "login")
    assert login.payload["customer"] == {"name": "Ann", "session_fields": [{"plan": "pro"}]}  # type: ignore[index]


def test_send_event_goes_out_with_a_custom_id() -> None:
    h = ready()
    _, out = h.call("send_event", "CH1", {"type": "custom", "content": {"a": 1}})
    sent = h.one(out, "send_event")
    assert sent.payload["event"]["type"] == "custom"  # type: ignore[index]
    assert sent.payload["event"]["custom_id"]  # type: ignore[index]


def test_a_resume_whose_thread_has_no_event_fails_the_send() -> None:
    h = ready()
    h.push("chat_deactivated", {"chat_id": "CH1", "thread_id": "TH1"})
    call, out = h.call("send_message", "CH1", "x")
    sent = h.one(out, "resume_chat")
    out = h.push("incoming_chat", incoming_chat("CH1", s.thread("TH2", events=[])), sent.request_id)
    assert error(out, call).type == "malformed_response"


def test_a_scope_without_groups_sends_no_access() -> None:
    h = ready()
    _, out = h.call("start_chat", scope={"type": "license"})
    assert h.one(out, "start_chat").payload == {}


def test_get_chat_threads_skips_a_chat_without_that_thread() -> None:
    h = ready()
    call, out = h.call("get_chat_threads", "CH1", ["TH9"])
    chat = s.chat("CH1")
    del chat["thread"]
    assert value(h.respond(h.one(out), chat), call) == ()


def test_get_chat_threads_summary_walks_pages_to_its_offset() -> None:
    h = ready()
    call, out = h.call("get_chat_threads_summary", "CH1", offset=1, limit=1)
    first = h.one(out, "list_threads")
    out = h.respond(first, threads_page(s.thread("TH3", created_at=s.T3), next_page_id="N"))
    second = h.one(out, "list_threads")
    assert second.payload == {"chat_id": "CH1", "page_id": "N"}
    page = threads_page(s.thread("TH2", created_at=s.T2))
    del page["found_threads"]
    result = value(h.respond(second, page), call)
    assert [t.id for t in result.threads_summary] == ["TH2"]
    assert result.total_threads == 2


def test_update_customer_email_only() -> None:
    h = ready()
    call, out = h.call("update_customer", email="a@example.test")
    assert value(h.respond(h.one(out, "update_customer")), call) is True


def test_send_rating_uses_the_newest_known_thread() -> None:
    h = ready()
    h.push("incoming_chat", incoming_chat())
    _, out = h.call("send_rating", "CH1", "bad")
    assert h.one(out, "update_thread_properties").payload["thread_id"] == "TH1"  # type: ignore[index]


def test_send_file_checks_its_data() -> None:
    h = ready()
    with pytest.raises(InvalidArgumentsError):
        h.call("send_file", "CH1", "not bytes")


def test_a_sneak_peek_is_dropped_while_10_requests_are_in_flight() -> None:
    h = ready()
    for index in range(10):
        h.call("send_message", "CH1", f"m{index}")
    h.client.set_sneak_peek("CH1", "typing", h.now)
    out = h.drain()
    assert h.sent(out) == []
    assert [d.reason for d in of(out, MessageDropped)] == ["too many requests in flight"]


def test_send_file_to_an_inactive_chat_resumes_it_with_the_file_event() -> None:
    h = ready()
    h.push("chat_deactivated", {"chat_id": "CH1", "thread_id": "TH1"})
    call, out = h.call("send_file", "CH1", b"data")
    upload = of(out, UploadFile)[0]
    h.client.upload_finished(call, {"url": "https://u.test/f"}, h.now)
    sent = h.one(h.drain(), "resume_chat")
    event = sent.payload["chat"]["thread"]["events"][0]  # type: ignore[index]
    assert event == {"type": "file", "url": "https://u.test/f", "custom_id": upload.custom_id}
    thread = s.thread("TH2", events=[dict(s.file_event(), custom_id=upload.custom_id)])
    out = h.push("incoming_chat", incoming_chat("CH1", thread), sent.request_id)
    assert value(out, call) == "https://u.test/f"

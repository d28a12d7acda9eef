"""v3.md section 5: the new methods, NOT_SUPPORTED in the dialect that lacks them."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol import NotSupportedError
from tests.core.harness import Harness, error, value
from tests.core.v3 import samples as s
from tests.core.v3.harness3 import V3Harness, incoming_chat, threads_page

# method -> (args before now, kwargs, action, payload)
CASES: dict[str, tuple[tuple[Any, ...], dict[str, Any], str, dict[str, Any]]] = {
    "list_chats": ((), {"limit": 5}, "list_chats", {"limit": 5}),
    "list_threads": (
        ("CH1",),
        {"page_id": "P"},
        "list_threads",
        {"chat_id": "CH1", "page_id": "P"},
    ),
    "get_chat": (("CH1",), {"thread": "TH1"}, "get_chat", {"chat_id": "CH1", "thread_id": "TH1"}),
    "deactivate_chat": (("CH1",), {}, "deactivate_chat", {"id": "CH1"}),
    "delete_event": (
        ("CH1", "TH1", "E1"),
        {},
        "delete_event",
        {"chat_id": "CH1", "thread_id": "TH1", "event_id": "E1"},
    ),
    "send_rich_message_postback": (
        ("CH1", "TH1", "E1"),
        {"postback_id": "p", "toggled": True},
        "send_rich_message_postback",
        {
            "chat_id": "CH1",
            "thread_id": "TH1",
            "event_id": "E1",
            "postback": {"id": "p", "toggled": True},
        },
    ),
    "delete_chat_properties": (
        ("CH1", {"ns": ["k"]}),
        {},
        "delete_chat_properties",
        {"id": "CH1", "properties": {"ns": ["k"]}},
    ),
    "delete_thread_properties": (
        ("CH1", "TH1", {"ns": ["k"]}),
        {},
        "delete_thread_properties",
        {"chat_id": "CH1", "thread_id": "TH1", "properties": {"ns": ["k"]}},
    ),
    "update_event_properties": (
        ("CH1", "TH1", "E1", {"ns": {"k": 1}}),
        {},
        "update_event_properties",
        {"chat_id": "CH1", "thread_id": "TH1", "event_id": "E1", "properties": {"ns": {"k": 1}}},
    ),
    "delete_event_properties": (
        ("CH1", "TH1", "E1", {"ns": ["k"]}),
        {},
        "delete_event_properties",
        {"chat_id": "CH1", "thread_id": "TH1", "event_id": "E1", "properties": {"ns": ["k"]}},
    ),
    "get_customer": ((), {}, "get_customer", {}),
    "set_customer_session_fields": (
        ({"a": "1"},),
        {},
        "set_customer_session_fields",
        {"session_fields": [{"a": "1"}]},
    ),
    "update_customer_page": (
        ("https://x.test/",),
        {"title": "X"},
        "update_customer_page",
        {"url": "https://x.test/", "title": "X"},
    ),
    "list_group_statuses": ((), {}, "list_group_statuses", {"all": True}),
    "get_form": ((0, "prechat"), {}, "get_form", {"group_id": 0, "type": "prechat"}),
    "get_predicted_agent": ((), {}, "get_predicted_agent", {}),
    "get_url_info": (("https://x.test/",), {}, "get_url_info", {"url": "https://x.test/"}),
    "mark_events_as_seen": (
        ("CH1", s.T1_MS),
        {},
        "mark_events_as_seen",
        {"chat_id": "CH1", "seen_up_to": "2024-03-01T10:00:01.250000Z"},
    ),
    "accept_greeting": ((7, "u1"), {}, "accept_greeting", {"greeting_id": 7, "unique_id": "u1"}),
    "cancel_greeting": (("u1",), {}, "cancel_greeting", {"unique_id": "u1"}),
    "send_greeting_button_clicked": (
        ("u1", "b1"),
        {},
        "send_greeting_button_clicked",
        {"greeting_unique_id": "u1", "button_id": "b1"},
    ),
    "request_welcome_message": ((), {"group_id": 1}, "request_welcome_message", {"group_id": 1}),
}
V36_ONLY = ["delete_event", "send_greeting_button_clicked", "request_welcome_message"]


def ready(api: str = "3.6") -> V3Harness:
    h = V3Harness(api=api)
    h.connect()
    return h


def call(h: Harness, method: str, *args: Any, **kwargs: Any) -> tuple[int, list[Any]]:
    """Call a v3 method; its ``now`` goes after the positional arguments."""
    result = getattr(h.client, method)(*args, h.now, **kwargs)
    return result, h.drain()


@pytest.mark.parametrize("method", sorted(CASES))
def test_each_new_method_sends_its_action(method: str) -> None:
    args, kwargs, action, payload = CASES[method]
    h = ready()
    _, out = call(h, method, *args, **kwargs)
    sent = h.one(out, action)
    assert sent.payload == payload


ARGS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    **{name: (case[0], case[1]) for name, case in CASES.items()},
    "resume_chat": (("CH1",), {}),
    "cancel_rate": (("CH1",), {}),
    "upload_file": ((b"x",), {}),
}


@pytest.mark.parametrize("method", sorted(ARGS))
def test_each_new_method_is_not_supported_in_v03(method: str) -> None:
    args, kwargs = ARGS[method]
    h = Harness()
    h.connect()
    with pytest.raises(NotSupportedError):
        call(h, method, *args, **kwargs)
    assert h.client.pending_calls == 0


@pytest.mark.parametrize("method", V36_ONLY)
def test_v36_methods_are_not_supported_in_v35(method: str) -> None:
    args, kwargs, _, _ = CASES[method]
    h = ready("3.5")
    with pytest.raises(NotSupportedError):
        call(h, method, *args, **kwargs)


def test_typed_results() -> None:
    h = ready()
    c, out = call(h, "get_customer")
    customer = value(h.respond(h.one(out), s.customer(statistics={"chats_count": 2})), c)
    assert customer.id == s.CUSTOMER_ID
    c, out = call(h, "list_threads", "CH1")
    page = value(h.respond(h.one(out), threads_page(s.thread("TH1"), next_page_id="N")), c)
    assert (page.next_page_id, [t.id for t in page.threads]) == ("N", ["TH1"])
    c, out = call(h, "list_group_statuses", group_ids=[1])
    sent = h.one(out)
    assert sent.payload == {"group_ids": [1]}
    assert value(h.respond(sent, {"groups_status": {"1": "online"}}), c) == {1: "online"}


def test_resume_chat_resolves_with_the_chat_on_incoming_chat() -> None:
    h = ready()
    c, out = call(
        h, "resume_chat", "CH1", events=[{"type": "message", "text": "x", "custom_id": "k"}]
    )
    sent = h.one(out, "resume_chat")
    assert sent.payload == {
        "chat": {
            "id": "CH1",
            "thread": {"events": [{"type": "message", "text": "x", "custom_id": "k"}]},
        }
    }
    out = h.push("incoming_chat", incoming_chat(), sent.request_id)
    assert value(out, c).id == "CH1"


def test_deactivate_chat_marks_the_chat_inactive() -> None:
    h = ready()
    _c, out = call(h, "deactivate_chat", "CH1")
    h.respond(h.one(out))
    _, out = h.call("send_message", "CH1", "x")
    assert h.one(out, "resume_chat")


def test_cancel_rate_deletes_the_rating_of_the_newest_thread() -> None:
    h = ready()
    c, out = call(h, "cancel_rate", "CH1")
    out = h.respond(h.one(out, "list_threads"), threads_page(s.thread("TH3")))
    sent = h.one(out, "delete_thread_properties")
    assert sent.payload == {
        "chat_id": "CH1",
        "thread_id": "TH3",
        "properties": {"rating": ["score"]},
    }
    assert value(h.respond(sent), c) is True


def test_upload_file_alone_resolves_with_the_url() -> None:
    h = ready()
    c, out = call(h, "upload_file", b"abc")
    assert h.sent(out) == []
    h.client.upload_finished(c, {"url": "https://u.test/f"}, h.now)
    assert value(h.drain(), c) == "https://u.test/f"


def test_a_server_error_fails_the_call_with_its_type() -> None:
    h = ready()
    c, out = call(h, "get_form", 0, "prechat")
    err = error(h.error(h.one(out), "group_not_found", "no such group"), c)
    assert (err.code.value, err.type, err.message) == (
        "REQUEST_FAILED",
        "group_not_found",
        "no such group",
    )


def test_set_customer_session_fields_is_remembered_for_login() -> None:
    h = ready()
    _c, out = call(h, "set_customer_session_fields", {"plan": "pro"})
    h.respond(h.one(out))
    h.drop()
    h.until_open()
    h.client.transport_opened(h.now)
    login = h.one(h.drain(), "login")
    assert login.payload["customer"] == {"session_fields": [{"plan": "pro"}]}  # type: ignore[index]

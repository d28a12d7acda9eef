"""v3.md section 4: what the seed's methods put on the wire in the v3 dialect (payloads)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from customer_protocol import InvalidArgumentsError, RemoteProtocolError
from customer_protocol.dialects import v3_objects as v3
from customer_protocol.dialects import v3_payloads as p
from customer_protocol.dialects import v3_results as r
from customer_protocol.dispatch import ChatTracker
from customer_protocol.payloads import CustomIds
from customer_protocol.rfc3339 import parse_ms

from . import samples as s


def ids() -> CustomIds:
    counter = itertools.count(1)
    return lambda: f"cid-{next(counter)}"


# --------------------------------------------------------------------------------------------
# start_chat


def test_start_chat_bare_is_empty() -> None:
    assert p.start_chat(ids()) == {}


def test_start_chat_full_shape_with_custom_ids() -> None:
    payload = p.start_chat(
        ids(),
        events=[{"type": "message", "text": "hi"}, {"type": "custom", "custom_id": "mine"}],
        properties={"ns": {"a": 1}},
        thread_properties={"ns": {"b": 2}},
        access={"group_ids": [0, 3]},
        active=False,
        continuous=True,
    )
    assert payload == {
        "chat": {
            "access": {"group_ids": [0, 3]},
            "properties": {"ns": {"a": 1}},
            "thread": {
                "events": [
                    {"type": "message", "text": "hi", "custom_id": "cid-1"},
                    {"type": "custom", "custom_id": "mine"},
                ],
                "properties": {"ns": {"b": 2}},
            },
        },
        "active": False,
        "continuous": True,
    }


def test_start_chat_thread_properties_alone() -> None:
    payload = p.start_chat(ids(), thread_properties={"ns": {"b": 2}})
    assert payload == {"chat": {"thread": {"properties": {"ns": {"b": 2}}}}}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"events": "hi"}, "'events' must be a list of events"),
        ({"events": [{"text": "x"}]}, "event.type"),
        ({"properties": {"ns": 1}}, "properties.ns"),
        ({"properties": {"ns": {"a": float("nan")}}}, "must be JSON"),
        ({"access": {"group_ids": "0"}}, "access.group_ids"),
        ({"access": {"group_ids": []}}, "access.group_ids"),
        ({"access": {"group_ids": [-1]}}, r"access\.group_ids\[\]"),
        ({"access": {"group_ids": [True]}}, r"access\.group_ids\[\]"),
        ({"access": ["x"]}, "'access' must be an object"),
        ({"active": 1}, "'active' must be a boolean"),
        ({"continuous": "yes"}, "'continuous' must be a boolean"),
    ],
)
def test_start_chat_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentsError, match=match) as info:
        p.start_chat(ids(), **kwargs)
    assert info.value.code == "INVALID_ARGS"


def test_access_passes_other_keys_on() -> None:
    assert p.start_chat(ids(), access={}) == {"chat": {"access": {}}}


# --------------------------------------------------------------------------------------------
# send_event, send_message, and the resume_chat of a send to an inactive chat


def test_send_event_gets_a_custom_id_in_the_event() -> None:
    assert p.send_event("CH1", {"type": "message", "text": "x"}, ids()) == {
        "chat_id": "CH1",
        "event": {"type": "message", "text": "x", "custom_id": "cid-1"},
    }


def test_send_event_attach_to_last_thread() -> None:
    payload = p.send_event("CH1", {"type": "custom"}, ids(), attach_to_last_thread=True)
    assert payload["attach_to_last_thread"] is True
    with pytest.raises(InvalidArgumentsError, match="attach_to_last_thread"):
        p.send_event("CH1", {"type": "custom"}, ids(), attach_to_last_thread=1)  # type: ignore[arg-type]


def test_send_message_keeps_its_custom_id() -> None:
    assert p.send_message("CH1", "hi", "mine", ids()) == {
        "chat_id": "CH1",
        "event": {"type": "message", "text": "hi", "custom_id": "mine"},
    }
    with pytest.raises(InvalidArgumentsError, match="'chat'"):
        p.send_message("", "hi", None, ids())


def test_resume_with_event_carries_the_same_event() -> None:
    sent = p.send_message("CH1", "hi", None, ids())
    resumed = p.resume_with_event(sent)
    assert resumed == {
        "chat": {
            "id": "CH1",
            "thread": {"events": [{"type": "message", "text": "hi", "custom_id": "cid-1"}]},
        }
    }
    resumed["chat"]["thread"]["events"][0]["text"] = "changed"
    assert sent["event"]["text"] == "hi"  # a copy, not the same dict


# --------------------------------------------------------------------------------------------
# close_thread, get_chats_summary, get_chat_threads(_summary), history


def test_deactivate_chat() -> None:
    assert p.deactivate_chat("CH1") == {"id": "CH1"}
    with pytest.raises(InvalidArgumentsError):
        p.deactivate_chat(5)  # type: ignore[arg-type]


def test_list_chats() -> None:
    assert p.list_chats() == {}
    assert p.list_chats(limit=25, sort_order="asc") == {"limit": 25, "sort_order": "asc"}
    assert p.list_chats(page_id="MTUx") == {"page_id": "MTUx"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"limit": 26}, r"Specified limit is too high \(max 25\)"),
        ({"limit": 0}, "'limit' must be a positive integer"),
        ({"sort_order": "up"}, "'sort_order' must be 'asc' or 'desc'"),
        ({"page_id": ""}, "'page_id' must be a non-empty string"),
        ({"page_id": "x", "limit": 5}, "'page_id' cannot be given with 'limit'"),
        ({"page_id": "x", "sort_order": "asc"}, "'page_id' cannot be given with 'sort_order'"),
    ],
)
def test_list_chats_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentsError, match=match):
        p.list_chats(**kwargs)


def test_list_threads() -> None:
    assert p.list_threads("CH1") == {"chat_id": "CH1"}
    assert p.list_threads("CH1", sort_order="desc", limit=100) == {
        "chat_id": "CH1",
        "sort_order": "desc",
        "limit": 100,
    }
    assert p.list_threads("CH1", min_events_count=50) == {"chat_id": "CH1", "min_events_count": 50}
    assert p.list_threads("CH1", page_id="p2") == {"chat_id": "CH1", "page_id": "p2"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"limit": 101}, r"max 100"),
        ({"min_events_count": 0}, "'min_events_count' must be an integer from 1 to 100"),
        ({"min_events_count": 101}, "'min_events_count' must be an integer from 1 to 100"),
        ({"min_events_count": True}, "'min_events_count'"),
        ({"limit": 3, "min_events_count": 3}, "not both"),
        ({"page_id": "p", "min_events_count": 3}, "'page_id' cannot be given with"),
        ({"page_id": "p", "limit": 3}, "'page_id' cannot be given with 'limit'"),
        ({"page_id": "p", "sort_order": "asc"}, "'page_id' cannot be given with 'sort_order'"),
        ({"sort_order": 1}, "sort_order"),
    ],
)
def test_list_threads_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentsError, match=match):
        p.list_threads("CH1", **kwargs)


def test_get_chat() -> None:
    assert p.get_chat("CH1") == {"chat_id": "CH1"}
    assert p.get_chat("CH1", "TH1") == {"chat_id": "CH1", "thread_id": "TH1"}
    with pytest.raises(InvalidArgumentsError, match="'thread'"):
        p.get_chat("CH1", "")


# --------------------------------------------------------------------------------------------
# update_customer -> update_customer + set_customer_session_fields


def test_update_customer_both_requests_in_order() -> None:
    assert p.update_customer(name="Ann", email="a@x", avatar="u", fields={"k": "v"}) == [
        ("update_customer", {"name": "Ann", "email": "a@x", "avatar": "u"}),
        ("set_customer_session_fields", {"session_fields": [{"k": "v"}]}),
    ]


def test_update_customer_fields_only() -> None:
    assert p.update_customer(fields={}) == [("set_customer_session_fields", {"session_fields": []})]
    assert p.update_customer(email="a@x") == [("update_customer", {"email": "a@x"})]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "at least one of"),
        ({"name": 1}, "'name' must be a string"),
        ({"avatar": "\ud800"}, "'avatar' must be JSON"),
        ({"fields": {"a": 1}}, "'fields' values must be strings"),
        ({"fields": {str(i): "v" for i in range(101)}}, r"Too many session fields \(max 100\)"),
    ],
)
def test_update_customer_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentsError, match=match):
        p.update_customer(**kwargs)


# --------------------------------------------------------------------------------------------
# update_last_seen_timestamp -> mark_events_as_seen


def test_mark_events_as_seen_range_ends() -> None:
    assert p.mark_events_as_seen("CH1", 0)["seen_up_to"] == "1970-01-01T00:00:00.000000Z"
    last = p.mark_events_as_seen("CH1", 253402300799999)["seen_up_to"]
    assert last == "9999-12-31T23:59:59.999000Z"


def test_mark_events_as_seen_sends_rfc3339() -> None:
    payload = p.mark_events_as_seen("CH1", s.T1_MS + 0.9)
    assert payload == {"chat_id": "CH1", "seen_up_to": "2024-03-01T10:00:01.250000Z"}
    assert parse_ms(payload["seen_up_to"]) == s.T1_MS


@pytest.mark.parametrize(
    "bad", [None, "1", True, float("inf"), float("nan"), 10**20, -(10**20), -1, 253402300800000]
)
def test_mark_events_as_seen_bad_time(bad: Any) -> None:
    with pytest.raises(InvalidArgumentsError, match="'seen_up_to' must be a number"):
        p.mark_events_as_seen("CH1", bad)


# --------------------------------------------------------------------------------------------
# properties, rating, sneak peek


def test_update_chat_and_thread_properties() -> None:
    assert p.update_chat_properties("CH1", {"ns": {"a": 1}}) == {
        "id": "CH1",
        "properties": {"ns": {"a": 1}},
    }
    assert p.update_thread_properties("CH1", "TH1", {"ns": {"a": 1}}) == {
        "chat_id": "CH1",
        "thread_id": "TH1",
        "properties": {"ns": {"a": 1}},
    }
    with pytest.raises(InvalidArgumentsError, match="properties"):
        p.update_chat_properties("CH1", {"ns": ["a"]})


def test_send_rating_sets_rating_thread_properties() -> None:
    assert p.send_rating("CH1", "TH1", "good", "thanks") == {
        "chat_id": "CH1",
        "thread_id": "TH1",
        "properties": {"rating": {"score": 1, "comment": "thanks"}},
    }
    assert p.send_rating("CH1", "TH1", "bad", None)["properties"] == {
        "rating": {"score": 0, "comment": None}
    }
    with pytest.raises(InvalidArgumentsError, match="'value' must be 'good' or 'bad'"):
        p.send_rating("CH1", "TH1", "meh", None)


def test_send_sneak_peek() -> None:
    assert p.send_sneak_peek("CH1", "typing…") == {
        "chat_id": "CH1",
        "sneak_peek_text": "typing…",
    }
    with pytest.raises(InvalidArgumentsError, match="'text'"):
        p.send_sneak_peek("CH1", None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Results of the seed's methods


def test_start_resume_and_send_event_responses() -> None:
    started = r.parse_start_chat({"chat_id": "CH1", "thread_id": "TH1", "event_ids": ["e1"]})
    assert (started.chat_id, started.thread_id, started.event_ids) == ("CH1", "TH1", ("e1",))
    assert r.parse_start_chat({"chat_id": "CH1", "thread_id": "TH1"}).event_ids == ()
    resumed = r.parse_resume_chat({"thread_id": "TH2"})
    assert (resumed.thread_id, resumed.event_ids) == ("TH2", ())
    assert r.parse_send_event({"event_id": "TH1_3"}).event_id == "TH1_3"
    for parse, payload in (
        (r.parse_start_chat, {"thread_id": "TH1"}),
        (r.parse_start_chat, {"chat_id": "CH1", "thread_id": "TH1", "event_ids": [1]}),
        (r.parse_resume_chat, {}),
        (r.parse_send_event, {"event_id": 3}),
    ):
        with pytest.raises(RemoteProtocolError):
            parse(payload)  # type: ignore[operator]


def test_list_chats_page() -> None:
    page = r.parse_list_chats(
        {
            "chats_summary": [s.chat_summary("CH1"), s.chat_summary("CH2", users=[s.agent()])],
            "total_chats": 7,
            "next_page_id": "n",
            "previous_page_id": "p",
        }
    )
    assert [c.id for c in page.chats] == ["CH1", "CH2"]
    assert [u.id for u in page.users] == [s.CUSTOMER_ID, s.AGENT_ID, s.AGENT_ID]
    assert (page.total_chats, page.next_page_id, page.previous_page_id) == (7, "n", "p")


def test_list_chats_last_page_and_missing_total() -> None:
    page = r.parse_list_chats({"chats_summary": [s.chat_summary()]})
    assert page.total_chats == 1 and page.next_page_id is None and page.previous_page_id is None


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"chats_summary": {}},
        {"chats_summary": [], "total_chats": -1},
        {"chats_summary": [], "total_chats": "3"},
        {"chats_summary": [], "next_page_id": 3},
        {"chats_summary": [], "previous_page_id": False},
        {"chats_summary": [{"id": 1}]},
    ],
)
def test_malformed_list_chats(payload: dict[str, Any]) -> None:
    with pytest.raises(RemoteProtocolError):
        r.parse_list_chats(payload)


def test_chats_summary_keeps_the_v0_3_shape_and_order() -> None:
    older, _ = v3.parse_chat_summary(s.chat_summary("OLD"))
    raw = s.chat_summary("NEW")
    raw["last_event_per_type"]["message"]["event"]["created_at"] = s.T3
    newer, _ = v3.parse_chat_summary(raw)
    empty, _ = v3.parse_chat_summary({"id": "EMPTY"})
    result = r.chats_summary([older, empty, newer], total_chats=40)
    assert [c.id for c in result.chats_summary] == ["NEW", "OLD", "EMPTY"]
    assert result.total_chats == 40


def test_list_threads_page_and_thread_summaries() -> None:
    page = r.parse_list_threads(
        {
            "threads": [s.thread("TH2", s.T2), s.thread("TH1", s.T0, events=[])],
            "found_threads": 42,
            "next_page_id": "older",
        },
        chat="CH1",
    )
    assert [t.id for t in page.threads] == ["TH2", "TH1"]  # as the server sent them
    assert {t.chat for t in page.threads} == {"CH1"}
    assert (page.chat, page.found_threads, page.next_page_id, page.previous_page_id) == (
        "CH1",
        42,
        "older",
        None,
    )
    summaries = r.thread_summaries(page.threads)
    assert [(x.id, x.chat, x.order, x.total_events) for x in summaries] == [
        ("TH1", "CH1", s.T0_MS, 0),
        ("TH2", "CH1", s.T2_MS, 2),
    ]


@pytest.mark.parametrize(
    "payload",
    [{}, {"threads": [{"id": "x"}]}, {"threads": [], "found_threads": -2}],
)
def test_malformed_list_threads(payload: dict[str, Any]) -> None:
    with pytest.raises(RemoteProtocolError):
        r.parse_list_threads(payload, chat="CH1")


def test_get_chat_result() -> None:
    result = r.parse_get_chat(s.chat())
    assert result.chat.id == "CH1" and result.thread is not None
    assert result.thread.id == "TH1" and [u.id for u in result.users] == [
        s.CUSTOMER_ID,
        s.AGENT_ID,
    ]
    raw = s.chat()
    del raw["thread"]
    assert r.parse_get_chat(raw).thread is None
    assert r.parse_result("get_chat", raw).chat.id == "CH1"


def test_track_chats_records_newest_thread_and_activity() -> None:
    tracker = ChatTracker()
    active, _ = v3.parse_chat_summary(s.chat_summary("CH1"))
    inactive, _ = v3.parse_chat_summary(s.chat_summary("CH2", active=False, last_thread_id="T9"))
    unknown, _ = v3.parse_chat_summary({"id": "CH3"})
    r.track_chats([active, inactive, unknown], tracker)
    assert tracker.newest_thread("CH1") == "TH1" and not tracker.is_inactive("CH1")
    assert tracker.newest_thread("CH2") == "T9" and tracker.is_inactive("CH2")
    assert tracker.newest_thread("CH3") is None and not tracker.is_inactive("CH3")


def test_track_threads_newest_decides_activity() -> None:
    tracker = ChatTracker()
    newer = v3.parse_thread(s.thread("TH2", s.T2, active=False), chat="CH1")
    older = v3.parse_thread(s.thread("TH1", s.T0, active=True), chat="CH1")
    r.track_threads([newer, older], tracker)
    assert tracker.newest_thread("CH1") == "TH2" and tracker.is_inactive("CH1")

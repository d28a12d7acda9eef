"""sdk.md section 5: a wrong-typed timestamp is malformed data, not a missing one.

Every timestamp-carrying field of every object and push the client parses (events, users'
``last_seen_timestamp`` even though it is dropped, typing indicators, chat summaries, the
``last_seen_timestamp_updated`` push) is checked: a string, a bool, an object or an array drops
the message with an ``error`` report; only an absent (or null) timestamp is ``None``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from customer_protocol import (
    ErrorCode,
    LastSeenTimestampUpdated,
    NewEvent,
    Phase,
    ProtocolErrorReport,
    RemoteProtocolError,
)
from customer_protocol.models import (
    parse_chat,
    parse_chats_summary,
    parse_event,
    parse_user,
)

from .harness import Harness, chat, error, message, of, thread, threads_chat, user, value

WRONG: list[Any] = ["yesterday", "1700000000", True, False, {}, {"seconds": 1}, [], [1]]
"""Wrong-typed timestamps: strings (even numeric ones), bools, objects, arrays."""


def ready() -> Harness:
    h = Harness()
    h.connect()
    return h


def set_path(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A deep copy of ``value`` with the item at ``path`` replaced (or removed when ``new`` is
    the ``REMOVE`` marker)."""
    result = copy.deepcopy(value)
    target = result
    for key in path[:-1]:
        target = target[key]
    if new is REMOVE:
        del target[path[-1]]
    else:
        target[path[-1]] = new
    return result


REMOVE = object()

# --------------------------------------------------------------------------------------------
# Pushes: (action, valid payload, path to a timestamp)

OPENED = chat("c1", thread("t1", 1, [message("e1", 1)]))
PUSHES: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = [
    (
        "incoming_event",
        {"chat_id": "c1", "thread_id": "t1", "event": message("e1", 1)},
        ("event", "timestamp"),
    ),
    ("incoming_chat_thread", {"chat": OPENED}, ("chat", "thread", "events", 0, "timestamp")),
    ("incoming_chat_thread", {"chat": OPENED}, ("chat", "users", 0, "last_seen_timestamp")),
    ("incoming_chat_thread", {"chat": OPENED}, ("chat", "users", 1, "last_seen_timestamp")),
    (
        "chat_users_updated",
        {"chat_id": "c1", "updated_users": {"added": [user("agent2")], "removed_ids": []}},
        ("updated_users", "added", 0, "last_seen_timestamp"),
    ),
    (
        "incoming_typing_indicator",
        {
            "chat_id": "c1",
            "typing_indicator": {"author_id": "a", "timestamp": 5, "is_typing": True},
        },
        ("typing_indicator", "timestamp"),
    ),
    (
        "last_seen_timestamp_updated",
        {"chat_id": "c1", "user_id": "cust", "timestamp": 1234},
        ("timestamp",),
    ),
]
PUSH_IDS = [f"{action}:{'.'.join(map(str, path))}" for action, _, path in PUSHES]


@pytest.mark.parametrize(("action", "payload", "path"), PUSHES, ids=PUSH_IDS)
@pytest.mark.parametrize("wrong", WRONG, ids=repr)
def test_a_push_with_a_wrong_typed_timestamp_is_dropped_with_an_error_report(
    action: str, payload: dict[str, Any], path: tuple[Any, ...], wrong: Any
) -> None:
    h = ready()
    assert not of(h.push(action, payload), ProtocolErrorReport)  # the valid one is taken
    out = h.push(action, set_path(payload, path, wrong))
    assert len(out) == 1 and isinstance(out[0], ProtocolErrorReport), out
    assert isinstance(out[0].error, RemoteProtocolError)
    assert h.client.phase is Phase.READY


@pytest.mark.parametrize(("action", "payload", "path"), PUSHES, ids=PUSH_IDS)
@pytest.mark.parametrize("missing", [REMOVE, None], ids=["absent", "null"])
def test_an_absent_or_null_timestamp_is_not_an_error(
    action: str, payload: dict[str, Any], path: tuple[Any, ...], missing: Any
) -> None:
    h = ready()
    out = h.push(action, set_path(payload, path, missing))
    assert not of(out, ProtocolErrorReport)
    assert out  # the push was delivered


def test_last_seen_timestamp_updated_the_issue_example() -> None:
    h = ready()
    payload = {"chat_id": "c1", "user_id": "cust", "timestamp": "yesterday"}
    out = h.push("last_seen_timestamp_updated", payload)
    assert [type(o) for o in out] == [ProtocolErrorReport]
    out = h.push("last_seen_timestamp_updated", {"chat_id": "c1", "user_id": "cust"})
    assert of(out, LastSeenTimestampUpdated) == [
        LastSeenTimestampUpdated(chat="c1", user="cust", timestamp=None)
    ]
    out = h.push("last_seen_timestamp_updated", {**payload, "timestamp": 7})
    assert of(out, LastSeenTimestampUpdated)[0].timestamp == 7000


# --------------------------------------------------------------------------------------------
# Responses: the request fails as malformed, the message is reported


def summary_item() -> dict[str, Any]:
    return {
        "id": "c1",
        "order": 3,
        "users": [user("cust", "customer"), user("agent1")],
        "properties": {},
        "scopes": {},
        "last_event_per_type": {"thread_id": "t1", "events": [message("e1", 1)]},
    }


def map_form_item() -> dict[str, Any]:
    item = summary_item()
    item["last_event_per_type"] = {
        "message": {"thread_id": "t1", "thread_order": 1, "event": message("e1", 1)}
    }
    return item


RESPONSES: list[tuple[str, Callable[[Harness], tuple[int, Any]], dict[str, Any], tuple[Any, ...]]]
RESPONSES = [
    (
        "summary.order",
        lambda h: h.call("get_chats_summary"),
        {"chats_summary": [summary_item()], "total_chats": 1},
        ("chats_summary", 0, "order"),
    ),
    (
        "summary.user",
        lambda h: h.call("get_chats_summary"),
        {"chats_summary": [summary_item()], "total_chats": 1},
        ("chats_summary", 0, "users", 1, "last_seen_timestamp"),
    ),
    (
        "summary.last_event",
        lambda h: h.call("get_chats_summary"),
        {"chats_summary": [summary_item()], "total_chats": 1},
        ("chats_summary", 0, "last_event_per_type", "events", 0, "timestamp"),
    ),
    (
        "summary.map_form_event",
        lambda h: h.call("get_chats_summary"),
        {"chats_summary": [map_form_item()], "total_chats": 1},
        ("chats_summary", 0, "last_event_per_type", "message", "event", "timestamp"),
    ),
    (
        "threads.event",
        lambda h: h.call("get_chat_threads", "c1", ["t1"]),
        threads_chat("c1", [thread("t1", 1, [message("e1", 1)])]),
        ("chat", "threads", 0, "events", 0, "timestamp"),
    ),
    (
        "threads.user",
        lambda h: h.call("get_chat_threads", "c1", ["t1"]),
        threads_chat("c1", [thread("t1", 1, [message("e1", 1)])]),
        ("chat", "users", 0, "last_seen_timestamp"),
    ),
    (
        "last_seen.result",
        lambda h: h.call("update_last_seen_timestamp", "c1"),
        {"timestamp": 1234},
        ("timestamp",),
    ),
]


@pytest.mark.parametrize(
    ("name", "issue", "payload", "path"), RESPONSES, ids=[r[0] for r in RESPONSES]
)
@pytest.mark.parametrize("wrong", WRONG, ids=repr)
def test_a_response_with_a_wrong_typed_timestamp_fails_its_request_as_malformed(
    name: str,
    issue: Callable[[Harness], tuple[int, Any]],
    payload: dict[str, Any],
    path: tuple[Any, ...],
    wrong: Any,
) -> None:
    h = ready()
    call, out = issue(h)
    out = h.respond(h.one(out), set_path(payload, path, wrong))
    if name == "last_seen.result":  # indirect: the response waits for its push, then resolves
        out = h.advance(h.client.config.indirect_grace)
    assert of(out, ProtocolErrorReport)
    failure = error(out, call)
    assert (failure.code, failure.type) == (ErrorCode.REQUEST_FAILED, "malformed_response")


def test_the_login_summary_with_a_wrong_typed_timestamp_does_not_connect() -> None:
    h = Harness()
    bad = set_path(summary_item(), ("users", 0, "last_seen_timestamp"), "yesterday")
    h.client.connect(h.now)
    h.drain()
    from .harness import TOKEN

    h.client.token_received(TOKEN, h.now)
    h.client.transport_opened(h.now)
    out = h.respond(h.one(h.drain(), "login"), {"customer_id": "cust"})
    out = h.respond(h.one(out, "get_chats_summary"), {"chats_summary": [bad], "total_chats": 1})
    assert of(out, ProtocolErrorReport)
    assert h.client.phase is not Phase.READY


def test_an_own_echo_with_a_wrong_typed_timestamp_fails_the_send_as_malformed() -> None:
    h = ready()
    call, out = h.call("send_message", "c1", "x")
    sent = h.one(out)
    event = message("e1", 1, "x", author="cust", timestamp={"s": 1})
    out = h.push(
        "incoming_event",
        {"chat_id": "c1", "thread_id": "t1", "event": event},
        request_id=sent.request_id,
    )
    assert of(out, ProtocolErrorReport)
    assert error(out, call).type == "malformed_response"
    assert not of(out, NewEvent)


# --------------------------------------------------------------------------------------------
# The parsers themselves


@pytest.mark.parametrize("wrong", WRONG, ids=repr)
def test_parsers_reject_wrong_typed_timestamps(wrong: Any) -> None:
    with pytest.raises(RemoteProtocolError, match="timestamp"):
        parse_event(message("e1", 1, timestamp=wrong))
    with pytest.raises(RemoteProtocolError, match="last_seen_timestamp"):
        parse_user(user("a", last_seen_timestamp=wrong))
    with pytest.raises(RemoteProtocolError, match="last_seen_timestamp"):
        parse_user(user("x", "bot", last_seen_timestamp=wrong))
    with pytest.raises(RemoteProtocolError):
        parse_chat(chat("c1", thread("t1", 1, [message("e1", 1, timestamp=wrong)])))
    item = set_path(summary_item(), ("order",), wrong)
    with pytest.raises(RemoteProtocolError, match="order"):
        parse_chats_summary({"chats_summary": [item], "total_chats": 1})


def test_parsers_accept_absent_null_and_numeric_timestamps() -> None:
    assert parse_event(message("e1", 1, timestamp=None)).timestamp is None
    assert parse_event(message("e1", 1, timestamp=2)).timestamp == 2000
    assert parse_event(message("e1", 1, timestamp=2.5)).timestamp == 2500
    raw = message("e1", 1)
    del raw["timestamp"]
    assert parse_event(raw).timestamp is None
    assert parse_user(user("a", last_seen_timestamp=None)).id == "a"
    summary, _ = parse_chats_summary(
        {"chats_summary": [set_path(summary_item(), ("users", 0, "last_seen_timestamp"), None)]}
    )
    assert summary.chats_summary[0].last_seen_timestamps == {"cust": None, "agent1": 100_000}
    h = ready()
    call, out = h.call("get_chats_summary")
    item = set_path(summary_item(), ("order",), REMOVE)
    out = h.respond(h.one(out), {"chats_summary": [item], "total_chats": 1})
    assert value(out, call).chats_summary[0].order is None

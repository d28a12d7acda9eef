"""Valid server messages of every kind (wire.md sections 3-5), and structure-aware mutations.

The fuzz tests start from these and break them: drop fields, change types, add fields, nest
deeply, put huge integers, NaN, lone surrogates or invalid UTF-8 in them.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# --------------------------------------------------------------------------------------------
# Server objects (wire shapes)


def agent(uid: str = "agent1") -> dict[str, Any]:
    return {
        "id": uid,
        "type": "agent",
        "name": "Ada",
        "avatar": "a.png",
        "present": True,
        "last_seen_timestamp": 100,
    }


def customer(uid: str = "cust") -> dict[str, Any]:
    return {
        "id": uid,
        "type": "customer",
        "name": "Bob",
        "present": True,
        "fields": {"k": "v"},
        "last_seen_timestamp": 100,
    }


def message(eid: str, order: int, text: str = "hi", **extra: Any) -> dict[str, Any]:
    event = {
        "id": eid,
        "order": order,
        "type": "message",
        "author_id": "agent1",
        "timestamp": 1000 + order,
        "text": text,
    }
    event.update(extra)
    return event


EVENTS: list[dict[str, Any]] = [
    message("e1", 1, custom_id="x1", properties={"ns": {"p": {"value": 1}}}),
    {"id": "e2", "order": 2, "type": "system_message", "timestamp": 1, "text": "t",
     "system_message_type": "routing"},
    {"id": "e3", "order": 3, "type": "annotation", "author_id": "a", "timestamp": 1,
     "annotation_type": "rating", "text": "good"},
    {"id": "e4", "order": 4, "type": "filled_form", "author_id": "a", "timestamp": 1,
     "fields": [{"type": "text", "name": "n", "label": "L", "required": True, "value": "v"},
                {"type": "radio", "name": "r", "label": "R", "required": False,
                 "options": [{"label": "o", "value": "1", "checked": True}]}]},
    {"id": "e5", "order": 5, "type": "file", "author_id": "a", "timestamp": 1, "name": "f.png",
     "url": "https://x/f.png", "content_type": "image/png", "size": 10, "width": 1, "height": 2},
    {"id": "e6", "order": 6, "type": "custom", "author_id": "a", "timestamp": 1,
     "content": {"any": [1, 2.5, None, "x"]}},
    {"id": "e7", "order": 7, "type": "future_kind", "author_id": "a", "timestamp": 1},
]  # fmt: skip


def thread(tid: str = "t1", order: int = 1, active: bool = True) -> dict[str, Any]:
    return {
        "id": tid,
        "active": active,
        "order": order,
        "user_ids": ["cust", "agent1"],
        "events": list(EVENTS),
        "properties": {"ns": {"p": {"value": "v"}}},
    }


def chat_one(cid: str = "c1") -> dict[str, Any]:
    return {
        "id": cid,
        "users": [customer(), agent()],
        "properties": {},
        "scopes": {"groups": [1]},
        "thread": thread(),
    }


# --------------------------------------------------------------------------------------------
# Every push of wire.md section 5 and every response payload of section 4

PUSHES: dict[str, dict[str, Any]] = {
    "incoming_chat_thread": {"chat": chat_one()},
    "chat_users_updated": {
        "chat_id": "c1",
        "updated_users": {"added": [agent("agent2"), customer("c2")], "removed_ids": ["agent1"]},
    },
    "incoming_event": {"chat_id": "c1", "thread_id": "t1", "event": EVENTS[0]},
    "incoming_typing_indicator": {
        "chat_id": "c1",
        "typing_indicator": {"author_id": "agent1", "timestamp": 5, "is_typing": True},
    },
    "customer_disconnected": {"reason": "internal_error"},
    "thread_closed": {"chat_id": "c1", "thread_id": "t1", "user_id": "agent1"},
    "chat_scopes_updated": {
        "chat_id": "c1",
        "scopes_added": {"groups": [2]},
        "scopes_removed": {"groups": [1]},
    },
    "customer_updated": {"chat_id": "c1", "customer": customer()},
    "chat_properties_updated": {"chat_id": "c1", "properties": {"ns": {"p": {"value": 2}}}},
    "chat_thread_properties_updated": {
        "chat_id": "c1",
        "thread_id": "t1",
        "properties": {"rating": {"score": {"value": 1}}},
    },
    "last_seen_timestamp_updated": {"user_id": "cust", "chat_id": "c1", "timestamp": 1234},
    "some_future_push": {"anything": [1, {"a": None}]},
}

RESPONSES: dict[str, dict[str, Any]] = {
    "login": {"customer_id": "cust", "static_config_path": "/x.json"},
    "get_chats_summary": {
        "chats_summary": [
            {
                "id": "c1",
                "order": 3,
                "users": [customer(), agent()],
                "properties": {},
                "scopes": {},
                "last_event_per_type": {"thread_id": "t1", "events": EVENTS[:3]},
            },
            {
                "id": "c2",
                "order": 2,
                "users": [customer()],
                "properties": {},
                "scopes": {},
                "last_event_per_type": {
                    "message": {"thread_id": "t9", "thread_order": 1, "event": EVENTS[0]}
                },
            },
        ],
        "total_chats": 2,
    },
    "get_chat_threads": {
        "chat": {
            "id": "c1",
            "users": [customer(), agent()],
            "properties": {},
            "scopes": {},
            "threads": [thread("t1", 1, False), thread("t2", 2)],
        }
    },
    "get_chat_threads_summary": {
        "threads_summary": [
            {"id": "t1", "order": 1, "total_events": 7},
            {"id": "t2", "order": 2, "events_count": 3},
        ],
        "total_threads": 2,
    },
    "start_chat": {"chat": chat_one()},
    "send_event": {"thread_id": "t1", "event": EVENTS[0]},
    "send_sneak_peek": {},
    "close_thread": {},
    "update_chat_scopes": {},
    "update_customer": {"customer": customer()},
    "update_chat_properties": {},
    "update_chat_thread_properties": {},
    "update_last_seen_timestamp": {"timestamp": 1234},
}

ERROR_TYPES = (
    "internal",
    "customer_banned",
    "validation",
    "authorization",
    "authentication",
    "request_timeout",
    "license_expired",
    "unsupported_version",
)


def response(rid: str, action: str, payload: Any, *, success: bool = True) -> dict[str, Any]:
    return {
        "request_id": rid,
        "action": action,
        "type": "response",
        "success": success,
        "payload": payload,
    }


def push(action: str, payload: Any, rid: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"action": action, "type": "push", "payload": payload}
    if rid is not None:
        message["request_id"] = rid
    return message


def error_payload(kind: str, message: str = "nope") -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "data": {"field": "x"}}}


def encode(value: Any) -> bytes:
    """Serialise a (possibly mutated) message. NaN stays NaN; lone surrogates stay lone."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode("ascii")


# --------------------------------------------------------------------------------------------
# Structure-aware mutation

_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**64, -(2**64), 2**63 - 1, 10**30, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["\ud800", "a\udfff", "", "Bearer x", "c1", "t1", "cust"]),
)
JSON_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (the root is ``()``)."""
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths.extend(_paths(item, (*prefix, index)))
    return paths


def every_path(value: Any) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (the root is ``()``), for tests that aim at one field."""
    return _paths(value)


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated(draw: st.DrawFn, message: Any) -> Any:
    """``message`` (a decoded JSON value) with 1-3 structure-aware mutations."""
    value = json.loads(json.dumps(message))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(value)
        path = draw(st.sampled_from(paths))
        op = draw(
            st.sampled_from(["drop", "replace", "add", "nest", "huge", "nan", "surrogate", "type"])
        )
        parent: Any = None
        target: Any = value
        for key in path:
            parent, target = target, target[key]
        if op == "drop" and parent is not None:
            del parent[path[-1]]
            continue
        if op == "add" and isinstance(target, dict):
            target[draw(st.text(max_size=6))] = draw(JSON_VALUES)
            continue
        if op == "add" and isinstance(target, list):
            target.append(draw(JSON_VALUES))
            continue
        new: Any
        if op == "nest":
            new = _nest(target, draw(st.sampled_from([1, 5, 63, 64, 65, 200])))
        elif op == "huge":
            new = draw(st.sampled_from([2**64, -(2**64) - 1, 10**400, 2**64 - 1, -(2**63)]))
        elif op == "nan":
            new = draw(st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308]))
        elif op == "surrogate":
            new = draw(st.sampled_from(["\ud800", "x\udc00y", "\udbff"]))
        elif op == "type":
            new = draw(st.sampled_from([None, True, 0, 1.5, "", "x", [], {}]))
        else:
            new = draw(JSON_VALUES)
        if parent is None:
            value = new
        else:
            parent[path[-1]] = new
    return value


@st.composite
def mutated_bytes(draw: st.DrawFn, message: Any) -> bytes:
    """A structurally mutated message, encoded, sometimes with byte-level damage too."""
    data = bytearray(encode(draw(mutated(message))))
    kind = draw(st.sampled_from(["none", "none", "flip", "truncate", "invalid_utf8", "raw_nan"]))
    if kind == "flip" and data:
        index = draw(st.integers(0, len(data) - 1))
        data[index] ^= 1 << draw(st.integers(0, 7))
    elif kind == "truncate":
        del data[draw(st.integers(0, len(data))) :]
    elif kind == "invalid_utf8":
        index = draw(st.integers(0, len(data)))
        data[index:index] = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"]))
    elif kind == "raw_nan":
        data = bytearray(bytes(data).replace(b"1", b"NaN", 1))
    return bytes(data)


def valid_messages(rid: str = "1") -> list[dict[str, Any]]:
    """One valid message of every kind: each push (with and without ``request_id``), each
    success response, and an error response."""
    messages: list[dict[str, Any]] = []
    for action, payload in PUSHES.items():
        messages.append(push(action, payload))
        messages.append(push(action, payload, rid))
    for action, payload in RESPONSES.items():
        messages.append(response(rid, action, payload))
        messages.append(response(rid, action, error_payload("validation"), success=False))
    messages.append({"action": "ping"})
    return messages

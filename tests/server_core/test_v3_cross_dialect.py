"""One store for both dialects: cross-dialect reads and pushes, the agent, persistence."""

from __future__ import annotations

import json

from customer_protocol.rfc3339 import parse_ms
from customer_protocol.server import Record, SequentialSource, ServerConfig, ServerCore, Store

from .helpers import EPOCH
from .v3_helpers import V3Harness


def test_a_v03_chat_is_read_over_v36_by_the_same_customer() -> None:
    h = V3Harness()
    customer_id, token = h.customer()
    h.connect("old", token)
    chat = h.start_chat("old", "from v0.3")
    h.ok("old", "update_chat_properties", {"chat_id": chat["id"], "properties": {"n": {"k": 1}}})
    payload, _ = h.login3("new", token)
    assert payload["has_active_thread"] is True
    assert payload["chats"] == [{"chat_id": chat["id"], "has_unread_events": False}]
    assert payload["customer"]["statistics"]["chats_count"] == 1
    read = h.ok("new", "get_chat", {"chat_id": chat["id"]})
    assert read["properties"] == {"n": {"k": 1}}
    [event] = read["thread"]["events"]
    assert event["text"] == "from v0.3"
    assert event["author_id"] == customer_id
    assert parse_ms(event["created_at"]) == int(EPOCH) * 1000
    summaries = h.ok("new", "list_chats", {})["chats_summary"]
    assert [s["id"] for s in summaries] == [chat["id"]]


def test_one_change_reaches_both_dialects_in_their_shapes() -> None:
    h = V3Harness()
    _, token = h.customer()
    h.connect("old", token)
    h.login3("new", token)
    response, outputs = h.request("new", "start_chat", {}, rid="s")
    chat_id = response["payload"]["chat_id"]
    [old] = h.sent(outputs, "old")
    assert old["action"] == "incoming_chat_thread"
    assert "version" not in old
    assert "request_id" not in old
    message = {"type": "message", "text": "hi"}
    _, outputs = h.request("old", "send_event", {"chat_id": chat_id, "event": message}, rid="e")
    [new] = h.pushes(outputs, "new")
    assert new["action"] == "incoming_event"
    assert new["version"] == "3.6"
    assert "order" not in new["payload"]["event"]
    assert "request_id" not in new
    _, outputs = h.request("old", "close_thread", {"chat_id": chat_id})
    assert h.pushes(outputs, "new")[0]["action"] == "chat_deactivated"
    _, outputs = h.request(
        "new", "update_chat_properties", {"id": chat_id, "properties": {"a": {"b": 2}}}
    )
    [old] = h.sent(outputs, "old")
    assert old["action"] == "chat_properties_updated"
    assert old["payload"]["properties"] == {"a": {"b": {"value": 2}}}
    _, outputs = h.request(
        "new", "delete_chat_properties", {"id": chat_id, "properties": {"a": ["b"]}}
    )
    assert h.sent(outputs, "old") == []  # v0.3 has no such push


def test_a_v03_thread_reopened_by_send_event_is_incoming_chat_over_v3() -> None:
    h = V3Harness()
    _, token = h.customer()
    h.connect("old", token)
    chat = h.start_chat("old", "1")
    h.ok("old", "close_thread", {"chat_id": chat["id"]})
    h.login3("new", token)
    message = {"type": "message", "text": "2"}
    _, outputs = h.request("old", "send_event", {"chat_id": chat["id"], "event": message})
    [push] = h.pushes(outputs, "new")
    assert push["action"] == "incoming_chat"
    assert push["payload"]["chat"]["thread"]["events"][0]["text"] == "2"


def test_agent_simulator_over_v3() -> None:
    h = V3Harness(ServerConfig(idle_timeout=None))
    _, token = h.customer()
    h.login3("c", token)
    h.connect("old", token)
    started = h.start3("c", "hello")
    outputs = h.advance(10)
    actions = [p["action"] for p in h.pushes(outputs, "c")]
    assert actions == [
        "user_added_to_chat",
        "incoming_typing_indicator",
        "incoming_typing_indicator",
        "incoming_event",
    ]
    pushes = h.pushes(outputs, "c")
    added = pushes[0]["payload"]
    assert added["chat_id"] == started["chat_id"]
    assert added["thread_id"] == started["thread_id"]
    assert added["user"]["type"] == "agent"
    assert added["reason"] == "manual"
    typing = pushes[1]["payload"]
    assert typing["thread_id"] == started["thread_id"]
    assert typing["typing_indicator"]["is_typing"] is True
    assert pushes[3]["payload"]["event"]["text"] == "You wrote: hello"
    assert h.sent(outputs, "old")[0]["action"] == "chat_users_updated"
    message = {"type": "message", "text": "bye"}
    h.ok("c", "send_event", {"chat_id": started["chat_id"], "event": message})
    outputs = h.advance(10)
    assert [p["action"] for p in h.pushes(outputs, "c")][-2:] == [
        "incoming_event",
        "chat_deactivated",
    ]
    login, _ = h.login3("again", token)
    assert login["chats"][0]["has_unread_events"] is True
    assert login["__priv_dynamic_config"]["online_groups_ids"] == [0]


def _json_round_trip(records: list[Record]) -> list[Record]:
    text = json.dumps([{"kind": r.kind, "key": r.key, "data": r.data} for r in records])
    return [Record(**item) for item in json.loads(text)]


def test_a_v3_chat_survives_a_restart_through_the_store_dump() -> None:
    h = V3Harness()
    _, token = h.customer()
    h.login3("c", token, customer_side_storage={"x": "y"})
    h.ok("c", "update_customer", {"name": "Ann", "session_fields": [{"s": "1"}]})
    chat_id = h.start3("c", "persist me")["chat_id"]
    thread_id = h.ok("c", "get_chat", {"chat_id": chat_id})["thread"]["id"]
    ids = {"chat_id": chat_id, "thread_id": thread_id}
    h.ok("c", "update_thread_properties", {**ids, "properties": {"t": {"p": True}}})
    seen = "2031-01-01T00:00:00.123000Z"
    h.ok("c", "mark_events_as_seen", {"chat_id": chat_id, "seen_up_to": seen})
    before = h.ok("c", "get_chat", {"chat_id": chat_id})
    customer_before = h.ok("c", "get_customer", {})
    restored = ServerCore(
        ServerConfig(agent=None),
        id_source=SequentialSource("new"),
        epoch=EPOCH,
        store=Store.load(_json_round_trip(h.core.store.dump())),
    )
    assert restored.store.dump() == h.core.store.dump()
    again = V3Harness()
    again.core = restored
    _, outputs = again.login3("c2", token)
    assert again.ok("c2", "get_chat", {"chat_id": chat_id}) == before
    assert before["users"][0]["events_seen_up_to"] == seen
    customer = again.ok("c2", "get_customer", {})
    assert customer["session_fields"] == customer_before["session_fields"] == [{"s": "1"}]
    assert customer["name"] == "Ann"
    assert customer["statistics"]["visits_count"] == 2
    [storage] = again.pushes(outputs, "c2", "customer_side_storage_updated")
    assert storage["payload"]["customer_side_storage"] == {"x": "y", "customer_visits": "2"}


def test_records_written_before_v3_fields_load_with_defaults() -> None:
    h = V3Harness()
    _, token = h.customer()
    h.connect("old", token)
    chat = h.start_chat("old", "x")
    records = []
    for record in _json_round_trip(h.core.store.dump()):
        data = record.data
        if data is not None and record.kind == "customer":
            data = {k: v for k, v in data.items() if k not in ("avatar", "side_storage", "stats")}
        if data is not None and record.kind == "chat":
            data = {k: v for k, v in data.items() if k != "seen_ms"}
        if data is not None and record.kind == "thread":
            data = {k: v for k, v in data.items() if k not in ("created_ms", "event_ms")}
        records.append(Record(kind=record.kind, key=record.key, data=data))
    again = V3Harness()
    again.core = ServerCore(
        ServerConfig(agent=None),
        id_source=SequentialSource("n"),
        epoch=EPOCH,
        store=Store.load(records),
    )
    again.login3("c", token)
    read = again.ok("c", "get_chat", {"chat_id": chat["id"]})
    assert parse_ms(read["thread"]["created_at"]) == int(EPOCH) * 1000
    assert parse_ms(read["thread"]["events"][0]["created_at"]) == int(EPOCH) * 1000
    assert parse_ms(read["users"][0]["events_seen_up_to"]) == int(EPOCH) * 1000


def test_thread_churn_reaches_v3_connections() -> None:
    h = V3Harness()
    h.customer3("c")
    started = h.start3("c")
    outputs = h.core.churn_thread(started["chat_id"], h.now, text="routed")
    closed, opened = h.pushes(outputs, "c")
    assert closed["action"] == "chat_deactivated"
    assert "request_id" not in closed
    assert opened["action"] == "incoming_chat"
    assert "requester_id" not in opened["payload"]
    assert [e["text"] for e in opened["payload"]["chat"]["thread"]["events"]] == ["routed"]

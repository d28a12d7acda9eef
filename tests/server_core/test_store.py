"""dump()/load() round trips and the change journal."""

from __future__ import annotations

import json

import pytest

from customer_protocol.server import Record, SequentialSource, ServerConfig, ServerCore, Store

from .helpers import EPOCH, Harness


def _busy_harness() -> tuple[Harness, str, str]:
    h = Harness(ServerConfig(idle_timeout=None))
    _, token = h.customer()
    h.connect("c", token, {"name": "Ann"})
    chat = h.start_chat("c", "hello")
    h.advance(3.0)
    h.ok("c", "update_chat_properties", {"chat_id": chat["id"], "properties": {"a": {"b": 1}}})
    h.ok("c", "close_thread", {"chat_id": chat["id"]})
    h.ok("c", "send_event", {"chat_id": chat["id"], "event": {"type": "message", "text": "2"}})
    return h, token, chat["id"]


def _json_round_trip(records: list[Record]) -> list[Record]:
    text = json.dumps([{"kind": r.kind, "key": r.key, "data": r.data} for r in records])
    return [Record(**item) for item in json.loads(text)]


def test_dump_load_round_trip_keeps_everything() -> None:
    h, token, chat_id = _busy_harness()
    records = _json_round_trip(h.core.store.dump())
    restored = ServerCore(
        ServerConfig(agent=None),
        id_source=SequentialSource("new"),
        epoch=EPOCH,
        store=Store.load(records),
    )
    assert restored.store.dump() == h.core.store.dump()
    before = h.ok("c", "get_chat_threads_summary", {"chat_id": chat_id})
    again = Harness(ServerConfig(agent=None))
    again.core = restored
    again.connect("c2", token)
    assert again.ok("c2", "get_chat_threads_summary", {"chat_id": chat_id}) == before
    # Counters continue: new ids and orders never collide with stored ones.
    event = again.ok(
        "c2", "send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "3"}}
    )["event"]
    stored_ids = {e["id"] for t in h.core.store.threads.values() for e in t.events}
    assert event["id"] not in stored_ids
    assert event["order"] > max(e["order"] for t in h.core.store.threads.values() for e in t.events)


def test_journal_replayed_on_an_old_dump_gives_the_same_store() -> None:
    h = Harness(ServerConfig(idle_timeout=None))
    _, token = h.customer()
    h.connect("c", token)
    snapshot = h.core.store.dump()
    h.core.store.drain_changes()
    chat = h.start_chat("c", "x")
    h.advance(5.0)
    h.ok("c", "close_thread", {"chat_id": chat["id"]})
    code = h.core.accounts_authorize(
        "Bearer demo-app-token",
        {"client_id": "demo-client", "redirect_uri": "http://localhost/callback"},
        h.now,
    )
    h.core.accounts_token(
        {"code": code.body["code"], "client_id": "demo-client", "client_secret": "demo-secret"},
        h.now,
    )
    changes = h.core.store.drain_changes()
    kinds = {r.kind for r in changes}
    assert {"meta", "chat", "thread", "customer", "token", "code"} <= kinds
    assert any(r.kind == "code" and r.data is None for r in changes)  # the used code is deleted
    replayed = Store.load(_json_round_trip(snapshot + changes))
    assert replayed.dump() == h.core.store.dump()
    assert h.core.store.drain_changes() == []


def test_load_rejects_unknown_kinds_and_versions() -> None:
    with pytest.raises(ValueError, match="kind"):
        Store.load([Record(kind="planet", key="x", data={})])
    with pytest.raises(ValueError, match="version"):
        Store.load([Record(kind="meta", key="counters", data={"version": 99})])
    with pytest.raises(ValueError, match="kind"):
        Store().touch("planet", "x")


def test_expired_tokens_are_purged_and_journaled() -> None:
    h = Harness(token_ttl=10)
    _, token = h.customer()
    h.core.store.drain_changes()
    h.core.store.purge_expired(EPOCH + 10)
    assert [(r.kind, r.key, r.data) for r in h.core.store.drain_changes()] == [
        ("token", token, None)
    ]

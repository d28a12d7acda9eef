"""Several connections per customer, authorization between customers, kicks and bans."""

from __future__ import annotations

import pytest

from customer_protocol.errors import LocalProtocolError

from .helpers import Harness


def test_request_id_only_on_the_requesters_connection() -> None:
    h = Harness()
    _, token = h.customer()
    h.connect("a", token)
    h.connect("b", token)
    h.connect("c", token)
    chat = h.start_chat("a")
    payload = {"chat_id": chat["id"], "event": {"type": "message", "text": "x"}}
    _, outputs = h.request("b", "send_event", payload, rid="mine")
    sends = [(o.conn_id, o.data) for o in outputs]  # type: ignore[union-attr]
    assert [conn for conn, _ in sends] == ["a", "b", "c", "b"]  # pushes, then the response
    [to_a] = h.sent(outputs, "a")
    [to_c] = h.sent(outputs, "c")
    push_b, response_b = h.sent(outputs, "b")
    assert "request_id" not in to_a
    assert to_a == to_c
    assert push_b["request_id"] == "mine"
    assert {k: v for k, v in push_b.items() if k != "request_id"} == to_a
    assert response_b["type"] == "response"
    assert response_b["request_id"] == "mine"


def test_another_customers_chat_is_an_authorization_error() -> None:
    h = Harness()
    _, token_a = h.customer()
    _, token_b = h.customer()
    h.connect("a", token_a)
    h.connect("b", token_b)
    chat = h.start_chat("a", "secret")
    chat_id = chat["id"]
    thread_id = chat["thread"]["id"]
    for action, payload in (
        ("send_event", {"chat_id": chat_id, "event": {"type": "message", "text": "x"}}),
        ("close_thread", {"chat_id": chat_id}),
        ("get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}),
        ("get_chat_threads_summary", {"chat_id": chat_id}),
        ("send_sneak_peek", {"chat_id": chat_id, "sneak_peek_text": "x"}),
        ("update_chat_scopes", {"chat_id": chat_id}),
        ("update_chat_properties", {"chat_id": chat_id, "properties": {}}),
        (
            "update_chat_thread_properties",
            {"chat_id": chat_id, "thread_id": thread_id, "properties": {}},
        ),
        ("update_last_seen_timestamp", {"chat_id": chat_id}),
    ):
        response, outputs = h.request("b", action, payload)
        assert response["success"] is False
        assert response["payload"]["error"]["type"] == "authorization", action
        assert h.sent(outputs, "a") == []
    assert h.ok("b", "get_chats_summary")["total_chats"] == 0
    assert h.ok("a", "get_chats_summary")["total_chats"] == 1


def test_customer_updated_once_per_active_chat() -> None:
    h = Harness()
    _, token = h.customer()
    h.connect("a", token)
    h.connect("b", token)
    active_1 = h.start_chat("a")
    closed = h.start_chat("a")
    active_2 = h.start_chat("a")
    h.ok("a", "close_thread", {"chat_id": closed["id"]})
    _, outputs = h.request("a", "update_customer", {"customer": {"email": "e@x"}}, rid="u")
    to_a = h.sent(outputs, "a")
    to_b = h.sent(outputs, "b")
    assert [m["action"] for m in to_a] == ["customer_updated"] * 2 + ["update_customer"]
    assert all(m["request_id"] == "u" for m in to_a)
    assert {m["payload"]["chat_id"] for m in to_b} == {active_1["id"], active_2["id"]}
    assert all("request_id" not in m for m in to_b)
    assert all(m["payload"]["customer"]["email"] == "e@x" for m in to_b)


def test_too_many_connections_disconnects_the_oldest() -> None:
    h = Harness(max_connections_per_customer=2)
    customer_id, token = h.customer()
    h.connect("a", token)
    h.connect("b", token)
    h.open("c")
    response, outputs = h.request("c", "login", {"token": f"Bearer {token}"})
    assert response["success"] is True
    [kick] = h.sent(outputs, "a")
    assert kick == {
        "action": "customer_disconnected",
        "type": "push",
        "payload": {"reason": "too_many_connections"},
    }
    [close] = h.closes(outputs)
    assert close.conn_id == "a"
    assert not close.abort
    assert outputs.index(close) < len(outputs) - 1  # the kick comes before the login response
    assert h.core.connections_of(customer_id) == ["b", "c"]
    with pytest.raises(LocalProtocolError, match="unknown or closed"):
        h.core.receive("a", b"{}", h.now)


def test_ban_disconnects_every_connection_and_refuses_login() -> None:
    h = Harness()
    customer_id, token = h.customer()
    _, other_token = h.customer()
    h.connect("a", token)
    h.connect("b", token)
    h.connect("x", other_token)
    outputs = h.core.ban_customer(customer_id, h.now)
    for conn in ("a", "b"):
        [push] = h.sent(outputs, conn)
        assert push["payload"] == {"reason": "customer_banned"}
    assert [c.conn_id for c in h.closes(outputs)] == ["a", "b"]
    assert h.sent(outputs, "x") == []
    h.open("a2")
    assert h.error("a2", "login", {"token": f"Bearer {token}"})["type"] == "customer_banned"
    h.core.unban_customer(customer_id)
    assert h.ok("a2", "login", {"token": f"Bearer {token}"})["customer_id"] == customer_id
    with pytest.raises(LocalProtocolError, match="unknown customer"):
        h.core.ban_customer("nobody", h.now)
    with pytest.raises(LocalProtocolError, match="unknown customer"):
        h.core.unban_customer("nobody")


def test_presence_follows_connections() -> None:
    h = Harness()
    _, token = h.customer()
    h.connect("a", token)
    chat = h.start_chat("a")
    assert chat["users"][0]["present"] is True
    h.core.close_connection("a", h.now)
    h.connect("b", token)
    h.core.close_all()
    [user] = h.core.v03.views.users(h.core.store.chats[chat["id"]])
    assert user["present"] is False

"""Raw input handling: malformed messages, ping, login rules, request_id echo."""

from __future__ import annotations

import pytest

from customer_protocol.errors import LocalProtocolError

from .helpers import EPOCH, Harness


@pytest.fixture
def h() -> Harness:
    return Harness()


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b'{"a": NaN}',
        b"[1, 2]",
        b'"text"',
        b"[" * 100 + b"]" * 100,
        b'{"request_id": "r1", "action": "login", "payload": {"n": 1' + b"0" * 30 + b"}}",
    ],
)
def test_malformed_json_gets_a_validation_error_without_request_id(h: Harness, raw: bytes) -> None:
    h.open("c")
    [message] = h.sent(h.raw("c", raw), "c")
    assert message["type"] == "response"
    assert message["success"] is False
    assert message["payload"]["error"]["type"] == "validation"
    assert "request_id" not in message


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"request_id": "r1"}, "action"),
        ({"request_id": "r1", "action": 5}, "action"),
        ({"request_id": "r1", "action": ""}, "action"),
        ({"request_id": "r1", "action": "login", "payload": []}, "payload"),
        ({"action": "login", "payload": {}}, "request_id"),
        ({"request_id": 7, "action": "login"}, "request_id"),
    ],
)
def test_bad_envelope_names_the_field(h: Harness, message: dict[str, object], field: str) -> None:
    h.open("c")
    [reply] = h.sent(h.raw("c", message), "c")
    assert reply["success"] is False
    error = reply["payload"]["error"]
    assert error["type"] == "validation"
    assert error["message"].startswith(field)
    if message.get("request_id") == "r1":
        assert reply["request_id"] == "r1"


def test_ping_gets_no_response(h: Harness) -> None:
    h.open("c")
    assert h.raw("c", {"action": "ping"}) == []
    assert h.raw("c", {"action": "ping", "request_id": "x"}) == []


def test_login_must_come_first(h: Harness) -> None:
    h.open("c")
    error = h.error("c", "get_chats_summary")
    assert error["type"] == "validation"
    assert "login" in error["message"]


def test_login_success_echoes_request_id_and_action(h: Harness) -> None:
    customer_id, token = h.customer()
    h.open("c")
    response, outputs = h.request("c", "login", {"token": f"Bearer {token}"}, rid="abc")
    assert response == {
        "request_id": "abc",
        "action": "login",
        "type": "response",
        "success": True,
        "payload": {"customer_id": customer_id, "static_config_path": h.config.static_config_path},
    }
    assert len(outputs) == 1


@pytest.mark.parametrize(
    "payload",
    [{}, {"token": 5}, {"token": "tok"}, {"token": "Bearer x", "customer": {"fields": {"a": 1}}}],
)
def test_login_validation(h: Harness, payload: dict[str, object]) -> None:
    h.open("c")
    assert h.error("c", "login", payload)["type"] == "validation"


def test_login_with_unknown_token_is_an_authentication_error(h: Harness) -> None:
    h.open("c")
    assert h.error("c", "login", {"token": "Bearer nope"})["type"] == "authentication"


def test_login_with_expired_token_is_an_authentication_error() -> None:
    h = Harness(token_ttl=100, idle_timeout=None)
    _, token = h.customer()
    h.now = 99.0
    h.connect("a", token)
    h.now = 100.0
    h.open("b")
    assert h.error("b", "login", {"token": f"Bearer {token}"})["type"] == "authentication"


def test_second_login_on_a_connection_is_refused(h: Harness) -> None:
    _, token = h.customer()
    h.connect("c", token)
    error = h.error("c", "login", {"token": f"Bearer {token}"})
    assert error["type"] == "validation"
    assert "already logged in" in error["message"]


def test_login_updates_the_customer_silently(h: Harness) -> None:
    customer_id, token = h.customer()
    outputs_before = h.connect("c", token, {"name": "Ann", "email": "a@x", "fields": {"k": "v"}})
    assert outputs_before == customer_id
    customer = h.ok("c", "update_customer", {})["customer"]
    assert customer["name"] == "Ann"
    assert customer["email"] == "a@x"
    assert customer["fields"] == {"k": "v"}
    assert customer["present"] is True


def test_unknown_action_is_a_validation_error(h: Harness) -> None:
    _, token = h.customer()
    h.connect("c", token)
    error = h.error("c", "fly_to_the_moon")
    assert error["type"] == "validation"
    assert error["message"].startswith("action")
    assert h.error("c", "send_file", {"chat_id": "x"})["type"] == "validation"


def test_receive_on_an_unknown_connection_is_a_driver_error(h: Harness) -> None:
    with pytest.raises(LocalProtocolError):
        h.core.receive("ghost", b"{}", 0.0)
    h.open("c")
    with pytest.raises(LocalProtocolError):
        h.core.open_connection("c", 0.0)
    assert h.core.close_connection("c", 0.0) == []
    assert h.core.close_connection("c", 0.0) == []
    with pytest.raises(LocalProtocolError):
        h.core.receive("c", b"{}", 0.0)


def test_idle_connections_are_closed_and_activity_resets_the_timer() -> None:
    h = Harness(idle_timeout=60.0)
    h.open("c")
    h.open("d")
    assert h.core.next_deadline() == 60.0
    h.now = 50.0
    h.core.note_activity("c", h.now)
    h.raw("d", {"action": "ping"})
    outputs = h.advance(15.0)
    assert outputs == []
    outputs = h.advance(50.0)
    assert {c.conn_id for c in h.closes(outputs)} == {"c", "d"}
    assert all(c.code == 1001 for c in h.closes(outputs))
    assert h.core.next_deadline() is None


def test_wall_clock_comes_from_the_epoch(h: Harness) -> None:
    h.now = 12.7
    assert h.core.wall(h.now) == int(EPOCH) + 12

"""The accounts code flow, token expiry, and the Web API (including send_file)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from customer_protocol.server import HttpReply, Send, ServerConfig, StoreFile, Upload

from .helpers import Harness

APP = "Bearer demo-app-token"
CODE_FORM = {
    "client_id": "demo-client",
    "response_type": "code",
    "redirect_uri": "http://localhost/callback",
    "state": "s1",
}


def _token_form(code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "redirect_uri": "http://localhost/callback",
    }


def test_defaults() -> None:
    config = ServerConfig()
    assert (config.license_id, config.client_id, config.client_secret) == (
        1,
        "demo-client",
        "demo-secret",
    )
    assert config.app_access_token == "demo-app-token"
    assert config.redirect_uri == "http://localhost/callback"
    assert config.agent is not None
    with pytest.raises(ValueError, match="license_id"):
        ServerConfig(license_id=0)


def test_code_flow_and_identity_reuse() -> None:
    h = Harness()
    reply = h.core.accounts_authorize(APP, CODE_FORM, h.now)
    assert reply.status == 200
    assert set(reply.body) == {"code", "customer_id", "customer_key", "state"}
    assert reply.body["state"] == "s1"
    token = h.core.accounts_token(_token_form(reply.body["code"]), h.now)
    assert token.status == 200
    assert token.body["token_type"] == "Bearer"
    assert token.body["expires_in"] == 3600
    h.open("c")
    login = h.ok("c", "login", {"token": f"Bearer {token.body['access_token']}"})
    assert login["customer_id"] == reply.body["customer_id"]
    # The code is single-use.
    again = h.core.accounts_token(_token_form(reply.body["code"]), h.now)
    assert again.status == 401
    # Reuse the identity.
    reuse = dict(CODE_FORM, customer_id=reply.body["customer_id"])
    reuse["customer_key"] = reply.body["customer_key"]
    second = h.core.accounts_authorize(APP, reuse, h.now)
    assert second.body["customer_id"] == reply.body["customer_id"]
    wrong_key = dict(reuse, customer_key="guess")
    assert h.core.accounts_authorize(APP, wrong_key, h.now).status == 401


@pytest.mark.parametrize(
    ("auth", "form", "status"),
    [
        ("Bearer wrong", CODE_FORM, 401),
        (None, CODE_FORM, 401),
        (APP, dict(CODE_FORM, client_id="other"), 400),
        (APP, dict(CODE_FORM, response_type="token"), 400),
        (APP, dict(CODE_FORM, redirect_uri="http://evil"), 400),
        (APP, {"client_id": "demo-client"}, 400),
    ],
)
def test_authorize_errors(auth: str | None, form: dict[str, str], status: int) -> None:
    reply = Harness().core.accounts_authorize(auth, form, 0.0)
    assert reply.status == status
    assert set(reply.body["error"]) == {"type", "message"}


def test_token_errors_and_code_expiry() -> None:
    h = Harness(code_ttl=10)
    code = h.core.accounts_authorize(APP, CODE_FORM, h.now).body["code"]
    assert h.core.accounts_token(dict(_token_form(code), client_secret="x"), 0).status == 401
    assert h.core.accounts_token(dict(_token_form(code), client_id="x"), 0).status == 400
    assert h.core.accounts_token(dict(_token_form(code), grant_type="x"), 0).status == 400
    assert h.core.accounts_token(dict(_token_form(code), redirect_uri="x"), 0).status == 400
    assert h.core.accounts_token(dict(_token_form(code), code=""), 0).status == 400
    assert h.core.accounts_token(_token_form(code), 10.0).status == 401


def test_tokens_expire() -> None:
    h = Harness(token_ttl=60, idle_timeout=None)
    code = h.core.accounts_authorize(APP, CODE_FORM, h.now).body["code"]
    token = h.core.accounts_token(_token_form(code), h.now).body["access_token"]
    h.now = 59.5
    h.connect("ok", token)
    h.now = 60.0
    h.open("late")
    assert h.error("late", "login", {"token": f"Bearer {token}"})["type"] == "authentication"
    result = h.core.web_api(f"Bearer {token}", "start_chat", b"{}", h.now)
    assert result.reply.status == 401
    # Expired tokens are purged at the next authorization.
    h.core.accounts_authorize(APP, CODE_FORM, h.now)
    assert token not in h.core.store.tokens


def test_id_source_collisions_are_drawn_again() -> None:
    h = Harness()
    h.core.accounts.source = lambda: "same"
    h.core.accounts.new_customer()
    with pytest.raises(Exception, match="used values"):
        h.core.accounts.new_customer()


def _web(h: Harness, token: str, action: str, payload: Any, **kw: Any) -> tuple[HttpReply, list]:
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    result = h.core.web_api(f"Bearer {token}", action, body, h.now, **kw)
    return result.reply, list(result.outputs)


def test_web_api_pushes_to_every_connection_without_request_id() -> None:
    h = Harness()
    _, token = h.customer()
    h.connect("a", token)
    h.connect("b", token)
    reply, outputs = _web(h, token, "start_chat", {"events": [{"type": "message", "text": "w"}]})
    assert reply.status == 200
    chat = reply.body["payload"]["chat"]
    for conn in ("a", "b"):
        [push] = h.sent(outputs, conn)
        assert push["action"] == "incoming_chat_thread"
        assert "request_id" not in push
        assert push["payload"]["chat"] == chat
    payload = {"chat_id": chat["id"], "event": {"type": "message", "text": "x"}}
    reply, outputs = _web(h, token, "send_event", payload)
    assert reply.body["payload"]["thread_id"] == chat["thread"]["id"]
    assert len(outputs) == 2
    reply, _ = _web(h, token, "update_customer", {"customer": {"name": "W"}})
    assert reply.body["payload"]["customer"]["name"] == "W"


def test_web_api_errors() -> None:
    h = Harness()
    customer_id, token = h.customer()
    _, other = h.customer()
    chat = _web(h, token, "start_chat", {})[0].body["payload"]["chat"]
    assert _web(h, token, "get_chats_summary", {})[0].status == 404
    assert _web(h, token, "nope", {})[0].status == 404
    assert h.core.web_api(None, "start_chat", b"{}", 0).reply.status == 401
    assert h.core.web_api("Basic x", "start_chat", b"{}", 0).reply.status == 401
    assert _web(h, "bad", "start_chat", {})[0].status == 401
    assert _web(h, token, "start_chat", b"{bad")[0].status == 400
    assert _web(h, token, "start_chat", [1])[0].status == 400
    reply, _ = _web(h, token, "send_event", {"chat_id": chat["id"]})
    assert reply.status == 400
    assert reply.body["error"]["type"] == "validation"
    assert reply.body["error"]["message"].startswith("event:")
    reply, _ = _web(h, other, "close_thread", {"chat_id": chat["id"]})
    assert reply.status == 403
    assert reply.body["error"]["type"] == "authorization"
    h.core.ban_customer(customer_id, h.now)
    reply, _ = _web(h, token, "close_thread", {"chat_id": chat["id"]})
    assert (reply.status, reply.body["error"]["type"]) == (403, "customer_banned")
    assert h.core.web_api(f"Bearer {other}", "start_chat", None, 0).reply.status == 200
    assert h.core.web_api(f"Bearer {other}", "start_chat", {}, 0).reply.status == 200


def test_send_file() -> None:
    h = Harness(files_base_url="http://127.0.0.1:8080/files", max_file_size=10)
    _, token = h.customer()
    h.connect("a", token)
    chat = h.start_chat("a")
    h.ok("a", "close_thread", {"chat_id": chat["id"]})
    upload = Upload(name="a b.png", content_type="image/png", data=b"12345")
    reply, outputs = _web(
        h, token, "send_file", {"chat_id": chat["id"], "custom_id": "f1"}, upload=upload
    )
    assert reply.status == 200
    url = reply.body["payload"]["url"]
    assert url.startswith("http://127.0.0.1:8080/files/")
    assert url.endswith("/a%20b.png")
    stored, push_out = outputs
    assert isinstance(stored, StoreFile)
    assert (stored.url, stored.data, stored.content_type) == (url, b"12345", "image/png")
    assert isinstance(push_out, Send)
    [push] = h.sent(outputs, "a")
    assert push["action"] == "incoming_chat_thread"  # the file opened a new thread
    [event] = push["payload"]["chat"]["thread"]["events"]
    assert event["type"] == "file"
    assert (event["url"], event["size"], event["custom_id"]) == (url, 5, "f1")
    big = Upload(name="big", content_type="x", data=b"x" * 11)
    reply, _ = _web(h, token, "send_file", {"chat_id": chat["id"]}, upload=big)
    assert reply.status == 400
    assert "too big" in reply.body["error"]["message"]
    reply, _ = _web(h, token, "send_file", {"chat_id": chat["id"]})
    assert reply.body["error"]["message"].startswith("file:")

"""The v3 Web API (bare payloads, statuses, upload_file) and POST /v2/customer/token."""

from __future__ import annotations

import json
from typing import Any

import pytest

from customer_protocol.server import FaultKind, FaultRule, ServerConfig, StoreFile, Upload

from .helpers import EPOCH
from .v3_helpers import ORG, V3Harness


def _web(
    h: V3Harness,
    token: str | None,
    action: str,
    body: Any = None,
    *,
    api: str = "3.6",
    upload: Upload | None = None,
    organization_id: str | None = ORG,
) -> Any:
    payload = json.dumps(body).encode() if isinstance(body, dict) else body
    return h.core.web_api(
        None if token is None else f"Bearer {token}",
        action,
        payload,
        h.now,
        upload=upload,
        api=api,
        organization_id=organization_id,
    )


def test_web_actions_answer_bare_payloads_and_push_to_rtm_without_request_id() -> None:
    h = V3Harness()
    _, token = h.customer3("c")
    result = _web(h, token, "start_chat", {})
    assert result.reply.status == 200
    assert set(result.reply.body) == {"chat_id", "thread_id"}
    pushes = [json.loads(o.data) for o in result.outputs]
    assert [p["action"] for p in pushes] == ["incoming_chat"]
    assert "request_id" not in pushes[0]
    assert pushes[0]["version"] == "3.6"
    chats = _web(h, token, "list_chats", b"")
    assert chats.reply.body["total_chats"] == 1
    assert "payload" not in chats.reply.body


@pytest.mark.parametrize(
    ("token", "action", "body", "status", "kind"),
    [
        (None, "list_chats", {}, 401, "authentication"),
        ("nope", "list_chats", {}, 401, "authentication"),
        ("T", "no_such", {}, 404, "not_found"),
        ("T", "get_chat", {"chat_id": "nope"}, 404, "not_found"),
        ("T", "send_event", {"chat_id": 1}, 400, "validation"),
        ("T", "list_chats", b"[1]", 400, "validation"),
        ("T", "list_chats", b"{", 400, "validation"),
        ("T", "get_form", {"group_id": 9, "type": "prechat"}, 404, "group_not_found"),
        ("T", "get_predicted_agent", {}, 422, "group_offline"),
    ],
)
def test_web_errors_have_statuses(
    token: str | None, action: str, body: Any, status: int, kind: str
) -> None:
    h = V3Harness()
    _, real = h.customer()
    result = _web(h, real if token == "T" else token, action, body)
    assert result.reply.status == status
    assert result.reply.body["error"]["type"] == kind


def test_web_other_organization_and_version() -> None:
    h = V3Harness()
    _, token = h.customer()
    wrong = _web(h, token, "list_chats", {}, organization_id="x")
    assert (wrong.reply.status, wrong.reply.body["error"]["type"]) == (404, "license_not_found")
    assert _web(h, token, "list_chats", {}, organization_id=None).reply.status == 200
    old = _web(h, token, "list_chats", {}, api="3.1")
    assert old.reply.body["error"]["type"] == "unsupported_version"


def test_upload_file_then_send_it_as_a_file_event() -> None:
    h = V3Harness()
    _, token = h.customer3("c")
    chat_id = h.start3("c")["chat_id"]
    upload = Upload(name="a b.png", content_type="image/png", data=b"\x89PNG")
    result = _web(h, token, "upload_file", None, upload=upload)
    assert result.reply.status == 200
    url = result.reply.body["url"]
    assert set(result.reply.body) == {"url"}
    [kept] = result.outputs
    assert isinstance(kept, StoreFile)
    assert kept.url == url
    assert kept.data == b"\x89PNG"
    assert url.endswith("/a%20b.png")
    sent = _web(h, token, "send_event", {"chat_id": chat_id, "event": {"type": "file", "url": url}})
    assert sent.reply.status == 200
    [push] = [json.loads(o.data) for o in sent.outputs]
    event = push["payload"]["event"]
    assert (event["name"], event["content_type"], event["size"]) == ("a b.png", "image/png", 4)
    missing = _web(h, token, "upload_file", None)
    assert missing.reply.body["error"]["message"].startswith("file:")


def test_upload_file_too_big() -> None:
    h = V3Harness(ServerConfig(agent=None, max_file_size=3))
    _, token = h.customer()
    upload = Upload(name="x", content_type="", data=b"1234")
    result = _web(h, token, "upload_file", None, upload=upload)
    assert result.reply.status == 413
    assert result.reply.body["error"]["type"] == "entity_too_large"


@pytest.mark.parametrize("api", ["3.4", "3.6"])
def test_web_only_configuration_actions(api: str) -> None:
    h = V3Harness(ServerConfig(idle_timeout=None))
    _, token = h.customer()
    dynamic = _web(h, token, "get_dynamic_configuration", {"group_id": "0"}, api=api).reply.body
    if api == "3.6":
        assert dynamic["organization_id"] == ORG
        assert dynamic["livechat"]["online_group_ids"] == [0]
    else:
        assert dynamic["group_id"] == 0
        assert "config_version" in dynamic
    query = {"group_id": "0", "version": "1"}
    config = _web(h, token, "get_configuration", query, api=api).reply.body
    assert set(config) >= {"buttons", "integrations", "properties"}
    strings = _web(h, token, "get_localization", {**query, "language": "en"}, api=api).reply.body
    assert all(isinstance(v, str) for v in strings.values())
    assert _web(h, token, "list_license_properties", {}, api=api).reply.body == {}
    assert _web(h, token, "list_group_properties", {"id": "0"}, api=api).reply.body == {}
    verify = _web(h, token, "request_email_verification", {"callback_uri": "https://x"}, api=api)
    assert verify.reply.body == {}
    other_group = _web(h, token, "get_dynamic_configuration", {"group_id": 5}, api=api)
    assert other_group.reply.status == 404


def test_web_error_fault_applies_to_v3() -> None:
    h = V3Harness()
    _, token = h.customer()
    h.core.faults.add(FaultRule(kind=FaultKind.ERROR, action="list_chats", error_type="internal"))
    assert _web(h, token, "list_chats", {}).reply.status == 500
    assert _web(h, token, "list_chats", {}).reply.status == 200


# -- accounts ---------------------------------------------------------------------------------

AGENT = {"Authorization": "Bearer demo-agent-token"}
GRANT = {"grant_type": "agent_token", "client_id": "demo-client", "response_type": "token"}


def test_agent_token_grant_issues_a_customer_token_that_logs_in() -> None:
    h = V3Harness()
    reply = h.core.accounts_token_v2(AGENT, GRANT, h.now)
    assert reply.status == 200
    body = reply.body
    assert set(body) == {
        "access_token",
        "client_id",
        "entity_id",
        "expires_in",
        "token_type",
        "organization_id",
    }
    assert body["token_type"] == "Bearer"
    assert body["organization_id"] == ORG
    assert body["client_id"] == "demo-client"
    assert body["expires_in"] == h.config.token_ttl
    payload, _ = h.login3("c", body["access_token"])
    assert payload["customer"]["id"] == body["entity_id"]
    again = h.core.accounts_token_v2(
        {"authorization": "Bearer demo-agent-token"},
        json.dumps({**GRANT, "entity_id": body["entity_id"], "organization_id": ORG}).encode(),
        h.now,
    )
    assert again.body["entity_id"] == body["entity_id"]
    assert again.body["access_token"] != body["access_token"]
    chosen = h.core.accounts_token_v2(AGENT, {**GRANT, "entity_id": "my-customer"}, h.now)
    assert chosen.body["entity_id"] == "my-customer"


def test_agent_token_grant_accepts_a_form_body() -> None:
    h = V3Harness()
    form = b"grant_type=agent_token&client_id=demo-client&response_type=token"
    assert h.core.accounts_token_v2(AGENT, form, h.now).status == 200


@pytest.mark.parametrize(
    ("headers", "body", "status", "message"),
    [
        ({}, GRANT, 401, "invalid agent"),
        ({"Authorization": "Bearer wrong"}, GRANT, 401, "invalid agent"),
        (AGENT, {**GRANT, "client_id": "x"}, 400, "client_id:"),
        (AGENT, {**GRANT, "response_type": "code"}, 400, "response_type:"),
        (AGENT, {**GRANT, "grant_type": "password"}, 400, "grant_type:"),
        (AGENT, {**GRANT, "organization_id": "x"}, 400, "organization_id:"),
        (AGENT, {**GRANT, "entity_id": 5}, 400, "entity_id:"),
        (AGENT, b"{", 400, "body:"),
        (AGENT, b"[1]", 400, "body:"),
        (AGENT, b"\xff\xfe", 400, "body:"),
        ({"Cookie": ""}, {**GRANT, "grant_type": "cookie"}, 400, "organization_id:"),
    ],
)
def test_token_v2_errors(headers: dict[str, str], body: Any, status: int, message: str) -> None:
    h = V3Harness()
    reply = h.core.accounts_token_v2(headers, body, h.now)
    assert reply.status == status
    assert reply.body["error"]["message"].startswith(message)
    assert "demo-agent-token" not in json.dumps(reply.body)


def test_cookie_grant_sets_and_reuses_the_identity() -> None:
    h = V3Harness()
    body = {**GRANT, "grant_type": "cookie", "organization_id": ORG, "redirect_uri": "https://x"}
    first = h.core.accounts_token_v2({"Origin": "https://x"}, body, h.now)
    assert first.status == 200
    cookies = [value.split(";")[0] for name, value in first.headers if name == "Set-Cookie"]
    assert len(cookies) == 2
    again = h.core.accounts_token_v2({"Cookie": "; ".join(cookies)}, body, h.now)
    assert again.body["entity_id"] == first.body["entity_id"]
    forged = h.core.accounts_token_v2(
        {"Cookie": f"__lc_cid={first.body['entity_id']}; __lc_cst=wrong"}, body, h.now
    )
    assert forged.body["entity_id"] != first.body["entity_id"]


def test_token_expiry_uses_the_wall_clock() -> None:
    h = V3Harness(ServerConfig(agent=None, token_ttl=10))
    token = h.core.accounts_token_v2(AGENT, GRANT, h.now).body["access_token"]
    h.now = 11
    h.open3("c")
    assert h.error("c", "login", {"token": f"Bearer {token}"})["type"] == "authentication"
    assert EPOCH > 0

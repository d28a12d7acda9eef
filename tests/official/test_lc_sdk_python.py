"""LiveChat's own Python SDK (lc-sdk-python 0.4.x) against the reference server, API v3.6.

Its customer RTM client (websocket-client, ``wss://`` without certificate checks) and its
customer Web client (httpx, ``https://`` verified against the throwaway CA) run unchanged; only
``base_url`` points at the server. Every action it wraps that the server serves is called, each
response is checked against the shape the public docs give (``shapes.py``), and the pushes it
receives are checked too. The SDK logs whole requests (tokens included) through loguru: that
logger is disabled here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from livechat.customer.rtm.base import CustomerRTM
from livechat.customer.web.base import CustomerWeb
from loguru import logger

from tests.official import shapes
from tests.official.conftest import OfficialServer

logger.disable("livechat")
pytestmark = pytest.mark.timeout(90)

API = "3.6"
PUSH_TIMEOUT = 5.0


class SdkRtm:
    """lc-sdk-python's customer RTM client, plus helpers to check what it received."""

    def __init__(self, official: OfficialServer, api: str = API) -> None:
        self.official = official
        self.api = api
        self.client = CustomerRTM.get_client(
            version=api, base_url=official.netloc, organization_id=official.config.organization_id
        )
        assert self.client.ws.url.startswith("wss://")  # the SDK's own URL, unchanged
        self.client.open_connection(response_timeout=5)
        self._socket = self.client.ws.sock

    def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """Call ``method`` of the SDK; the response must be a success: return its payload."""
        response = getattr(self.client, method)(**kwargs)
        assert response is not None, f"{method}: no response within the SDK's timeout"
        message = response.rtm_response
        assert message.get("type") == "response" and message.get("action") == method, message
        assert message.get("success") is True, f"{method} failed: {message.get('payload')}"
        payload = message.get("payload", {})
        assert isinstance(payload, dict), message
        return payload

    def fail(self, method: str, error_type: str | tuple[str, ...], **kwargs: Any) -> None:
        """Call ``method``; the response must be an error of ``error_type``."""
        response = getattr(self.client, method)(**kwargs)
        assert response is not None, f"{method}: no response within the SDK's timeout"
        shapes.check_error(response.rtm_response, method, error_type)

    def messages(self) -> list[dict[str, Any]]:
        with self.client.ws._messages_lock:
            return list(reversed(self.client.ws.messages))  # the SDK keeps them newest first

    def pushes(self, name: str) -> list[dict[str, Any]]:
        found = []
        for message in self.messages():
            if message.get("type") == "push" and message.get("action") == name:
                assert isinstance(message.get("payload"), dict), message
                version = message.get("version")
                assert version == self.api, f"{name}: version {version}"
                found.append(message["payload"])
        return found

    def push(
        self, name: str, match: Callable[[dict[str, Any]], bool] = lambda _: True
    ) -> dict[str, Any]:
        """The first ``name`` push matching ``match`` (waiting up to 5 s)."""
        deadline = time.monotonic() + PUSH_TIMEOUT
        while True:
            for payload in self.pushes(name):
                if match(payload):
                    return payload
            if time.monotonic() > deadline:
                seen = [m.get("action") for m in self.messages() if m.get("type") == "push"]
                raise AssertionError(f"no matching {name} push; pushes seen: {seen}")
            time.sleep(0.05)

    def login(self) -> dict[str, Any]:
        token = self.official.customer_token()
        payload = self.call("login", token=f"Bearer {token['access_token']}")
        shapes.check_login(payload)
        assert payload["customer"]["id"] == token["entity_id"]
        return payload

    def close(self) -> None:
        self.client.close_connection()
        _release(self._socket)


def _release(socket: Any) -> None:
    """Close the SDK's socket: websocket-client leaves it open when the server closed first."""
    if socket is not None:
        socket.shutdown()


@pytest.fixture
def rtm(official_server: OfficialServer) -> Iterator[SdkRtm]:
    client = SdkRtm(official_server)
    try:
        yield client
    finally:
        client.close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _start(rtm: SdkRtm, text: str = "Hello from lc-sdk-python") -> dict[str, Any]:
    started = rtm.call(
        "start_chat", chat={"thread": {"events": [{"type": "message", "text": text}]}}
    )
    shapes.fields(started, "start_chat", {"chat_id": str, "thread_id": str}, {"event_ids": list})
    return started


# -- RTM -------------------------------------------------------------------------------------------


def test_login_customer_and_session_fields(rtm: SdkRtm) -> None:
    login = rtm.login()
    assert login["has_active_thread"] is False and login.get("chats", []) == []
    customer = shapes.check_customer(rtm.call("get_customer"), "get_customer", statistics=True)
    assert customer["id"] == login["customer"]["id"]
    shapes.empty(rtm.call("update_customer", name="Ann Example", email="ann@example.com"), "uc")
    updated = shapes.check_customer(rtm.push("customer_updated"), "customer_updated")
    assert updated["id"] == customer["id"] and updated.get("name") == "Ann Example"
    fields = [{"plan": "gold"}, {"source": "lc-sdk-python"}]
    shapes.empty(rtm.call("set_customer_session_fields", session_fields=fields), "scsf")
    customer = shapes.check_customer(rtm.call("get_customer"), "get_customer", statistics=True)
    assert (customer["name"], customer["email"]) == ("Ann Example", "ann@example.com")
    assert customer["session_fields"] == fields


def test_chat_lifecycle_and_its_pushes(rtm: SdkRtm) -> None:
    customer_id = rtm.login()["customer"]["id"]
    started = _start(rtm)
    chat_id, thread_id = started["chat_id"], started["thread_id"]
    assert len(started["event_ids"]) == 1
    incoming = rtm.push("incoming_chat", lambda p: p["chat"]["id"] == chat_id)
    chat = shapes.check_chat(incoming["chat"], "incoming_chat.chat")
    assert chat["thread"]["id"] == thread_id
    assert [e["id"] for e in chat["thread"]["events"]] == started["event_ids"]
    # The simulated agent joins, types and answers.
    joined = rtm.push("user_added_to_chat", lambda p: p["chat_id"] == chat_id)
    shapes.check_user(joined["user"], "user_added_to_chat.user")
    assert joined["user"]["type"] == "agent"
    typing = rtm.push("incoming_typing_indicator", lambda p: p["chat_id"] == chat_id)
    shapes.fields(typing["typing_indicator"], "typing_indicator", {"is_typing": bool})
    answer = rtm.push("incoming_event", lambda p: p["event"].get("author_id") != customer_id)
    shapes.check_event(answer["event"], "incoming_event.event")

    sent = rtm.call("send_event", chat_id=chat_id, event={"type": "message", "text": "2nd"})
    shapes.fields(sent, "send_event", {"event_id": str})
    pushed = rtm.push("incoming_event", lambda p: p["event"]["id"] == sent["event_id"])
    assert pushed["chat_id"] == chat_id and pushed["thread_id"] == thread_id
    assert shapes.check_event(pushed["event"], "incoming_event.event")["text"] == "2nd"

    (summary,) = shapes.check_chats_summary(rtm.call("list_chats"))
    assert summary["id"] == chat_id and summary["last_thread_id"] == thread_id
    assert summary["active"] is True
    assert shapes.check_chats_summary(rtm.call("list_chats", limit=1, sort_order="asc"))
    (thread,) = shapes.check_threads(rtm.call("list_threads", chat_id=chat_id))
    assert thread["id"] == thread_id
    assert sent["event_id"] in [event["id"] for event in thread["events"]]
    got = shapes.check_chat(rtm.call("get_chat", chat_id=chat_id, thread_id=thread_id), "gc")
    assert got["id"] == chat_id and got["thread"]["id"] == thread_id
    shapes.check_chat(rtm.call("get_chat", chat_id=chat_id), "get_chat (latest thread)")

    seen_up_to = _now()
    shapes.empty(rtm.call("mark_events_as_seen", chat_id=chat_id, seen_up_to=seen_up_to), "m")
    seen = rtm.push("events_marked_as_seen", lambda p: p["chat_id"] == chat_id)
    shapes.fields(seen, "events_marked_as_seen", {"user_id": str, "seen_up_to": str})
    shapes.timestamp(seen["seen_up_to"], "events_marked_as_seen.seen_up_to")

    shapes.empty(rtm.call("deactivate_chat", id=chat_id), "deactivate_chat")
    closed = rtm.push("chat_deactivated", lambda p: p["chat_id"] == chat_id)
    shapes.fields(closed, "chat_deactivated", {"chat_id": str, "thread_id": str}, {"user_id": str})
    assert closed["thread_id"] == thread_id
    rtm.fail("send_event", "chat_inactive", chat_id=chat_id, event={"type": "message", "text": "x"})

    resumed = rtm.call(
        "resume_chat",
        chat={"id": chat_id, "thread": {"events": [{"type": "message", "text": "Back"}]}},
    )
    shapes.fields(resumed, "resume_chat", {"thread_id": str}, {"event_ids": list})
    assert resumed["thread_id"] != thread_id
    again = rtm.push("incoming_chat", lambda p: p["chat"]["thread"]["id"] == resumed["thread_id"])
    shapes.check_chat(again["chat"], "incoming_chat.chat")
    threads = shapes.check_threads(rtm.call("list_threads", chat_id=chat_id))
    assert [t["id"] for t in threads] == [resumed["thread_id"], thread_id]  # newest first
    # The same customer on a second connection (the grant's entity_id) sees the chat at login.
    second = SdkRtm(rtm.official)
    try:
        token = rtm.official.customer_token(entity_id=customer_id)
        login = shapes.check_login(second.call("login", token=f"Bearer {token['access_token']}"))
    finally:
        second.close()
    assert login["customer"]["id"] == customer_id and login["has_active_thread"] is True
    assert [chat["chat_id"] for chat in login["chats"]] == [chat_id]


def test_properties(rtm: SdkRtm) -> None:
    rtm.login()
    started = _start(rtm)
    chat_id, thread_id = started["chat_id"], started["thread_id"]
    event_id = started["event_ids"][0]
    props = {"shop": {"cart_value": 42, "coupon": "SPRING"}}

    shapes.empty(rtm.call("update_chat_properties", id=chat_id, properties=props), "ucp")
    push = rtm.push("chat_properties_updated", lambda p: p["chat_id"] == chat_id)
    assert push["properties"] == props
    assert rtm.call("get_chat", chat_id=chat_id)["properties"]["shop"] == props["shop"]
    deleted = {"shop": ["coupon"]}
    shapes.empty(rtm.call("delete_chat_properties", id=chat_id, properties=deleted), "dcp")
    rtm.push("chat_properties_deleted", lambda p: p["chat_id"] == chat_id)
    assert rtm.call("get_chat", chat_id=chat_id)["properties"]["shop"] == {"cart_value": 42}

    shapes.empty(
        rtm.call(
            "update_thread_properties", chat_id=chat_id, thread_id=thread_id, properties=props
        ),
        "utp",
    )
    push = rtm.push("thread_properties_updated", lambda p: p["chat_id"] == chat_id)
    assert push["thread_id"] == thread_id and push["properties"] == props
    shapes.empty(
        rtm.call(
            "delete_thread_properties", chat_id=chat_id, thread_id=thread_id, properties=deleted
        ),
        "dtp",
    )
    rtm.push("thread_properties_deleted", lambda p: p["chat_id"] == chat_id)

    shapes.empty(
        rtm.call(
            "update_event_properties",
            chat_id=chat_id,
            thread_id=thread_id,
            event_id=event_id,
            properties=props,
        ),
        "uep",
    )
    push = rtm.push("event_properties_updated", lambda p: p["event_id"] == event_id)
    assert push["properties"] == props
    shapes.empty(
        rtm.call(
            "delete_event_properties",
            chat_id=chat_id,
            thread_id=thread_id,
            event_id=event_id,
            properties=deleted,
        ),
        "dep",
    )
    rtm.push("event_properties_deleted", lambda p: p["event_id"] == event_id)


def test_status_forms_urls_pages_and_greetings(rtm: SdkRtm) -> None:
    rtm.login()
    statuses = rtm.call("list_group_statuses", all=True)
    groups = shapes.fields(statuses, "list_group_statuses", {"groups_status": dict})
    for group, status in groups["groups_status"].items():
        assert str(group).isdigit() and status in ("online", "offline", "online_for_queue")
    assert "0" in {str(group) for group in groups["groups_status"]}
    rtm.call("list_group_statuses", group_ids=[0])

    form = shapes.fields(
        rtm.call("get_form", group_id=0, type="prechat"), "get_form", {"enabled": bool}
    )
    if form["enabled"]:
        shapes.fields(form, "get_form", {"form": dict})
        shapes.fields(form["form"], "get_form.form", {"id": str, "fields": list})

    info = rtm.call("get_url_info", url="https://www.example.com/pricing")
    shapes.fields(
        info,
        "get_url_info",
        {"url": str},
        {
            "title": str,
            "description": str,
            "image_url": str,
            "image_original_url": str,
            "image_width": int,
            "image_height": int,
        },
    )

    shapes.empty(
        rtm.call("update_customer_page", url="https://shop.example/cart", title="Cart"), "ucp"
    )
    shapes.empty(rtm.call("activate_customer_page"), "activate_customer_page")
    shapes.empty(rtm.call("deactivate_customer_page"), "deactivate_customer_page")
    predicted = rtm.call("get_predicted_agent")
    shapes.fields(predicted, "get_predicted_agent", {"agent": dict}, {"queue": bool})
    shapes.check_user({**predicted["agent"], "type": "agent"}, "get_predicted_agent.agent")

    # No greeting was shown to this customer: both greeting calls name an unknown greeting.
    rtm.fail("accept_greeting", "greeting_not_found", greeting_id=7, unique_id="Q10X0W041P")
    rtm.fail("cancel_greeting", "greeting_not_found", unique_id="Q10X0W041P")


def test_errors_name_the_problem(rtm: SdkRtm, official_server: OfficialServer) -> None:
    other = SdkRtm(official_server)
    try:
        other.login()
        foreign = _start(other)["chat_id"]
    finally:
        other.close()
    rtm.fail("list_chats", ("authentication", "validation"))  # before login
    rtm.login()
    rtm.fail("get_chat", ("not_found", "authorization"), chat_id="NO_SUCH_CHAT")
    rtm.fail("get_chat", "authorization", chat_id=foreign)
    rtm.fail("send_event", "authorization", chat_id=foreign, event={"type": "message", "text": "x"})
    # A validation error names the field.
    response = rtm.client.start_chat(chat={"thread": {"events": [{"type": "message"}]}})
    assert response is not None
    shapes.check_error(response.rtm_response, "start_chat", "validation")
    assert "text" in response.payload["error"]["message"]
    rtm.fail("list_chats", "validation", limit=1000)


def test_an_unknown_organization_is_refused(official_server: OfficialServer) -> None:
    client = CustomerRTM.get_client(
        version=API, base_url=official_server.netloc, organization_id="no-such-organization"
    )
    client.open_connection(response_timeout=5)
    socket = client.ws.sock
    try:
        token = official_server.customer_token()
        response = client.login(token=f"Bearer {token['access_token']}")
        messages = list(client.ws.messages)
    finally:
        client.close_connection()
        _release(socket)
    disconnected = [m for m in messages if m.get("action") == "customer_disconnected"]
    refused = response is not None and response.success is False
    assert refused or disconnected, messages
    if disconnected:
        assert disconnected[0]["payload"]["reason"] == "license_not_found"


# -- Web API -------------------------------------------------------------------------------------


@pytest.fixture
def web(official_server: OfficialServer) -> Iterator[tuple[Any, SdkRtm]]:
    """lc-sdk-python's customer Web client (verifying TLS), and an RTM client of the same
    customer that receives the pushes the Web calls cause."""
    rtm = SdkRtm(official_server)
    token = official_server.customer_token()
    login = rtm.call("login", token=f"Bearer {token['access_token']}")
    assert login["customer"]["id"] == token["entity_id"]
    client = CustomerWeb.get_client(
        access_token=f"Bearer {token['access_token']}",
        version=API,
        base_url=official_server.netloc,
        organization_id=official_server.config.organization_id,
        verify=official_server.tls.client_context(),
    )
    assert client.api_url.startswith("https://")  # the SDK's own URL, unchanged
    try:
        yield client, rtm
    finally:
        client.session.close()
        rtm.close()


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, (response.request.url.path, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "payload" not in body or len(body) > 1, f"v3 answers are bare payloads: {body}"
    return body


def test_web_client_actions_and_pushes(web: tuple[Any, SdkRtm]) -> None:
    client, rtm = web
    assert shapes.check_chats_summary(_ok(client.list_chats())) == []
    started = _ok(
        client.start_chat(chat={"thread": {"events": [{"type": "message", "text": "Hi, web"}]}})
    )
    shapes.fields(started, "start_chat", {"chat_id": str, "thread_id": str}, {"event_ids": list})
    chat_id, thread_id = started["chat_id"], started["thread_id"]
    incoming = rtm.push("incoming_chat", lambda p: p["chat"]["id"] == chat_id)
    shapes.check_chat(incoming["chat"], "incoming_chat.chat")
    sent = _ok(client.send_event(chat_id=chat_id, event={"type": "message", "text": "web 2"}))
    shapes.fields(sent, "send_event", {"event_id": str})
    rtm.push("incoming_event", lambda p: p["event"]["id"] == sent["event_id"])

    (summary,) = shapes.check_chats_summary(_ok(client.list_chats()))
    assert summary["id"] == chat_id
    (thread,) = shapes.check_threads(_ok(client.list_threads(chat_id=chat_id)))
    assert thread["id"] == thread_id
    shapes.check_chat(_ok(client.get_chat(chat_id=chat_id, thread_id=thread_id)), "get_chat")
    shapes.check_customer(_ok(client.get_customer()), "get_customer", statistics=True)
    assert _ok(client.update_customer(name="Web Ann")) == {}
    assert _ok(client.set_customer_session_fields(session_fields=[{"k": "v"}])) == {}
    assert _ok(client.get_customer())["name"] == "Web Ann"
    props = {"shop": {"cart": 3}}
    assert _ok(client.update_chat_properties(id=chat_id, properties=props)) == {}
    rtm.push("chat_properties_updated", lambda p: p["chat_id"] == chat_id)
    assert (
        _ok(client.update_thread_properties(chat_id=chat_id, thread_id=thread_id, properties=props))
        == {}
    )
    shapes.fields(_ok(client.list_group_statuses(all=True)), "lgs", {"groups_status": dict})
    shapes.fields(_ok(client.get_form(group_id=0, type="prechat")), "get_form", {"enabled": bool})
    shapes.fields(_ok(client.get_url_info(url="https://www.example.com/")), "gui", {"url": str})
    assert _ok(client.mark_events_as_seen(chat_id=chat_id, seen_up_to=_now())) == {}
    rtm.push("events_marked_as_seen", lambda p: p["chat_id"] == chat_id)
    assert _ok(client.deactivate_chat(id=chat_id)) == {}
    rtm.push("chat_deactivated", lambda p: p["chat_id"] == chat_id)


def test_web_upload_file_then_send_it(web: tuple[Any, SdkRtm]) -> None:
    client, rtm = web
    chat_id = _ok(client.start_chat())["chat_id"]
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    uploaded = _ok(client.upload_file(file={"file": ("receipt.png", data, "image/png")}))
    url = shapes.fields(uploaded, "upload_file", {"url": str})["url"]
    assert url.startswith("https://")
    download = client.session.get(url)
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"] == "image/png"
    sent = _ok(client.send_event(chat_id=chat_id, event={"type": "file", "url": url}))
    pushed = rtm.push("incoming_event", lambda p: p["event"]["id"] == sent["event_id"])
    event = shapes.check_event(pushed["event"], "incoming_event.event")
    assert event["type"] == "file" and event["url"] == url


def test_web_errors(web: tuple[Any, SdkRtm], official_server: OfficialServer) -> None:
    client, _ = web
    response = client.get_chat(chat_id="NO_SUCH_CHAT")
    assert response.status_code in (400, 403, 404)
    error = shapes.fields(response.json().get("error"), "error", {"type": str, "message": str})
    assert error["type"] in ("not_found", "authorization")
    anonymous = CustomerWeb.get_client(
        access_token="Bearer not-a-token",
        version=API,
        base_url=official_server.netloc,
        organization_id=official_server.config.organization_id,
        verify=official_server.tls.client_context(),
    )
    try:
        response = anonymous.list_chats()
    finally:
        anonymous.session.close()
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication"
    pretty = client.session.post(
        f"{client.api_url}/list_chats{client.query_string}",
        content=json.dumps({"limit": 5}, indent=4),
        headers={"Content-Type": "application/json", "Origin": "https://shop.example"},
    )
    shapes.check_chats_summary(_ok(pretty))


def test_sneak_peek_delete_event_welcome_and_postback(rtm: SdkRtm) -> None:
    rtm.login()
    started = _start(rtm)
    chat_id, thread_id = started["chat_id"], started["thread_id"]
    shapes.empty(rtm.call("send_sneak_peek", chat_id=chat_id, sneak_peek_text="Typ"), "ssp")
    sent = rtm.call("send_event", chat_id=chat_id, event={"type": "message", "text": "oops"})
    shapes.empty(
        rtm.call("delete_event", chat_id=chat_id, thread_id=thread_id, event_id=sent["event_id"]),
        "delete_event",
    )
    deleted = rtm.push("event_deleted", lambda p: p.get("event_id") == sent["event_id"])
    assert (deleted["chat_id"], deleted["thread_id"]) == (chat_id, thread_id)
    (thread,) = shapes.check_threads(rtm.call("list_threads", chat_id=chat_id))
    assert sent["event_id"] not in [e["id"] for e in thread["events"] if not e.get("deleted")]
    welcome = rtm.call("request_welcome_message")
    shapes.fields(welcome, "request_welcome_message", {"id": str}, {"queue": bool})
    if "predicted_agent" in welcome:
        shapes.fields(welcome["predicted_agent"], "predicted_agent", {"id": str, "type": str})
    postback = {"id": "action_yes", "toggled": True}
    shapes.empty(
        rtm.call(
            "send_rich_message_postback",
            chat_id=chat_id,
            thread_id=thread_id,
            event_id=started["event_ids"][0],
            postback=postback,
        ),
        "send_rich_message_postback",
    )
    rtm.fail(
        "send_rich_message_postback",
        ("not_found", "validation"),
        chat_id=chat_id,
        thread_id=thread_id,
        event_id="NO_SUCH_EVENT",
        postback=postback,
    )


def test_web_client_configuration_properties_goals(web: tuple[Any, SdkRtm]) -> None:
    """What the Web client wraps beyond the RTM actions, including its GET calls."""
    client, _ = web
    dynamic = shapes.fields(
        _ok(client.get_dynamic_configuration(group_id=0, url="https://shop.example/")),
        "get_dynamic_configuration",
        {"organization_id": str, "livechat_active": bool},
        {"default_widget": str, "livechat": dict},
    )
    assert dynamic["organization_id"] == client.organization_id
    livechat = shapes.fields(
        dynamic.get("livechat", {}),
        "get_dynamic_configuration.livechat",
        {},
        {"group_id": int, "config_version": str, "localization_version": str, "language": str},
    )
    version = livechat.get("config_version", "1")
    shapes.fields(_ok(client.get_configuration(group_id=0, version=version)), "gc", {})
    localization = client.get_localization(
        group_id=0,
        language=livechat.get("language", "en"),
        version=livechat.get("localization_version", "1"),
    )
    assert isinstance(_ok(localization), dict)
    assert isinstance(_ok(client.list_license_properties()), dict)
    assert isinstance(_ok(client.list_group_properties(group_id=0)), dict)
    goals = client.check_goals(
        session_fields=[{"k": "v"}], group_id=0, page_url="https://shop.example/"
    )
    assert isinstance(_ok(goals), dict)
    verification = client.request_email_verification(callback_uri="https://shop.example/ok")
    assert isinstance(_ok(verification), dict)


def test_the_v35_client_gets_v35_pushes(official_server: OfficialServer) -> None:
    rtm = SdkRtm(official_server, api="3.5")
    try:
        assert "/v3.5/customer/rtm/ws?" in rtm.client.ws.url
        rtm.login()
        started = _start(rtm)
        rtm.push("incoming_chat", lambda p: p["chat"]["id"] == started["chat_id"])  # version 3.5
    finally:
        rtm.close()


def _greet(official: OfficialServer, customer_id: str, text: str) -> None:
    server = official.server.server

    def greet() -> None:
        server.apply(server.core.send_greeting(customer_id, text, time.monotonic()))

    official.server.call(greet)


def test_greetings_accepted_and_canceled(rtm: SdkRtm) -> None:
    customer_id = rtm.login()["customer"]["id"]
    _greet(rtm.official, customer_id, "Can I help you?")
    greeting = rtm.push("incoming_greeting")
    shapes.fields(
        greeting,
        "incoming_greeting",
        {"id": int, "unique_id": str, "event": dict, "agent": dict},
        {"displayed_first_time": bool, "addon": str, "subtype": str, "is_exit_intent": bool},
    )
    assert greeting["event"]["text"] == "Can I help you?"
    shapes.fields(greeting["agent"], "incoming_greeting.agent", {"id": str, "name": str})
    shapes.empty(
        rtm.call("accept_greeting", greeting_id=greeting["id"], unique_id=greeting["unique_id"]),
        "accept_greeting",
    )
    accepted = rtm.push("greeting_accepted")
    assert accepted["unique_id"] == greeting["unique_id"]
    _greet(rtm.official, customer_id, "Still there?")
    second = rtm.push("incoming_greeting", lambda p: p["unique_id"] != greeting["unique_id"])
    shapes.empty(rtm.call("cancel_greeting", unique_id=second["unique_id"]), "cancel_greeting")
    assert rtm.push("greeting_canceled")["unique_id"] == second["unique_id"]
    rtm.fail("cancel_greeting", "greeting_not_found", unique_id=second["unique_id"])

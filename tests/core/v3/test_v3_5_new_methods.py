"""v3.md section 5: the methods new in v3 - their payloads and typed results."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from customer_protocol import Agent, Customer, InvalidArgumentsError, RemoteProtocolError
from customer_protocol.dialects import v3_payloads as p
from customer_protocol.dialects import v3_results as r
from customer_protocol.payloads import CustomIds

from . import samples as s


def ids() -> CustomIds:
    counter = itertools.count(1)
    return lambda: f"cid-{next(counter)}"


# --------------------------------------------------------------------------------------------
# Payloads


def test_resume_chat() -> None:
    assert p.resume_chat("CH1", ids()) == {"chat": {"id": "CH1"}}
    assert p.resume_chat(
        "CH1",
        ids(),
        events=[{"type": "message", "text": "back"}],
        properties={"ns": {"a": 1}},
        access={"group_ids": [2]},
        active=True,
        continuous=False,
    ) == {
        "chat": {
            "id": "CH1",
            "access": {"group_ids": [2]},
            "properties": {"ns": {"a": 1}},
            "thread": {"events": [{"type": "message", "text": "back", "custom_id": "cid-1"}]},
        },
        "active": True,
        "continuous": False,
    }
    with pytest.raises(InvalidArgumentsError, match="'chat'"):
        p.resume_chat("", ids())


def test_delete_event_and_event_properties() -> None:
    assert p.delete_event("CH1", "TH1", "TH1_4") == {
        "chat_id": "CH1",
        "thread_id": "TH1",
        "event_id": "TH1_4",
    }
    assert p.update_event_properties("CH1", "TH1", "E", {"ns": {"a": 1}})["properties"] == {
        "ns": {"a": 1}
    }
    assert p.delete_event_properties("CH1", "TH1", "E", {"ns": ("a", "b")}) == {
        "chat_id": "CH1",
        "thread_id": "TH1",
        "event_id": "E",
        "properties": {"ns": ["a", "b"]},
    }
    with pytest.raises(InvalidArgumentsError, match="'event'"):
        p.delete_event("CH1", "TH1", "")


def test_delete_chat_and_thread_properties() -> None:
    assert p.delete_chat_properties("CH1", {"ns": ["a"]}) == {
        "id": "CH1",
        "properties": {"ns": ["a"]},
    }
    assert p.delete_thread_properties("CH1", "TH1", {"ns": ["a"]}) == {
        "chat_id": "CH1",
        "thread_id": "TH1",
        "properties": {"ns": ["a"]},
    }


@pytest.mark.parametrize(
    ("properties", "match"),
    [
        ({}, "at least one property"),
        ({"ns": "a"}, "'properties.ns' must be a non-empty list of strings"),
        ({"ns": []}, "'properties.ns' must be a non-empty list of strings"),
        ({"ns": [""]}, "'properties.ns'"),
        ({1: ["a"]}, "'properties' must be an object with string keys"),
        ({"ns": ["\udc00"]}, "'properties' must be JSON"),
    ],
)
def test_delete_properties_bad_arguments(properties: Any, match: str) -> None:
    with pytest.raises(InvalidArgumentsError, match=match):
        p.delete_chat_properties("CH1", properties)


def test_cancel_rate_deletes_rating_thread_properties() -> None:
    assert p.cancel_rate("CH1", "TH1") == {
        "chat_id": "CH1",
        "thread_id": "TH1",
        "properties": {"rating": ["score"]},
    }
    assert p.cancel_rate("CH1", "TH1", ("score", "comment"))["properties"] == {
        "rating": ["score", "comment"]
    }
    with pytest.raises(InvalidArgumentsError, match=r"properties\.rating"):
        p.cancel_rate("CH1", "TH1", ())


def test_send_rich_message_postback() -> None:
    assert p.send_rich_message_postback("CH1", "TH1", "E1", "yes", True) == {
        "chat_id": "CH1",
        "thread_id": "TH1",
        "event_id": "E1",
        "postback": {"id": "yes", "toggled": True},
    }
    full = p.send_rich_message_postback(
        "CH1",
        "TH1",
        "E1",
        "buy",
        False,
        button_type="url",
        button_value="https://example.test",
        ecommerce={"product_id": "p1", "quantity": 2},
    )
    assert full["postback"] == {
        "id": "buy",
        "toggled": False,
        "button_type": "url",
        "button_value": "https://example.test",
        "ecommerce": {"product_id": "p1", "quantity": 2},
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"toggled": 1}, "'toggled' must be a boolean"),
        ({"postback_id": ""}, "'postback_id'"),
        ({"button_type": 3}, "'button_type' must be a string"),
        ({"button_value": 3}, "'button_value' must be a string"),
        ({"ecommerce": {"quantity": 1}}, "'ecommerce.product_id'"),
        ({"ecommerce": {"product_id": "p", "q": float("inf")}}, "'ecommerce' must be JSON"),
    ],
)
def test_send_rich_message_postback_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {"postback_id": "yes", "toggled": True, **kwargs}
    with pytest.raises(InvalidArgumentsError, match=match):
        p.send_rich_message_postback("CH1", "TH1", "E1", **args)


def test_customer_actions() -> None:
    assert p.get_customer() == {}
    assert p.set_customer_session_fields({"a": "1", "b": "2"}) == {
        "session_fields": [{"a": "1"}, {"b": "2"}]
    }
    assert p.update_customer_page("https://shop.test/") == {"url": "https://shop.test/"}
    assert p.update_customer_page("https://shop.test/", "Shop") == {
        "url": "https://shop.test/",
        "title": "Shop",
    }
    with pytest.raises(InvalidArgumentsError, match="'url'"):
        p.update_customer_page("")
    with pytest.raises(InvalidArgumentsError, match="'title'"):
        p.update_customer_page("u", 5)  # type: ignore[arg-type]


def test_list_group_statuses_all_when_none() -> None:
    assert p.list_group_statuses() == {"all": True}
    assert p.list_group_statuses([0, 4]) == {"group_ids": [0, 4]}
    for bad in ([], "1", [1.5]):
        with pytest.raises(InvalidArgumentsError, match="group_ids"):
            p.list_group_statuses(bad)  # type: ignore[arg-type]


def test_get_form_predicted_agent_url_info() -> None:
    assert p.get_form(0, "prechat") == {"group_id": 0, "type": "prechat"}
    with pytest.raises(InvalidArgumentsError, match="'type' must be 'prechat', 'postchat'"):
        p.get_form(0, "survey")
    with pytest.raises(InvalidArgumentsError, match="'group_id' must be a non-negative"):
        p.get_form(-1, "ticket")
    assert p.get_predicted_agent() == {}
    assert p.get_url_info("https://a.test") == {"url": "https://a.test"}
    with pytest.raises(InvalidArgumentsError, match="'url'"):
        p.get_url_info(None)  # type: ignore[arg-type]


def test_greeting_actions() -> None:
    assert p.accept_greeting(7, "Q10") == {"greeting_id": 7, "unique_id": "Q10"}
    assert p.cancel_greeting("Q10") == {"unique_id": "Q10"}
    assert p.send_greeting_button_clicked("Q10", "b-1") == {
        "greeting_unique_id": "Q10",
        "button_id": "b-1",
    }
    with pytest.raises(InvalidArgumentsError, match="'greeting_id'"):
        p.accept_greeting("7", "Q10")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentsError, match="'unique_id'"):
        p.cancel_greeting("")
    with pytest.raises(InvalidArgumentsError, match="'button_id'"):
        p.send_greeting_button_clicked("Q10", "")


def test_request_welcome_message() -> None:
    assert p.request_welcome_message() == {}
    assert p.request_welcome_message(welcome_message_id="w1", group_id=2) == {
        "id": "w1",
        "group_id": 2,
    }
    with pytest.raises(InvalidArgumentsError, match="'group_id'"):
        p.request_welcome_message(group_id=True)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Results


def test_get_customer_result_is_a_customer() -> None:
    customer = r.parse_result(
        "get_customer",
        {
            "id": s.CUSTOMER_ID,
            "name": "Ann",
            "session_fields": [{"k": "v"}],
            "statistics": {"chats_count": 1},
        },
    )
    assert isinstance(customer, Customer)
    assert customer.fields == {"k": "v"} and customer.statistics == {"chats_count": 1}
    with pytest.raises(RemoteProtocolError, match=r"payload\.type must be 'customer'"):
        r.parse_result("get_customer", {"id": "x", "type": "agent"})


def test_list_group_statuses_result() -> None:
    statuses = r.parse_result(
        "list_group_statuses",
        {"groups_status": {"1": "online", "2": "offline", "3": "online_for_queue"}},
    )
    assert statuses == {1: "online", 2: "offline", 3: "online_for_queue"}
    for bad in ({"x": "online"}, {"1": 1}, {"²": "online"}, []):
        with pytest.raises(RemoteProtocolError, match="groups_status"):
            r.parse_result("list_group_statuses", {"groups_status": bad})


def test_get_form_result() -> None:
    result = r.parse_result(
        "get_form",
        {"enabled": True, "form": {"id": "f1", "fields": [{"type": "name", "label": "N"}]}},
    )
    assert result.enabled and result.form == r.Form(
        id="f1", fields=({"type": "name", "label": "N"},)
    )
    disabled = r.parse_get_form({"enabled": False})
    assert disabled == r.FormResult(enabled=False, form=None)
    for bad in ({}, {"enabled": True, "form": []}, {"enabled": True, "form": {"fields": [1]}}):
        with pytest.raises(RemoteProtocolError):
            r.parse_get_form(bad)


def test_predicted_agent_and_welcome_message() -> None:
    agent = {"id": s.AGENT_ID, "name": "Bob", "is_bot": False, "type": "agent"}
    predicted = r.parse_result("get_predicted_agent", {"agent": agent, "queue": True})
    assert isinstance(predicted.agent, Agent) and predicted.queue is True
    assert predicted.agent.extra == {"is_bot": False}
    welcome = r.parse_result(
        "request_welcome_message", {"id": "w1", "predicted_agent": agent, "queue": False}
    )
    assert welcome.id == "w1" and welcome.queue is False
    assert welcome.predicted_agent is not None and welcome.predicted_agent.id == s.AGENT_ID
    assert r.parse_welcome_message({"id": "w2"}).predicted_agent is None
    with pytest.raises(RemoteProtocolError, match=r"payload\.agent"):
        r.parse_predicted_agent({"queue": False})
    with pytest.raises(RemoteProtocolError, match=r"payload\.queue must be a boolean"):
        r.parse_predicted_agent({"agent": agent, "queue": "no"})


def test_url_info() -> None:
    info = r.parse_result(
        "get_url_info",
        {
            "title": "T",
            "description": "D",
            "image_url": "i",
            "image_original_url": "o",
            "image_width": 200,
            "image_height": 100,
            "url": "https://a.test",
        },
    )
    assert info == r.UrlInfo(
        url="https://a.test",
        title="T",
        description="D",
        image_url="i",
        image_original_url="o",
        image_width=200,
        image_height=100,
    )
    assert r.parse_url_info({}) == r.UrlInfo()
    with pytest.raises(RemoteProtocolError, match="image_width"):
        r.parse_url_info({"image_width": "200"})


def test_update_customer_page_groups_and_upload_file() -> None:
    assert r.parse_result("update_customer_page", {}) == {}
    assert r.parse_result("update_customer_page", {"groups": [{"id": 1, "status": "online"}]}) == {
        1: "online"
    }
    for bad in ({"groups": {}}, {"groups": [{"id": "1", "status": "x"}]}, {"groups": [{"id": 1}]}):
        with pytest.raises(RemoteProtocolError, match="groups"):
            r.parse_update_customer_page(bad)
    assert r.parse_result("upload_file", {"url": "https://cdn.test/f"}) == "https://cdn.test/f"
    with pytest.raises(RemoteProtocolError, match=r"payload\.url"):
        r.parse_upload_file({})


@pytest.mark.parametrize(
    "action",
    [
        "deactivate_chat",
        "delete_event",
        "send_rich_message_postback",
        "delete_chat_properties",
        "update_event_properties",
        "set_customer_session_fields",
        "mark_events_as_seen",
        "accept_greeting",
        "cancel_greeting",
        "send_greeting_button_clicked",
    ],
)
def test_actions_with_an_empty_response_resolve_true(action: str) -> None:
    assert r.parse_result(action, {}) is True


def test_parse_result_by_action() -> None:
    assert r.parse_result("send_event", {"event_id": "e"}) == r.SendEventResult(event_id="e")
    assert r.parse_result("start_chat", {"chat_id": "c", "thread_id": "t"}).chat_id == "c"
    assert r.parse_result("resume_chat", {"thread_id": "t"}).thread_id == "t"
    assert r.parse_result("list_chats", {"chats_summary": []}).chats == ()
    with pytest.raises(KeyError):
        r.parse_result("update_chat_scopes", {})


@pytest.mark.parametrize(
    "action",
    ["login", "start_chat", "list_chats", "get_form", "get_url_info", "list_group_statuses"],
)
def test_a_response_payload_that_is_not_an_object(action: str) -> None:
    with pytest.raises(RemoteProtocolError, match="payload must be an object"):
        r.parse_result(action, None)  # type: ignore[arg-type]

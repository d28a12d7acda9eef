"""Valid LiveChat v3.6 server messages of every kind (``spec/v3.md`` sections 2-10), for the v3
fuzzers to start from and break (with the mutations of :mod:`fuzz.samples`).

The object shapes come from the v3 core tests' fixtures (``tests/core/v3/samples.py``: the docs'
shapes with values of our own); this module adds one push of every name of section 9 (and
``customer_disconnected``, and one the client does not know), one success response of every v3
RTM action, the error types of section 10 and, written out from section 8 as the fuzz model's own
expectation, what each ``customer_disconnected`` reason must do.
"""

from __future__ import annotations

from typing import Any

from fuzz.samples import error_payload, push, response
from tests.core.v3 import samples as s

T0, T1, T2 = s.T0, s.T1, s.T2
CUSTOMER_ID, AGENT_ID = s.CUSTOMER_ID, s.AGENT_ID
ORGANIZATION_ID = "fz-00000000-0000-4000-8000-000000000000"

# --------------------------------------------------------------------------------------------
# Pushes (v3.md section 9)

_IDS = {"chat_id": "CH1", "thread_id": "TH1"}


def _preview_event() -> dict[str, Any]:
    event = s.message()
    del event["id"]
    return event


PUSHES: dict[str, dict[str, Any]] = {
    "incoming_chat": {"chat": s.chat()},
    "chat_deactivated": {**_IDS, "user_id": AGENT_ID},
    "chat_transferred": {
        **_IDS,
        "requester_id": AGENT_ID,
        "reason": "manual",
        "transferred_to": {"group_ids": [1], "agent_ids": [AGENT_ID]},
        "queue": {"position": 1, "wait_time": 20, "queued_at": T0},
    },
    "user_added_to_chat": {**_IDS, "user": s.agent(), "reason": "manual"},
    "user_removed_from_chat": {**_IDS, "user_id": AGENT_ID, "reason": "manual"},
    "incoming_event": {**_IDS, "event": s.message("TH1_3")},
    "event_updated": {**_IDS, "event": s.message("TH1_1", text="edited")},
    "incoming_rich_message_postback": {
        **_IDS,
        "user_id": CUSTOMER_ID,
        "event_id": "rm-1",
        "postback": {"id": "yes", "toggled": True},
    },
    "chat_properties_updated": {"chat_id": "CH1", "properties": {"ns": {"k": 1}}},
    "chat_properties_deleted": {"chat_id": "CH1", "properties": {"ns": ["k"]}},
    "thread_properties_updated": {**_IDS, "properties": {"rating": {"score": 1}}},
    "thread_properties_deleted": {**_IDS, "properties": {"rating": ["score"]}},
    "event_properties_updated": {**_IDS, "event_id": "TH1_1", "properties": {"ns": {"a": 2}}},
    "event_properties_deleted": {**_IDS, "event_id": "TH1_1", "properties": {"ns": ["a"]}},
    "customer_updated": {
        "id": CUSTOMER_ID,
        "name": "Ann",
        "email": "ann@example.test",
        "avatar": "https://example.test/ann.png",
        "session_fields": [{"plan": "pro"}],
    },
    "customer_side_storage_updated": {"customer_side_storage": {"k": "v"}},
    "groups_status_updated": {"groups": [{"id": 0, "status": "online"}]},
    "incoming_typing_indicator": {
        **_IDS,
        "typing_indicator": {"author_id": AGENT_ID, "recipients": "all", "is_typing": True},
    },
    "incoming_multicast": {"author_id": AGENT_ID, "content": {"any": ["json", 1]}},
    "events_marked_as_seen": {"user_id": AGENT_ID, "chat_id": "CH1", "seen_up_to": T2},
    "incoming_greeting": {
        "id": 7,
        "unique_id": "GR1",
        "event": s.rich_message(),
        "agent": s.agent(),
        "accepted": False,
    },
    "greeting_accepted": {"unique_id": "GR1"},
    "greeting_canceled": {"unique_id": "GR1"},
    "queue_position_updated": {
        **_IDS,
        "queue": {"position": 2, "wait_time": 30, "queued_at": T0},
    },
    # new in v3.6
    "incoming_event_preview": {**_IDS, "event": _preview_event()},
    "event_deleted": {**_IDS, "event_id": "TH1_2"},
    "incoming_thinking_indicator": {
        **_IDS,
        "author_id": AGENT_ID,
        "sent_at": T1,
        "title": "Thinking",
        "description": "about it",
        "custom_id": "th-1",
    },
    "incoming_welcome_message": {"id": "WM1", "event": _preview_event()},
    # lifecycle, and a push this client does not know (forwarded raw)
    "customer_disconnected": {"reason": "internal_error"},
    "some_future_push": {"anything": [1, {"a": None}]},
}

# --------------------------------------------------------------------------------------------
# Responses of every v3 RTM action (sections 4-5, 8)


def threads_page(*threads: dict[str, Any], next_page_id: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"threads": list(threads), "found_threads": len(threads)}
    if next_page_id is not None:
        page["next_page_id"] = next_page_id
    return page


def login_payload(customer_id: str = CUSTOMER_ID) -> dict[str, Any]:
    return {
        "customer": s.customer(
            id=customer_id, statistics={"chats_count": 1, "threads_count": 2, "visits_count": 3}
        ),
        "has_active_thread": False,
        "chats": [{"chat_id": "CH1", "has_unread_events": False}],
        "__priv_dynamic_config": {"online_groups_ids": [0]},
    }


RESPONSES: dict[str, dict[str, Any]] = {
    "login": login_payload(),
    "list_chats": {"chats_summary": [s.chat_summary()], "total_chats": 1},
    "list_threads": threads_page(s.thread("TH2", T2), s.thread("TH1", T0)),
    "get_chat": s.chat(),
    "start_chat": {"chat_id": "CH1", "thread_id": "TH1", "event_ids": ["TH1_1"]},
    "resume_chat": {"thread_id": "TH2", "event_ids": ["TH2_1"]},
    "send_event": {"event_id": "TH1_3"},
    "deactivate_chat": {},
    "delete_event": {},
    "send_rich_message_postback": {},
    "send_sneak_peek": {},
    "update_chat_properties": {},
    "delete_chat_properties": {},
    "update_thread_properties": {},
    "delete_thread_properties": {},
    "update_event_properties": {},
    "delete_event_properties": {},
    "update_customer": {},
    "set_customer_session_fields": {},
    "update_customer_page": {"groups": [{"id": 0, "status": "online"}]},
    "get_customer": s.customer(statistics={"chats_count": 1}),
    "list_group_statuses": {"groups_status": {"0": "online", "1": "offline"}},
    "get_form": {"enabled": True, "form": {"id": "form-9", "fields": [{"type": "header"}]}},
    "get_predicted_agent": {"agent": s.agent(), "queue": False},
    "get_url_info": {
        "url": "https://example.test",
        "title": "Example",
        "description": "d",
        "image_url": "https://example.test/i.png",
        "image_width": 10,
        "image_height": 20,
    },
    "mark_events_as_seen": {},
    "accept_greeting": {},
    "cancel_greeting": {},
    "send_greeting_button_clicked": {},
    "request_welcome_message": {"id": "WM1", "predicted_agent": s.agent(), "queue": False},
    "ping": {},
}

# --------------------------------------------------------------------------------------------
# Errors (section 10) and the customer_disconnected table (section 8)

ERROR_TYPES: tuple[str, ...] = (
    "authentication",
    "authorization",
    "chat_anonymized",
    "chat_inactive",
    "customer_banned",
    "entity_too_large",
    "greeting_not_found",
    "group_not_found",
    "group_offline",
    "group_unavailable",
    "groups_offline",
    "internal",
    "license_expired",
    "license_not_found",
    "limit_reached",
    "misdirected_request",
    "not_allowed",
    "not_found",
    "pending_requests_limit_reached",
    "request_timeout",
    "service_unavailable",
    "too_many_requests",
    "unsupported_version",
    "users_limit_reached",
    "validation",
    "wrong_product_version",
)

RECONNECT_REASONS: tuple[str, ...] = (
    "connection_evicted",
    "connection_timeout",
    "internal_error",
    "service_temporarily_unavailable",
    "too_many_unauthorized_connections",
    "some_future_reason",
)
FRESH_TOKEN_REASONS: tuple[str, ...] = ("access_token_expired", "access_token_revoked")
"""Reconnect reasons after which the next login uses a fresh token (the client asks for one on
``access_token_expired``; ``access_token_revoked`` too: a revoked token is useless)."""
TERMINAL_REASONS: tuple[str, ...] = (
    "license_not_found",
    "license_expired",
    "unsupported_version",
    "too_many_connections",
    "logged_out_remotely",
    "customer_banned",
    "inactivity_timeout",
    "identity_mismatch",
    "users_limit_reached",
)
DATA_REASONS: tuple[str, ...] = ("customer_temporarily_blocked", "misdirected_connection")
"""Reasons whose outcome depends on ``data`` (and, for a region, on the API host)."""
ALL_REASONS = (*RECONNECT_REASONS, *FRESH_TOKEN_REASONS, *TERMINAL_REASONS, *DATA_REASONS)


def expected_kick(reason: str, data: Any, host: str | None) -> tuple[str, float | str | None]:
    """What section 8 says a ``customer_disconnected {reason, data}`` does:
    ``("terminal", None)``, ``("reconnect", delay or None)``, ``("fresh_token", None)`` or
    ``("redirect", region host)``."""
    data = data if isinstance(data, dict) else {}
    if reason in TERMINAL_REASONS:
        return "terminal", None
    if reason in FRESH_TOKEN_REASONS:
        return "fresh_token", None
    if reason == "customer_temporarily_blocked":
        timeout = data.get("timeout")
        if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout >= 0:
            return "reconnect", float(timeout)
        return "terminal", None
    if reason == "misdirected_connection":
        region = data.get("region")
        livechat = host is not None and (
            host == "livechatinc.com" or host.endswith(".livechatinc.com")
        )
        if livechat and region in ("fra", "dal", "eu-west-1"):
            return "redirect", f"api-{region}.livechatinc.com"
        return "terminal", None
    return "reconnect", None


def valid_messages(rid: str = "1") -> list[dict[str, Any]]:
    """One valid v3 message of every kind: each push (with and without ``request_id``), each
    success response and an error response of each action, and a ``ping`` response."""
    messages: list[dict[str, Any]] = []
    for action, payload in PUSHES.items():
        messages.append(push(action, payload))
        messages.append(push(action, payload, rid))
    for action, payload in RESPONSES.items():
        messages.append(response(rid, action, payload))
        messages.append(response(rid, action, error_payload("validation"), success=False))
    return messages

"""v3.6 object shapes (``spec/v3.md`` section 3) as test fixtures: the docs' sample *shapes*,
with values of our own. Each function returns a fresh copy, so a test may mutate it."""

from __future__ import annotations

from typing import Any

T0 = "2024-03-01T10:00:00.000000Z"
T0_MS = 1709287200000
T1 = "2024-03-01T10:00:01.250999Z"
T1_MS = 1709287201250
T2 = "2024-03-01T10:00:02.500000Z"
T2_MS = 1709287202500
T3 = "2024-03-01T10:05:00.000000+00:00"
T3_MS = 1709287500000

CUSTOMER_ID = "c0ffee00-0000-4000-8000-000000000001"
AGENT_ID = "agent-7@example.test"


def message(event_id: str = "TH1_1", created_at: str = T1, **more: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "custom_id": "cp-1",
        "created_at": created_at,
        "type": "message",
        "author_id": CUSTOMER_ID,
        "text": "hello",
        "recipients": "all",
        "properties": {"ns": {"flag": True}},
        **more,
    }


def system_message(event_id: str = "TH1_2", created_at: str = T2) -> dict[str, Any]:
    return {
        "id": event_id,
        "created_at": created_at,
        "type": "system_message",
        "text": "Chat closed",
        "system_message_type": "routing.archived_inactive",
        "text_vars": {"agent": "Ann"},
    }


def file_event() -> dict[str, Any]:
    return {
        "id": "f-1",
        "created_at": T1,
        "type": "file",
        "author_id": CUSTOMER_ID,
        "name": "cat.png",
        "url": "https://cdn.example.test/cat.png",
        "thumbnail_url": "https://cdn.example.test/cat-t.png",
        "content_type": "image/png",
        "size": 2048,
        "width": 64,
        "height": 48,
        "alternative_text": "a cat",
    }


def filled_form() -> dict[str, Any]:
    return {
        "id": "ff-1",
        "created_at": T1,
        "type": "filled_form",
        "author_id": CUSTOMER_ID,
        "form_id": "form-9",
        "form_type": "prechat",
        "fields": [
            {"type": "name", "id": "q1", "label": "Name", "answer": "Ann"},
            {"type": "radio", "id": "q2", "label": "Why", "answer": {"id": "0", "label": "Help"}},
        ],
    }


def form() -> dict[str, Any]:
    return {
        "id": "fo-1",
        "created_at": T1,
        "type": "form",
        "form_id": "form-9",
        "form_type": "postchat",
        "fields": [{"type": "email", "id": "q1", "label": "Mail", "required": False}],
    }


def rich_message() -> dict[str, Any]:
    return {
        "id": "rm-1",
        "created_at": T1,
        "type": "rich_message",
        "author_id": AGENT_ID,
        "template_id": "quick_replies",
        "elements": [
            {
                "title": "Pick one",
                "buttons": [{"text": "yes", "postback_id": "yes", "user_ids": []}],
            }
        ],
    }


def system_event() -> dict[str, Any]:
    return {
        "id": "sys-1",
        "custom_id": "shop_1",
        "source": "cdp",
        "type": "system",
        "subtype": "order_created",
        "version": 1,
        "details": '{"order": 1}',
        "created_at": T2,
    }


def custom_event() -> dict[str, Any]:
    return {
        "id": "cu-1",
        "created_at": T1,
        "type": "custom",
        "author_id": CUSTOMER_ID,
        "content": {"any": ["json", 1]},
    }


def customer(**more: Any) -> dict[str, Any]:
    return {
        "id": CUSTOMER_ID,
        "type": "customer",
        "name": "Ann",
        "email": "ann@example.test",
        "email_verified": False,
        "avatar": "https://example.test/ann.png",
        "session_fields": [{"plan": "pro"}, {"seat": "3"}],
        "present": True,
        "events_seen_up_to": T1,
        **more,
    }


def agent(**more: Any) -> dict[str, Any]:
    return {
        "id": AGENT_ID,
        "type": "agent",
        "name": "Bob",
        "avatar": "https://example.test/bob.png",
        "present": False,
        "events_seen_up_to": T2,
        "job_title": "Support",
        **more,
    }


def thread(thread_id: str = "TH1", created_at: str = T0, **more: Any) -> dict[str, Any]:
    return {
        "id": thread_id,
        "active": True,
        "user_ids": [CUSTOMER_ID, AGENT_ID],
        "events": [message(f"{thread_id}_1"), system_message(f"{thread_id}_2")],
        "properties": {"routing": {"idle": False}},
        "access": {"group_ids": [0]},
        "queue": {"position": 2, "wait_time": 30, "queued_at": T0},
        "previous_thread_id": "TH0",
        "created_at": created_at,
        **more,
    }


def chat(chat_id: str = "CH1", **more: Any) -> dict[str, Any]:
    return {
        "id": chat_id,
        "users": [customer(), agent()],
        "properties": {"source": {"client_id": "x"}},
        "access": {"group_ids": [0]},
        "thread": thread(),
        **more,
    }


def chat_summary(chat_id: str = "CH1", **more: Any) -> dict[str, Any]:
    return {
        "id": chat_id,
        "last_thread_id": "TH1",
        "last_thread_created_at": T0,
        "users": [customer(), agent(events_seen_up_to=None)],
        "last_event_per_type": {
            "message": {
                "thread_id": "TH1",
                "thread_created_at": T0,
                "event": message("TH1_1", T1),
            },
            "system_message": {
                "thread_id": "TH1",
                "thread_created_at": T0,
                "event": system_message("TH1_2", T2),
            },
        },
        "properties": {"ns": {"k": "v"}},
        "access": {"group_ids": [0]},
        "active": True,
        **more,
    }

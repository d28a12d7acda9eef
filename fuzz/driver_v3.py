"""The fuzz driver and scripted server for the LiveChat v3.6 dialect (``spec/v3.md``).

:class:`V3Driver` is :class:`fuzz.driver.Driver` for ``api="3.6"``: the handshake is
``login`` + ``list_chats``, an echo push must not become a ``new_event`` only while its
request still waits for it (v3 emits every other push, whatever ``request_id`` it carries),
and after every input the client has at most 10 unanswered requests (the section 2 cap).
:class:`V3FakeServer` answers the v3 actions the client sends.
"""

from __future__ import annotations

from typing import Any

from customer_protocol import ClientProtocol, SeededRandom
from customer_protocol.rfc3339 import format_ms
from fuzz import samples
from fuzz.driver import Driver

ORG = "fuzz-organization"
CAP = 10


def _user(uid: str, kind: str) -> dict[str, Any]:
    user: dict[str, Any] = {"id": uid, "type": kind, "present": True, "events_seen_up_to": None}
    if kind == "agent":
        user.update(name="Ada", avatar="a.png")
    else:
        user.update(name="Bob", session_fields=[{"k": "v"}])
    return user


class V3FakeServer:
    """Just enough of a v3 server: chats, threads (newest last) and events."""

    def __init__(self) -> None:
        self.chats: dict[str, list[dict[str, Any]]] = {}
        self.counter = 0

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _time(self) -> str:
        return format_ms(1_700_000_000_000 + self.counter * 1000)

    def _active(self, chat: str) -> dict[str, Any] | None:
        threads = self.chats.get(chat) or []
        return threads[-1] if threads and threads[-1]["active"] else None

    def _store(self, thread: dict[str, Any], event: dict[str, Any], author: str = "cust") -> Any:
        stored = dict(event)
        stored.update(id=self._id("e"), author_id=author, created_at=self._time())
        thread["events"].append(stored)
        return stored

    def _new_thread(self, chat: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        thread = {
            "id": self._id("t"),
            "active": True,
            "user_ids": ["cust", "agent1"],
            "events": [],
            "properties": {},
            "access": {},
            "created_at": self._time(),
        }
        self.chats.setdefault(chat, []).append(thread)
        for event in events:
            self._store(thread, event)
        return thread

    def _chat(self, chat: str, thread: dict[str, Any]) -> dict[str, Any]:
        users = [_user("cust", "customer"), _user("agent1", "agent")]
        return {"id": chat, "users": users, "properties": {}, "access": {}, "thread": thread}

    def agent_event(self, chat: str, text: str) -> dict[str, Any] | None:
        thread = self._active(chat)
        if thread is None:
            return None
        event = self._store(thread, {"type": "message", "text": text}, author="agent1")
        payload = {"chat_id": chat, "thread_id": thread["id"], "event": event}
        return samples.push("incoming_event", payload)

    def agent_close(self, chat: str) -> dict[str, Any] | None:
        thread = self._active(chat)
        if thread is None:
            return None
        thread["active"] = False
        return samples.push("chat_deactivated", {"chat_id": chat, "thread_id": thread["id"]})

    def _threads_page(self, chat: str, payload: dict[str, Any]) -> dict[str, Any]:
        threads = self.chats[chat][::-1]  # newest first
        page_id = payload.get("page_id")
        start = int(page_id[1:]) if isinstance(page_id, str) and page_id[1:].isdigit() else 0
        size = payload.get("limit") or payload.get("min_events_count") or 3
        page = threads[start : start + size]
        result: dict[str, Any] = {"threads": page, "found_threads": len(threads)}
        if start + size < len(threads):
            result["next_page_id"] = f"p{start + size}"
        return result

    def run(self, action: str, payload: dict[str, Any]) -> tuple[Any, list[tuple[str, Any]]]:
        """``(response payload or error type, [(push, payload)])`` for one v3 request."""
        if action == "login":
            customer = _user("cust", "customer")
            return {"customer": customer, "has_active_thread": False, "chats": []}, []
        if action == "list_chats":
            items = [
                {
                    "id": cid,
                    "last_thread_id": threads[-1]["id"],
                    "last_thread_created_at": threads[-1]["created_at"],
                    "users": [_user("cust", "customer")],
                    "last_event_per_type": {},
                    "properties": {},
                    "active": threads[-1]["active"],
                }
                for cid, threads in self.chats.items()
                if threads
            ]
            return {"chats_summary": items[:25], "total_chats": len(items)}, []
        if action in ("ping", "send_sneak_peek", "update_customer", "set_customer_session_fields"):
            return {}, []
        if action == "start_chat":
            chat = self._id("c")
            body = payload.get("chat") or {}
            thread = self._new_thread(chat, (body.get("thread") or {}).get("events", []))
            ids = [e["id"] for e in thread["events"]]
            view = self._chat(chat, thread)
            result = {"chat_id": chat, "thread_id": thread["id"], "event_ids": ids}
            return result, [("incoming_chat", {"chat": view})]
        chat = payload.get("chat_id") or payload.get("id") or (payload.get("chat") or {}).get("id")
        if chat not in self.chats:
            return "not_found", []
        if action == "resume_chat":
            if self._active(chat) is not None:
                return "validation", []
            events = ((payload.get("chat") or {}).get("thread") or {}).get("events", [])
            thread = self._new_thread(chat, events)
            ids = [e["id"] for e in thread["events"]]
            view = self._chat(chat, thread)
            return {"thread_id": thread["id"], "event_ids": ids}, [
                ("incoming_chat", {"chat": view})
            ]
        if action == "send_event":
            thread = self._active(chat)
            if thread is None:
                return "chat_inactive", []
            event = self._store(thread, payload["event"])
            push = {"chat_id": chat, "thread_id": thread["id"], "event": event}
            return {"event_id": event["id"]}, [("incoming_event", push)]
        if action == "deactivate_chat":
            thread = self._active(chat)
            if thread is None:
                return "chat_inactive", []
            thread["active"] = False
            return {}, [("chat_deactivated", {"chat_id": chat, "thread_id": thread["id"]})]
        if action == "list_threads":
            return self._threads_page(chat, payload), []
        if action == "get_chat":
            wanted = payload.get("thread_id")
            threads = [t for t in self.chats[chat] if wanted in (None, t["id"])]
            if not threads:
                return "not_found", []
            return self._chat(chat, threads[-1]), []
        if action == "update_chat_properties":
            return {}, [("chat_properties_updated", {"chat_id": chat, "properties": {}})]
        if action == "update_thread_properties":
            push = {"chat_id": chat, "thread_id": payload["thread_id"], "properties": {}}
            return {}, [("thread_properties_updated", push)]
        if action == "mark_events_as_seen":
            push = {"chat_id": chat, "user_id": "cust", "seen_up_to": payload["seen_up_to"]}
            return {}, [("events_marked_as_seen", push)]
        return "validation", []


class V3Driver(Driver):
    """:class:`Driver` for a v3.6 client against :class:`V3FakeServer`."""

    handshake = ("login", "list_chats")

    def fresh(self) -> ClientProtocol:
        return ClientProtocol(
            api="3.6",
            organization_id=ORG,
            host="api.livechatinc.com",
            config=self.config,
            rng=SeededRandom(self.seed),
        )

    def new_server(self) -> Any:
        return V3FakeServer()

    @staticmethod
    def handshake_request(request: dict[str, Any]) -> bool:
        return request.get("payload") == {}

    def receive(self, message: Any, *, echo: bool = False) -> None:
        # An echo is one only while its push-resolved request waits for it: v3 emits every
        # other push as an ordinary push, whatever request_id it carries (v3.md section 2).
        if echo and isinstance(message, dict):
            request = self.client._inflight.get(message.get("request_id") or "")
            echo = request is not None and request.indirect
        super().receive(message, echo=echo)

    def drain(self) -> None:
        super().drain()
        waiting = [r for r in self.client._inflight.values() if r.response is None]
        assert len(waiting) <= CAP, f"{len(waiting)} requests in flight"
